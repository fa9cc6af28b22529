{#
  How an unchanged view is refreshed: 'concurrently' (the default) or 'swap' (build anew and
  swap in, cheaper when most rows change). Refused early when it is anything else.
#}
{% macro mv_refresh_strategy() -%}
  {%- set strategy = config.get('refresh_strategy') or 'concurrently' -%}
  {%- if strategy not in ['concurrently', 'swap'] -%}
    {{ exceptions.raise_compiler_error(model.name ~ ": refresh_strategy must be 'concurrently' or 'swap', got '" ~ strategy ~ "'") }}
  {%- endif -%}
  {{ return(strategy) }}
{%- endmacro %}
