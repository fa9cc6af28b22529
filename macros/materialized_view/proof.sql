{#
  The proof of sameness of refresh_strategy 'incremental': recompute the whole model into a
  temporary table and count the rows that differ, both ways (EXCEPT ALL). Keys with log
  entries not yet consumed are left out (their rows are due at the next run); the clock is
  set back to the last run's (setting analytics.as_of, see refresh_time).
  Run by the data test `matches_full_recomputation`; created by mv_meta_ensure.
#}
{% macro mv_proof_function_sql() -%}
  {%- set meta = adapter.quote(mv_meta_schema()) -%}
      create or replace function {{ meta }}.mv_incremental_differences(p_relation regclass)
          returns table (rows_missing bigint, rows_extra bigint, pending_keys bigint)
          language plpgsql set search_path = pg_catalog, pg_temp
      as $mv_fn$
      declare
          v_state record;
          v_key text;
          v_pending text;
      begin
          select s.* into v_state from {{ meta }}.mv_state s
           where s.relation_oid = p_relation::oid and s.model_sql is not null;
          if not found then
              raise exception 'mv_incremental_differences: % is not a model built with refresh_strategy incremental', p_relation;
          end if;
          select string_agg(format('t.%I::text', k), ', ') into v_key
            from jsonb_array_elements_text(v_state.incremental -> 'key') as k;
          v_pending := format('%L', v_state.schema_name || '.' || v_state.relation_name);
          perform set_config({{ mv_literal(mv_slices_setting()) }}, '', true);
          -- The clock of the last run, so windows match.
          perform set_config('analytics.as_of', v_state.as_of::text, true);
          if to_regclass('pg_temp.mv_proof_full') is not null then drop table pg_temp.mv_proof_full; end if;
          if to_regclass('pg_temp.mv_proof_pending') is not null then drop table pg_temp.mv_proof_pending; end if;
          execute 'create temp table mv_proof_full as ' || v_state.model_sql;
          execute format('create temp table mv_proof_pending as select distinct key from {{ meta }}.mv_invalidations where relation = %s', v_pending);
          if exists (select 1 from pg_temp.mv_proof_pending where key is null) then
              return query select null::bigint, null::bigint, (select count(*) from pg_temp.mv_proof_pending);
              return;
          end if;
          return query execute format($q$
              with full_rows as (
                  select t.* from pg_temp.mv_proof_full t
                  where array[%1$s] not in (select key from pg_temp.mv_proof_pending)
              ),
              kept_rows as (
                  select t.* from %2$s t
                  where array[%1$s] not in (select key from pg_temp.mv_proof_pending)
              )
              select (select count(*) from (select * from full_rows except all select * from kept_rows) as m),
                     (select count(*) from (select * from kept_rows except all select * from full_rows) as e),
                     (select count(*) from pg_temp.mv_proof_pending)$q$,
              v_key, p_relation);
          drop table pg_temp.mv_proof_full, pg_temp.mv_proof_pending;
      end
      $mv_fn$;
      comment on function {{ meta }}.mv_incremental_differences(regclass) is 'refresh_strategy incremental: rows of a full recomputation missing from the table, rows of the table not in it, and keys left out because their changes are not consumed yet.';
{%- endmacro %}
