{# What this run does to the view, from what is in the database and the model's fingerprint. #}
{% macro mv_choose_action(existing, fingerprint) -%}
  {%- if existing is none -%}
    {{ return('create') }}
  {%- elif should_full_refresh() or existing.kind != mv_relation_kind() -%}
    {{ return('rebuild') }}
  {%- elif existing.fingerprint != fingerprint or existing.built_oid != existing.oid -%}
    {%- set on_change = config.get('on_configuration_change') or 'apply' -%}
    {{ return({'apply': 'rebuild', 'continue': 'skip', 'fail': 'fail'}.get(on_change, 'rebuild')) }}
  {%- endif -%}
  {%- set strategy = mv_refresh_strategy() -%}
  {%- if mv_rebuilt_in_this_run(this, existing.oid) -%}
    {{ return('skip_fresh') }}
  {%- elif strategy == 'swap' -%}
    {{ return('refresh_swap') }}
  {%- elif strategy == 'incremental' -%}
    {{ return('refresh_incremental') }}
  {%- elif existing.has_unique_index and existing.populated -%}
    {{ return('refresh_concurrently') }}
  {%- endif -%}
  {{ return('refresh') }}
{%- endmacro %}
