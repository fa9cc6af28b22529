{# "Now" for the retail mart: the refresh time, pinned by the var `retail_as_of`. #}
{% macro retail_refresh_time() -%}
    {{ refresh_time('retail_as_of') }}
{%- endmacro %}


{# The calendar day (in var `retail_time_zone`) of the refresh time. #}
{% macro retail_refresh_date() -%}
    ({{ retail_refresh_time() }} at time zone '{{ var("retail_time_zone", "UTC") }}')::date
{%- endmacro %}


{# The calendar day (in var `retail_time_zone`) of a timestamptz expression. #}
{% macro retail_day_of(timestamp_expression) -%}
    ({{ timestamp_expression }} at time zone '{{ var("retail_time_zone", "UTC") }}')::date
{%- endmacro %}


{# The first instant of a calendar day (a date expression) in var `retail_time_zone`. #}
{% macro retail_day_start(date_expression) -%}
    (({{ date_expression }})::timestamp at time zone '{{ var("retail_time_zone", "UTC") }}')
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
