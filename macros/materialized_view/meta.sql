{#
  The materialization's own bookkeeping, in the schema named by var('mv_meta_schema'):
    refresh_log  one row per create / refresh / rebuild / skip, written as it happens, so a
                 failure or a killed run is on record even though its work was rolled back;
    mv_state     per view: the fingerprint of what it was built from and the OID built, so a
                 changed definition (or a view replaced behind dbt's back) is rebuilt;
    mv_status    per view: exists, populated, rows, size, indexes and its last refresh.
  Created on first use, under an advisory lock because parallel dbt threads race on DDL.
#}

{% macro mv_meta_schema() -%}
  {{ return(var('mv_meta_schema', 'analytics_meta')) }}
{%- endmacro %}

{% macro mv_meta_version() -%}
  {{ return('mv_meta v2') }}
{%- endmacro %}

{% macro mv_meta_ensure() %}
  {%- set meta = adapter.quote(mv_meta_schema()) -%}
  {%- set version = mv_literal(mv_meta_version()) -%}
  {% call statement('mv_meta_ensure') %}
    do $mv_meta$
    begin
      perform pg_advisory_xact_lock(hashtext('mv_meta_ensure'));
      if to_regclass({{ mv_literal(mv_meta_schema() ~ '.mv_status') }}) is not null
         and obj_description(to_regclass({{ mv_literal(mv_meta_schema() ~ '.mv_status') }}), 'pg_class') = {{ version }} then
        return;
      end if;
      create schema if not exists {{ meta }};
      create table if not exists {{ meta }}.refresh_log (
          id               bigserial primary key,
          model            text not null,
          relation         text not null,
          action           text,
          status           text not null default 'running',
          started_at       timestamptz not null default clock_timestamp(),
          finished_at      timestamptz,
          duration_seconds double precision,
          rows_after       bigint,
          error            text,
          invocation_id    text,
          backend_pid      integer not null default pg_backend_pid()
      );
      alter table {{ meta }}.refresh_log add column if not exists note text;
      create index if not exists refresh_log_relation_idx on {{ meta }}.refresh_log (relation, id desc);
      comment on table {{ meta }}.refresh_log is 'Every create / refresh / rebuild / skip of a materialized view by the materialized_view materialization, with its outcome.';
      create table if not exists {{ meta }}.mv_state (
          schema_name   text not null,
          relation_name text not null,
          model         text not null,
          relation_oid  oid not null,
          fingerprint   text not null,
          unique_key    text,
          updated_at    timestamptz not null default now(),
          primary key (schema_name, relation_name)
      );
      comment on table {{ meta }}.mv_state is 'What each materialized view was last built from (fingerprint of its compiled SQL and indexes) and the relation OID built.';
      create or replace view {{ meta }}.mv_status as
      with last_run as (
          select distinct on (l.relation) l.*
          from {{ meta }}.refresh_log l
          order by l.relation, l.id desc
      ),
      last_success as (
          select distinct on (l.relation) l.relation, l.finished_at, l.rows_after
          from {{ meta }}.refresh_log l
          where l.status = 'success' and l.rows_after is not null
          order by l.relation, l.id desc
      )
      select
          s.schema_name,
          s.relation_name,
          s.model,
          c.oid is not null as exists,
          coalesce(c.relispopulated, false) as populated,
          ls.rows_after as row_count,
          case when c.oid is not null then pg_total_relation_size(c.oid) end as total_bytes,
          array(
              select i.relname::text from pg_index x join pg_class i on i.oid = x.indexrelid
              where x.indrelid = c.oid order by i.relname
          ) as index_names,
          s.unique_key,
          lr.action as last_action,
          lr.status as last_status,
          lr.started_at as last_started_at,
          lr.finished_at as last_finished_at,
          lr.duration_seconds as last_duration_seconds,
          case when lr.status <> 'success' then lr.error end as last_error,
          ls.finished_at as last_success_at
      from {{ meta }}.mv_state s
      left join pg_namespace n on n.nspname = s.schema_name
      left join pg_class c on c.relnamespace = n.oid and c.relname = s.relation_name and c.relkind = 'm'
      left join last_run lr on lr.relation = s.schema_name || '.' || s.relation_name
      left join last_success ls on ls.relation = s.schema_name || '.' || s.relation_name;
      comment on view {{ meta }}.mv_status is {{ version }};
    end
    $mv_meta$
  {% endcall %}
{% endmacro %}


{# A SQL string literal, and a comma-separated list of them. #}
{% macro mv_literal(text) -%}
  {{ return("'" ~ (text | string | replace("'", "''")) ~ "'") }}
{%- endmacro %}


{% macro mv_literal_list(values) -%}
  {%- set literals = [] -%}
  {%- for value in values -%}{%- do literals.append(mv_literal(value)) -%}{%- endfor -%}
  {{ return(literals | join(', ') if literals else 'null') }}
{%- endmacro %}



{#
  The `grants` config without the roles this server does not have, each named in a warning:
  a missing role cannot fail a refresh, and a grant not made only ever means less access.
#}
{% macro mv_grants_for_existing_roles(grant_config) -%}
  {%- if not grant_config -%}{{ return(grant_config) }}{%- endif -%}
  {%- set wanted = [] -%}
  {%- for grantees in grant_config.values() -%}{%- do wanted.extend(grantees) -%}{%- endfor -%}
  {%- if wanted | length == 0 -%}{{ return(grant_config) }}{%- endif -%}
  {%- set existing = run_query("select rolname from pg_roles where rolname in ("
                               ~ mv_literal_list(wanted | unique | list) ~ ")").columns[0].values() | list -%}
  {%- set kept = {} -%}
  {%- for privilege, grantees in grant_config.items() -%}
    {%- for grantee in grantees if grantee not in existing -%}
      {{ exceptions.warn(model.name ~ ": role " ~ grantee ~ " does not exist, so " ~ privilege ~ " is not granted to it (create it, e.g. `analytics db migrate`)") }}
    {%- endfor -%}
    {%- do kept.update({privilege: grantees | select('in', existing) | list}) -%}
  {%- endfor -%}
  {{ return(kept) }}
{%- endmacro %}
