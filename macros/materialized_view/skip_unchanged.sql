{#
  The `skip_refresh_when_unchanged` config (default false): refresh only when a relation the
  view reads changed since its last refresh (docs/materialized-view.md, "Skipping a refresh
  when no source changed"). Refused early when it is not a boolean.
#}
{% macro mv_skip_unchanged() -%}
  {%- set value = config.get('skip_refresh_when_unchanged') -%}
  {%- if value is none -%}{{ return(false) }}{%- endif -%}
  {%- if value is not sameas true and value is not sameas false -%}
    {{ exceptions.raise_compiler_error(model.name ~ ": skip_refresh_when_unchanged must be true or false, got '" ~ value ~ "'") }}
  {%- endif -%}
  {{ return(value) }}
{%- endmacro %}
