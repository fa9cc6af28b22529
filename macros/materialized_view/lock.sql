{#
  Two dbt invocations on one view (an hourly and a daily schedule overlapping) must wait for
  each other, not fail. Each view has a transaction-level advisory lock. A rebuild also drops
  and recreates the views that depend on it, so it takes a project-wide lock exclusively while
  refreshes take it shared: a refresh that reads a view being rebuilt can then never hold a
  lock the rebuild needs (which would be a deadlock).
#}
{% macro mv_lock(relation, exclusive) %}
  {#- The materialization commits its 'running' log row first; psycopg2 then believes a
      transaction is still open and sends no BEGIN, so every later statement would commit on
      its own and these transaction-level locks would end with this very statement. An
      explicit BEGIN makes the lock, the work and the grants one transaction, held until the
      materialization's final commit (and rolled back if dbt is killed). -#}
  {% call statement('mv_lock') %}
    begin;
    select {{ 'pg_advisory_xact_lock' if exclusive else 'pg_advisory_xact_lock_shared' }}(hashtext('mv_rebuild_guard')),
           pg_advisory_xact_lock(hashtext({{ mv_literal('mv:' ~ relation.render()) }}))
  {% endcall %}
{% endmacro %}
