{#
  "Now" at refresh: now() when a view is refreshed, so windows and ages move with each
  refresh, or the timestamptz in var `var_name` when set: unit tests and back-fills pin the
  clock with it, e.g. `overrides: {vars: {<mart>_as_of: '2025-06-10 12:00:00+00'}}`.
#}
{% macro refresh_time(var_name) -%}
    {%- set as_of = var(var_name, none) -%}
    {%- if as_of -%}
        '{{ as_of }}'::timestamptz
    {%- else -%}
        now()
    {%- endif -%}
{%- endmacro %}
