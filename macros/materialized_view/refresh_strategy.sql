{#
  How an unchanged view is refreshed: 'concurrently' (the default), 'swap' (build anew and
  swap in, cheaper when most rows change) or 'incremental' (a table kept up to date from its
  source's invalidation log). Refused early when it is anything else.
#}
{% macro mv_refresh_strategy() -%}
  {%- set strategy = config.get('refresh_strategy') or 'concurrently' -%}
  {%- if strategy not in ['concurrently', 'swap', 'incremental'] -%}
    {{ exceptions.raise_compiler_error(model.name ~ ": refresh_strategy must be 'concurrently', 'swap' or 'incremental', got '" ~ strategy ~ "'") }}
  {%- endif -%}
  {{ return(strategy) }}
{%- endmacro %}


{# The relation kind the strategy keeps: a table for 'incremental', else a materialized view. #}
{% macro mv_relation_kind() -%}
  {{ return('r' if mv_refresh_strategy() == 'incremental' else 'm') }}
{%- endmacro %}
