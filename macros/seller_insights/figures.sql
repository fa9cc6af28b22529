{#
  A share in percent with 2 decimals, 0.00 when the whole is 0 (a seller who posted nothing
  sold none of it): the sell-through graph always has its two slices.
#}
{% macro seller_insights_pct(part, whole) -%}
    coalesce(round(({{ part }})::numeric * 100 / nullif({{ whole }}, 0), 2), 0.00)
{%- endmacro %}


{#
  A point's sort_index in the seed's graph shape: its position (from 0) in the seller's series,
  points ordered by `order_by`.
#}
{% macro seller_insights_sort_index(order_by) -%}
    (row_number() over (partition by seller_id order by {{ order_by }}) - 1)::integer
{%- endmacro %}
