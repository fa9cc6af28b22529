{#
  "Now" at refresh: the refresh's transaction time, so windows and ages move with each
  refresh, or the timestamptz in var `var_name` when set: unit tests and back-fills pin the
  clock with it, e.g. `overrides: {vars: {<mart>_as_of: '2025-06-10 12:00:00+00'}}`.
  Without the var, the setting `analytics.as_of` pins it at run time, the SQL unchanged:
  the proof of sameness of an incremental model recomputes it as of its last run, and tests
  step the clock with PGOPTIONS='-c analytics.as_of=...' without a rebuild.
#}
{% macro refresh_time(var_name) -%}
    {%- set as_of = var(var_name, none) -%}
    {%- if as_of -%}
        '{{ as_of }}'::timestamptz
    {%- else -%}
        coalesce(nullif(current_setting('analytics.as_of', true), '')::timestamptz, now())
    {%- endif -%}
{%- endmacro %}
