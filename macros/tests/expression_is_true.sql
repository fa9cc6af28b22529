{#
  Fails for every row where the SQL expression is false (NULL counts as passing, as in a
  CHECK constraint). Attach it to a model, or to a column to read as `<column> <expression>`.

    data_tests:
      - expression_is_true:
          arguments:
            expression: "in_stock_skus <= total_skus"
#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not ({{ column_name ~ ' ' if column_name }}{{ expression }})
{% endtest %}
