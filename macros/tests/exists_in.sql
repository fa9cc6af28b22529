{#
  Fails for every row whose `columns` have no match among the rows of `to` (its `to_columns`)
  that satisfy `to_condition`: a referential check with a condition, such as "the brand exists and is
  active", which a materialized view cannot enforce with a constraint or a trigger.

    data_tests:
      - exists_in:
          arguments:
            columns: [asin, brand_id]
            to: source('brand_catalogue', 'asin_brand_mapping')
            to_columns: [asin, brand_id]
            to_condition: is_active
#}
{% test exists_in(model, columns, to, to_columns=none, to_condition=none) %}
    {%- set to_columns = to_columns or columns -%}
    select
        {%- for column in columns %}
        child.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }} as child
    where not exists (
        select 1
        from {{ to }} as parent
        where
            {%- for column in columns %}
            parent.{{ to_columns[loop.index0] }} = child.{{ column }} and
            {%- endfor %}
            ({{ to_condition or "true" }})
    )
{% endtest %}
