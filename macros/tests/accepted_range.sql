{#
  Fails for every row whose value lies outside [min_value, max_value] (either bound optional;
  inclusive unless told otherwise). NULLs pass: pair with not_null where they must not occur.

    columns:
      - name: penetration_pct
        data_tests:
          - accepted_range:
              arguments: {min_value: 0, max_value: 100}
#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error("accepted_range on " ~ column_name ~ ": give min_value, max_value or both") }}
    {%- endif %}
    select {{ column_name }}
    from {{ model }}
    where
        {%- if min_value is not none %}
        {{ column_name }} {{ '<' if inclusive else '<=' }} {{ min_value }}
        {%- endif %}
        {%- if min_value is not none and max_value is not none %} or{% endif %}
        {%- if max_value is not none %}
        {{ column_name }} {{ '>' if inclusive else '>=' }} {{ max_value }}
        {%- endif %}
{% endtest %}
