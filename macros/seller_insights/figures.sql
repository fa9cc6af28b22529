{#
  A share in percent with 2 decimals, 0.00 when the whole is 0 (a seller who posted nothing
  sold none of it): the sell-through graph always has its two slices.
#}
{% macro seller_insights_pct(part, whole) -%}
    coalesce(round(({{ part }})::numeric * 100 / nullif({{ whole }}, 0), 2), 0.00)
{%- endmacro %}
