{#
  A share or rate in percent with 2 decimals; NULL when the denominator is 0 or NULL: no
  purchases is no sell-through rate, not a rate of 0 (and never a division error).
#}
{% macro commerce_pct(numerator, denominator) -%}
    round(({{ numerator }})::numeric * 100 / nullif({{ denominator }}, 0), 2)
{%- endmacro %}


{#
  An order is a sale unless it was cancelled or returned: pending, shipped and completed orders
  count (the buyer has paid). An unknown status is not a sale.
#}
{% macro commerce_is_sale(status) -%}
    coalesce({{ status }} in ('pending', 'shipped', 'completed'), false)
{%- endmacro %}


{# An active order: paid but not finished (pending or shipped). #}
{% macro commerce_is_active(status) -%}
    coalesce({{ status }} in ('pending', 'shipped'), false)
{%- endmacro %}


{#
  An item's stock category by its days in stock (to its sale, or to the refresh time while
  unsold), with the thresholds of vars `commerce_dead_stock_days`, `commerce_slow_moving_days`
  and `commerce_fast_moving_days`. Only an unsold item can be dead stock; NULL days, NULL
  category.
#}
{% macro commerce_stock_category(days, unsold) -%}
    {%- set dead = var('commerce_dead_stock_days') | int -%}
    {%- set slow = var('commerce_slow_moving_days') | int -%}
    {%- set fast = var('commerce_fast_moving_days') | int -%}
    {%- if not (0 < fast < slow < dead) -%}
        {{ exceptions.raise_compiler_error("vars commerce_fast_moving_days < commerce_slow_moving_days < commerce_dead_stock_days must be positive and increasing, got " ~ fast ~ ", " ~ slow ~ ", " ~ dead) }}
    {%- endif -%}
    case
        when {{ days }} is null then null
        when {{ unsold }} and {{ days }} >= {{ dead }} then 'Dead Stock'
        when {{ days }} >= {{ slow }} then 'Slow Moving'
        when {{ days }} < {{ fast }} then 'Fast Moving'
        else 'Normal'
    end
{%- endmacro %}


{#
  A brand's price positioning by its average sale price in euros: Premium from var
  `commerce_premium_price_min`, Mid-Range from `commerce_mid_range_price_min`, else Entry-Level;
  NULL without sales.
#}
{% macro commerce_price_positioning(avg_price) -%}
    case
        when {{ avg_price }} is null then null
        when {{ avg_price }} >= {{ var('commerce_premium_price_min') }} then 'Premium'
        when {{ avg_price }} >= {{ var('commerce_mid_range_price_min') }} then 'Mid-Range'
        else 'Entry-Level'
    end
{%- endmacro %}


{#
  A brand's volume tier by its share of all units sold (scale-free, unlike a unit count): High
  from var `commerce_high_volume_share_pct`, Medium from `commerce_medium_volume_share_pct`,
  else Low.
#}
{% macro commerce_volume_tier(sales_share_pct) -%}
    case
        when {{ sales_share_pct }} >= {{ var('commerce_high_volume_share_pct') }} then 'High'
        when {{ sales_share_pct }} >= {{ var('commerce_medium_volume_share_pct') }} then 'Medium'
        else 'Low'
    end
{%- endmacro %}
