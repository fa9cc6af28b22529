{#
  A rate in percent with 2 decimals; NULL when the denominator is 0 or NULL: "no requests"
  is no rate, not a rate of 0 (and never a division error).
#}
{% macro marketplace_kpis_pct(numerator, denominator) -%}
    round(({{ numerator }})::numeric * 100 / nullif({{ denominator }}, 0), 2)
{%- endmacro %}


{# An offer's price when it is one: a zero or negative amount is a data error, not a price. #}
{% macro marketplace_kpis_valid_amount(amount) -%}
    case when {{ amount }} > 0 then {{ amount }} end
{%- endmacro %}
