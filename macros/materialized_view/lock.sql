{#
  Overlapping runs wait for each other instead of failing or deadlocking: a lock per view, and
  the rebuild guards of the marts involved (mv_guards; docs/materialized-view.md, "Locks").
#}
{% macro mv_lock(relation, guards, session=false) %}
  {#- An explicit BEGIN: after the committed 'running' log row psycopg2 would send none, and
      transaction-level locks would end with this very statement (see mv_begin). -#}
  {%- set kind = 'pg_advisory_lock' if session else 'pg_advisory_xact_lock' -%}
  {% call statement('mv_lock') %}
    begin;
    select
    {%- for guard in guards %}
        {{ kind if guard.exclusive else kind ~ '_shared' }}(hashtext({{ mv_literal(mv_guard_key(guard.mart)) }})),
    {%- endfor %}
        {{ kind }}(hashtext({{ mv_literal('mv:' ~ relation.render()) }}))
  {% endcall %}
{% endmacro %}


{# Releases a swap's session locks (dbt's closing the connection would, too). #}
{% macro mv_unlock(relation, guards) %}
  {% call statement('mv_unlock') %}
    select
    {%- for guard in guards %}
        {{ 'pg_advisory_unlock' if guard.exclusive else 'pg_advisory_unlock_shared' }}(hashtext({{ mv_literal(mv_guard_key(guard.mart)) }})),
    {%- endfor %}
        pg_advisory_unlock(hashtext({{ mv_literal('mv:' ~ relation.render()) }}))
  {% endcall %}
{% endmacro %}


{# The advisory lock key of a mart's rebuild guard. #}
{% macro mv_guard_key(mart) -%}
  {{ return('mv_rebuild_guard:' ~ mart) }}
{%- endmacro %}
