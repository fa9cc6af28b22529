{#
  Fails for every combination of the given columns that occurs more than once. NULLs count as
  equal (like GROUP BY), so a NULL in a key column cannot hide a duplicate.

    data_tests:
      - unique_combination_of_columns:
          arguments:
            combination_of_columns: [dispensary_id, product_id, sale_date]
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- if combination_of_columns is string -%}
        {%- set combination_of_columns = [combination_of_columns] -%}
    {%- endif %}
    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
