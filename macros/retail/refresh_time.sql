{#
  "Now" for the retail mart. A materialized view evaluates now() each time it is refreshed,
  so its windows move with the refresh. Unit tests (and back-fills) pin the clock instead with
  the var `retail_as_of`, e.g. `overrides: {vars: {retail_as_of: '2025-06-10 12:00:00+00'}}`.
  Kept beside the generic tests because it exists so tests can fix time.
#}
{% macro retail_refresh_time() -%}
    {%- set as_of = var('retail_as_of', none) -%}
    {%- if as_of -%}
        '{{ as_of }}'::timestamptz
    {%- else -%}
        now()
    {%- endif -%}
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
