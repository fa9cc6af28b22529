{#
  "Now" for the marketplace KPI mart: now() when the view is refreshed, so the 30-day windows
  move with each daily refresh. Unit tests and back-fills pin it with the var
  `marketplace_as_of`, e.g. `overrides: {vars: {marketplace_as_of: '2025-06-10 06:00:00+00'}}`.
#}
{% macro marketplace_kpis_as_of() -%}
    {%- set as_of = var('marketplace_as_of', none) -%}
    {%- if as_of -%}
        '{{ as_of }}'::timestamptz
    {%- else -%}
        now()
    {%- endif -%}
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
