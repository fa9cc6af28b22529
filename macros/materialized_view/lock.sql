{#
  Two dbt invocations on one view (an hourly and a daily schedule overlapping) must wait for
  each other, not fail. Each view has an advisory lock. A rebuild or swap also drops and
  recreates the views that depend on it, so it takes a project-wide lock exclusively while
  refreshes take it shared: a refresh that reads a view being rebuilt can then never hold a
  lock the rebuild needs (which would be a deadlock).
  A refresh holds its locks for its one transaction. A swap spans two transactions (build,
  then swap), so it holds session locks (always exclusive), released by mv_unlock or,
  whatever happens, when dbt closes the model's connection at the end of the model.
#}
{% macro mv_lock(relation, exclusive, session=false) %}
  {#- The materialization commits its 'running' log row first; psycopg2 then believes a
      transaction is still open and sends no BEGIN, so every later statement would commit on
      its own and these transaction-level locks would end with this very statement. An
      explicit BEGIN makes the lock, the work and the grants one transaction, held until the
      materialization's final commit (and rolled back if dbt is killed). -#}
  {%- set kind = 'pg_advisory_lock' if session else 'pg_advisory_xact_lock' -%}
  {% call statement('mv_lock') %}
    begin;
    select {{ kind if exclusive else kind ~ '_shared' }}(hashtext('mv_rebuild_guard')),
           {{ kind }}(hashtext({{ mv_literal('mv:' ~ relation.render()) }}))
  {% endcall %}
{% endmacro %}

{% macro mv_unlock(relation) %}
  {% call statement('mv_unlock') %}
    select pg_advisory_unlock(hashtext('mv_rebuild_guard')),
           pg_advisory_unlock(hashtext({{ mv_literal('mv:' ~ relation.render()) }}))
  {% endcall %}
{% endmacro %}
