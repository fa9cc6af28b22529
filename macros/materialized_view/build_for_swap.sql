{#
  The first transaction of a swap, committed while readers use the old view. False when only
  a dependant's copy failed and the view is to be refreshed concurrently instead.
#}
{% macro mv_build_for_swap(log_id, action, target, swap, model_sql, unique_key, can_fall_back, guards) %}
  {% call statement('mv_build') %}
    {{ mv_guarded_sql(log_id, action, swap.staging, swap.build, model_sql, unique_key, phase='build') }}
  {% endcall %}
  {%- set error = mv_log_outcome(log_id, expected='running') -%}
  {%- if error is none and swap.copies -%}
    {% call statement('mv_build_copies') %}
      {{ mv_guarded_sql(log_id, action, swap.staging, swap.copies, model_sql, [], phase='copies') }}
    {% endcall %}
    {%- set error = mv_log_outcome(log_id, expected='running') -%}
    {%- if error is not none and can_fall_back -%}
      {{ exceptions.warn(model.name ~ ": a view that depends on it could not be rebuilt on the new rows, so it is refreshed concurrently instead of swapped.\n" ~ error) }}
      {{ mv_drop_staging(swap.staging) }}
      {{ mv_log_fallback(log_id, 'swap fell back to REFRESH CONCURRENTLY: a dependant could not be rebuilt on the new rows: ' ~ error) }}
      {{ return(false) }}
    {%- endif -%}
  {%- endif -%}
  {%- if error is not none -%}
    {{ mv_drop_staging(swap.staging) }}
    {{ mv_fail(log_id, action, target, error, guards) }}
  {%- endif -%}
  {% do persist_docs(swap.staging, model) %}
  {% do apply_grants(swap.staging, mv_grants_for_existing_roles(config.get('grants')), should_revoke=false) %}
  {{ adapter.commit() }}
  {{ mv_begin() }}
  {{ return(true) }}
{% endmacro %}
