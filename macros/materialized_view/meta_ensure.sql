{# The version of the meta tables' DDL, kept as the comment of mv_status. #}
{% macro mv_meta_version() -%}
  {{ return('mv_meta v5') }}
{%- endmacro %}

{#
  Creates the refresh log, mv_state and the mv_status view on first use (and when their
  version changed), under an advisory lock because parallel dbt threads race on DDL. Columns
  added by a later version are added with `add column if not exists`, so a database of an
  older version is upgraded in place. The change counters of skip_refresh_when_unchanged
  (source_changes, source_change_counts and the two functions) are described in
  docs/materialized-view.md, "Skipping a refresh when no source changed".
#}
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
          backend_pid      integer not null default pg_backend_pid(),
          note             text,
          skip_reason      text
      );
      alter table {{ meta }}.refresh_log add column if not exists skip_reason text;
      alter table {{ meta }}.refresh_log add column if not exists slices integer;
      alter table {{ meta }}.refresh_log add column if not exists rows_deleted bigint;
      alter table {{ meta }}.refresh_log add column if not exists rows_inserted bigint;
      comment on column {{ meta }}.refresh_log.slices is 'refresh_incremental: the (key, from-day) slices recomputed.';
      comment on column {{ meta }}.refresh_log.rows_deleted is 'refresh_incremental: rows deleted (the slices'' old rows and the days that left the window).';
      comment on column {{ meta }}.refresh_log.rows_inserted is 'refresh_incremental: the slices'' new rows.';
      comment on column {{ meta }}.refresh_log.skip_reason is 'Why a skip did nothing: unchanged (no source changed), fresh (rebuilt earlier in this run with its upstream) or configuration (on_configuration_change: continue).';
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
          source_markers jsonb,
          primary key (schema_name, relation_name)
      );
      alter table {{ meta }}.mv_state add column if not exists source_markers jsonb;
      alter table {{ meta }}.mv_state add column if not exists model_sql text;
      alter table {{ meta }}.mv_state add column if not exists incremental jsonb;
      alter table {{ meta }}.mv_state add column if not exists as_of timestamptz;
      comment on column {{ meta }}.mv_state.as_of is 'The clock of the last run (now(), or the setting analytics.as_of that pins it; see refresh_time).';
      comment on column {{ meta }}.mv_state.model_sql is 'refresh_strategy incremental: the compiled SQL, which the proof of sameness recomputes in full.';
      comment on column {{ meta }}.mv_state.incremental is 'refresh_strategy incremental: the key and time columns of its slices.';
      {{ mv_invalidations_ddl_sql() }}
      {{ mv_proof_function_sql() }}
      comment on table {{ meta }}.mv_state is 'What each materialized view was last built from (fingerprint of its compiled SQL and indexes) and the relation OID built.';
      comment on column {{ meta }}.mv_state.source_markers is 'skip_refresh_when_unchanged: the change marker of each relation the view reads, read just before its last refresh.';
      create table if not exists {{ meta }}.source_changes (
          relid      oid not null,
          changed_at timestamptz not null default now()
      );
      create index if not exists source_changes_relid_idx on {{ meta }}.source_changes (relid);
      comment on table {{ meta }}.source_changes is 'One row per write statement (insert, update, delete, truncate) on a table a view with skip_refresh_when_unchanged reads, appended by its change trigger.';
      create table if not exists {{ meta }}.source_change_counts (
          relid   oid primary key,
          changes bigint not null
      );
      comment on table {{ meta }}.source_change_counts is 'Per relation: the source_changes rows compacted away, and the refreshes of each materialized view. A change marker counts these plus the rows left.';
      {{ mv_change_functions_sql() }}
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
      ),
      last_incremental as (
          select distinct on (l.relation) l.relation, l.finished_at, l.slices
          from {{ meta }}.refresh_log l
          where l.status = 'success' and l.action = 'refresh_incremental'
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
          ls.finished_at as last_success_at,
          case c.relkind when 'm' then 'materialized view' when 'r' then 'incremental table' end as kind,
          li.slices as last_slices,
          li.finished_at as last_incremental_at
      from {{ meta }}.mv_state s
      left join pg_namespace n on n.nspname = s.schema_name
      left join pg_class c on c.relnamespace = n.oid and c.relname = s.relation_name and c.relkind in ('m', 'r')
      left join last_run lr on lr.relation = s.schema_name || '.' || s.relation_name
      left join last_success ls on ls.relation = s.schema_name || '.' || s.relation_name
      left join last_incremental li on li.relation = s.schema_name || '.' || s.relation_name;
      comment on view {{ meta }}.mv_status is {{ version }};
    end
    $mv_meta$
  {% endcall %}
{% endmacro %}
