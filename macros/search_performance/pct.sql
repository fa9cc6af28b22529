{#
  A share or rate in percent with 2 decimals; 0 when the denominator is 0, as the original
  views give (a dashboard shows "0 %" for a segment without impressions, never an error).
#}
{% macro search_performance_pct(numerator, denominator) -%}
    case
        when {{ denominator }} > 0
            then round({{ numerator }}::numeric * 100 / {{ denominator }}, 2)
        else 0.00
    end
{%- endmacro %}
