{#
  "Now" for the marketplace KPI mart: the refresh time, so the 30-day windows move with each
  daily refresh, pinned by the var `marketplace_as_of`.
#}
{% macro marketplace_kpis_as_of() -%}
    {{ refresh_time('marketplace_as_of') }}
{%- endmacro %}


{#
  The first day of the month of a timestamptz, read in var `marketplace_time_zone`: explicit,
  so the session's time zone never moves a request across a month boundary.
#}
{% macro marketplace_kpis_month_of(timestamp_expression) -%}
    date_trunc('month', {{ timestamp_expression }} at time zone '{{ var("marketplace_time_zone") }}')::date
{%- endmacro %}


{# The first instant of the advisors' window: var `marketplace_window_days` before "now". #}
{% macro marketplace_kpis_window_start() -%}
    {%- set days = var('marketplace_window_days') | int -%}
    {%- if days < 1 -%}
        {{ exceptions.raise_compiler_error("var marketplace_window_days must be a positive number of days, got " ~ var('marketplace_window_days')) }}
    {%- endif -%}
    ({{ marketplace_kpis_as_of() }} - interval '{{ days }} days')
{%- endmacro %}
