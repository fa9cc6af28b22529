{#
  skip_refresh_when_unchanged counts the writes to each table a view reads: a statement-level
  trigger on the table appends one row per write statement to <meta>.source_changes, in the
  writer's own transaction, so a write is counted exactly when it commits. The trigger is
  named after the meta schema, so two projects' triggers on one table do not replace each
  other. Why this is exact, and its caveats: docs/materialized-view.md, "Skipping a refresh
  when no source changed".
#}
{% macro mv_change_trigger_name() -%}
  {{ return(('mv_changes__' ~ mv_meta_schema())[:63]) }}
{%- endmacro %}


{#
  True for a pg_trigger row `t` that is our change trigger as installed: AFTER ... FOR EACH
  STATEMENT on insert, update, delete and truncate (tgtype 4 + 8 + 16 + 32 = 60), no column
  list, no WHEN, calling mv_source_changed. Whether it is enabled is checked apart.
#}
{% macro mv_change_trigger_ok_sql(t) -%}
  {{ t }}.tgname = {{ mv_literal(mv_change_trigger_name()) }}
  and {{ t }}.tgfoid = {{ mv_literal(mv_meta_schema() ~ '.mv_source_changed()') }}::regprocedure
  and {{ t }}.tgtype = 60 and {{ t }}.tgqual is null and {{ t }}.tgattr = ''::int2vector
{%- endmacro %}


{#
  The trigger function (SECURITY DEFINER with a fixed search_path: writers need no privilege
  on the meta schema, and nothing they set can redirect it) and mv_track_source, which
  installs the trigger on a table. Run by mv_meta_ensure.
#}
{% macro mv_change_functions_sql() -%}
  {%- set meta = adapter.quote(mv_meta_schema()) -%}
  {%- set trigger = mv_literal(mv_change_trigger_name()) -%}
      create or replace function {{ meta }}.mv_source_changed() returns trigger
          language plpgsql security definer set search_path = pg_catalog, pg_temp
      as $mv_fn$
      begin
          insert into {{ meta }}.source_changes (relid) values (tg_relid);
          return null;
      end
      $mv_fn$;
      revoke all on function {{ meta }}.mv_source_changed() from public;
      comment on function {{ meta }}.mv_source_changed() is 'Change trigger of skip_refresh_when_unchanged: one source_changes row per write statement.';
      {#- Installs (or repairs) the change trigger on p_table and returns null, or says why it
          could not. CREATE TRIGGER waits for the table's writers and blocks new ones, so each
          try gives up after a short lock_timeout; an advisory lock lets one run at a time
          install it, so a second run sees the first one's trigger and leaves it be (replacing
          it would change its marker). A table the role owns gets ENABLE ALWAYS, so the trigger
          also fires with session_replication_role = replica. -#}
      create or replace function {{ meta }}.mv_track_source(p_table regclass) returns text
          language plpgsql set search_path = pg_catalog, pg_temp
      as $mv_fn$
      declare
          v_lock_timeout text := current_setting('lock_timeout');
      begin
          perform pg_advisory_xact_lock(hashtext('mv_track_source:' || p_table::oid::text));
          for v_attempt in 1..50 loop
              begin
                  perform set_config('lock_timeout', '100ms', true);
                  if not exists (select 1 from pg_trigger t
                                 where t.tgrelid = p_table and {{ mv_change_trigger_ok_sql('t') }}) then
                      execute format('create or replace trigger %I after insert or update or delete or truncate'
                                     ' on %s for each statement execute function %s',
                                     {{ trigger }}, p_table, {{ mv_literal(meta ~ '.mv_source_changed()') }});
                  end if;
                  if pg_has_role((select relowner from pg_class where oid = p_table), 'USAGE')
                     and exists (select 1 from pg_trigger t
                                 where t.tgrelid = p_table and t.tgname = {{ trigger }} and t.tgenabled = 'O') then
                      execute format('alter table %s enable always trigger %I', p_table, {{ trigger }});
                  end if;
                  perform set_config('lock_timeout', v_lock_timeout, true);
                  return null;
              exception when lock_not_available then
                  perform pg_sleep(0.05);
              end;
          end loop;
          perform set_config('lock_timeout', v_lock_timeout, true);
          return 'writes kept the table busy, so its change trigger could not be installed (the next run tries again)';
      exception when others then
          return sqlerrm;
      end
      $mv_fn$;
      comment on function {{ meta }}.mv_track_source(regclass) is 'skip_refresh_when_unchanged: installs the change trigger on a table; null, or why it could not.';
{%- endmacro %}
