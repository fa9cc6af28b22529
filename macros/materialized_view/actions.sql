{#
  The statements of each action, as lists for mv_guarded_sql. Nothing here runs anything.
    create   first build: the view WITH DATA and its indexes, in one go (no manual REFRESH);
    refresh  unchanged definition: CONCURRENTLY when a unique index allows it, so readers
             are never blocked; a plain REFRESH otherwise;
    rebuild  changed definition, index set, relation kind or --full-refresh: build the new
             view under a temporary name with its indexes, then drop the dependants, swap,
             and recreate the dependants on the new view, all in one transaction.
#}
{% macro mv_create_sql(relation, sql, indexes) -%}
  {%- set statements = ['create materialized view ' ~ relation ~ ' as\n' ~ sql ~ '\nwith data'] -%}
  {%- for index in indexes -%}
    {%- do statements.append(mv_index_create_sql(relation, index)) -%}
  {%- endfor -%}
  {{ return(statements) }}
{%- endmacro %}


{% macro mv_refresh_sql(relation, concurrently) -%}
  {{ return(['refresh materialized view ' ~ ('concurrently ' if concurrently else '') ~ relation]) }}
{%- endmacro %}


{% macro mv_rebuild_sql(existing, target, sql, indexes, dependants) -%}
  {%- set staging = mv_sibling(target, '__mv_new') -%}
  {%- set statements = ['drop materialized view if exists ' ~ staging] -%}
  {%- do statements.extend(mv_create_sql(staging, sql, [])) -%}
  {%- for index in indexes -%}
    {%- do statements.append(mv_index_create_sql(staging, index, mv_staging_index_name(index))) -%}
  {%- endfor -%}
  {%- for dependant in dependants | reverse -%}
    {%- do statements.append(dependant.drop_sql) -%}
  {%- endfor -%}
  {%- do statements.append('drop ' ~ mv_kind_word(existing.kind) ~ ' ' ~ target) -%}
  {%- do statements.append('alter materialized view ' ~ staging ~ ' rename to ' ~ adapter.quote(target.identifier)) -%}
  {%- for index in indexes -%}
    {%- do statements.append('alter index ' ~ adapter.quote(target.schema) ~ '.' ~ adapter.quote(mv_staging_index_name(index))
                             ~ ' rename to ' ~ adapter.quote(index.name)) -%}
  {%- endfor -%}
  {%- for dependant in dependants -%}
    {%- do statements.extend(dependant.create_sql) -%}
    {%- if dependant.kind == 'm' -%}
      {%- do statements.append(mv_dependant_rebuilt_sql(dependant)) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(statements) }}
{%- endmacro %}


{# A recreated dependant is a new OID built from the same model: keep its state valid and log it. #}
{% macro mv_dependant_rebuilt_sql(dependant) -%}
  {%- set meta = adapter.quote(mv_meta_schema()) -%}
  {%- set name = adapter.quote(dependant.schema) ~ '.' ~ adapter.quote(dependant.name) -%}
  with state as (
      update {{ meta }}.mv_state set relation_oid = {{ mv_literal(name) }}::regclass, updated_at = now()
       where schema_name = {{ mv_literal(dependant.schema) }} and relation_name = {{ mv_literal(dependant.name) }}
      returning model
  )
  insert into {{ meta }}.refresh_log
      (model, relation, action, status, finished_at, duration_seconds, rows_after, invocation_id, error)
  select coalesce((select model from state), {{ mv_literal(dependant.name) }}),
         {{ mv_literal(dependant.schema ~ '.' ~ dependant.name) }}, 'rebuild', 'success', clock_timestamp(), 0,
         (select count(*) from {{ name }}), {{ mv_literal(invocation_id) }},
         {{ mv_literal('recreated on the rebuilt ' ~ model.name ~ ' (dependant)') }}
{%- endmacro %}


{% macro mv_sibling(relation, suffix) -%}
  {{ return(relation.incorporate(path={'identifier': relation.identifier[:63 - suffix | length] ~ suffix},
                                 type='materialized_view')) }}
{%- endmacro %}


{% macro mv_staging_index_name(index) -%}
  {{ return('mv_new_' ~ local_md5(index.name)[:20]) }}
{%- endmacro %}


{% macro mv_kind_word(kind) -%}
  {{ return({'m': 'materialized view', 'v': 'view', 'r': 'table', 'p': 'table', 'f': 'foreign table'}[kind]) }}
{%- endmacro %}
