{# "Now" for the retail mart: the refresh time, pinned by the var `retail_as_of`. #}
{% macro retail_refresh_time() -%}
    {{ refresh_time('retail_as_of') }}
{%- endmacro %}


{#
  Sale days in each store's local time zone (F5). `zone_expr` is an SQL text expression, usually
  the store's stg_retail__dispensaries.time_zone (its state's zone, or var `retail_time_zone`
  when that overrides every store's).
#}

{# The calendar day in zone `zone_expr` of a timestamptz expression. #}
{% macro retail_local_day(ts_expr, zone_expr) -%}
    (({{ ts_expr }}) at time zone ({{ zone_expr }}))::date
{%- endmacro %}


{# The first instant (timestamptz) of a calendar day (a date expression) in zone `zone_expr`. #}
{% macro retail_local_day_start(date_expr, zone_expr) -%}
    (({{ date_expr }})::timestamp at time zone ({{ zone_expr }}))
{%- endmacro %}


{# The calendar day in zone `zone_expr` of the refresh time: "today" for that store. #}
{% macro retail_refresh_local_date(zone_expr) -%}
    {{ retail_local_day(retail_refresh_time(), zone_expr) }}
{%- endmacro %}


{#
  The earliest first day any store's window of `days` days can have: the refresh time's UTC
  day minus `days` minus 1 (a local day is at most one day from the UTC day). A constant lower
  bound on sale_date next to the per-store one, so the planner can use the sale_date index.
#}
{% macro retail_local_window_floor(days) -%}
    ({{ retail_local_day(retail_refresh_time(), "'UTC'") }} - {{ days }} - 1)
{%- endmacro %}


{# A window-length var as an integer number of days, refusing nonsense early. #}
{% macro retail_days(var_name) -%}
    {%- set days = var(var_name) | int -%}
    {%- if days < 1 -%}
        {{ exceptions.raise_compiler_error("var " ~ var_name ~ " must be a positive number of days, got " ~ var(var_name)) }}
    {%- endif -%}
    {{ return(days) }}
{%- endmacro %}


{#
  A window over mv_daily_sales_estimates: it cannot be longer than the days that view keeps,
  or its first days would silently read as "no sales".
#}
{% macro retail_sales_window_days(var_name) -%}
    {%- set days = retail_days(var_name) -%}
    {%- set kept = retail_days('retail_daily_sales_days') -%}
    {%- if days > kept -%}
        {{ exceptions.raise_compiler_error("var " ~ var_name ~ " = " ~ days ~ " days is longer than retail_daily_sales_days = " ~ kept ~ ", the days mv_daily_sales_estimates keeps; raise retail_daily_sales_days") }}
    {%- endif -%}
    {{ return(days) }}
{%- endmacro %}


{#
  The stores with the first day of their window of `days` local days (F5): their local today
  minus `days`. The body of a view's `dispensaries` CTE, which retail_sales_in_window reads.
#}
{% macro retail_stores_with_window(days) -%}
    select
        *,
        {{ retail_refresh_local_date('time_zone') }} - {{ days }} as first_window_day

    from {{ ref('stg_retail__dispensaries') }}
{%- endmacro %}


{#
  The daily sales inside each store's window of `days` local days, joined to the view's
  `dispensaries` CTE (retail_stores_with_window); `condition` adds a filter. The constant
  floor lets the planner use the sale_date index before the per-store bound.
#}
{% macro retail_sales_in_window(days, condition=none) -%}
    select daily_sales.*
    from {{ ref('mv_daily_sales_estimates') }} as daily_sales
    inner join dispensaries
        on daily_sales.dispensary_id = dispensaries.dispensary_id
    where
        {% if condition -%}{{ condition }} and {% endif -%}
        daily_sales.sale_date >= {{ retail_local_window_floor(days) }}
        and daily_sales.sale_date >= dispensaries.first_window_day
{%- endmacro %}
