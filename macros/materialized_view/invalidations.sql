{#
  The invalidation log of refresh_strategy 'incremental': statement-level triggers on the
  model's source append (key, earliest changed time) per write statement to
  <meta>.mv_invalidations, in the writer's own transaction, so an entry becomes visible
  exactly when the rows it names do; TRUNCATE appends "rebuild everything".
  docs/materialized-view.md, "Incremental refresh".
#}
{% macro mv_invalidations_ddl_sql() -%}
  {%- set meta = adapter.quote(mv_meta_schema()) -%}
      create table if not exists {{ meta }}.mv_invalidations (
          relation  text not null,
          key       text[],
          from_time timestamptz,
          rebuild   boolean not null default false,
          xid       xid8 not null default pg_current_xact_id(),
          logged_at timestamptz not null default now()
      );
      alter table {{ meta }}.mv_invalidations add column if not exists until_time timestamptz;
      update {{ meta }}.mv_invalidations set until_time = from_time where until_time is null and not rebuild;
      create index if not exists mv_invalidations_relation_idx on {{ meta }}.mv_invalidations (relation);
      comment on column {{ meta }}.mv_invalidations.until_time is 'The latest changed time of the entry: it is consumed once the run''s clock has reached it (a row dated ahead counts when its time comes).';
      comment on table {{ meta }}.mv_invalidations is 'refresh_strategy incremental: per write statement on a model''s source, the keys it touched and the earliest time per key (rebuild = a TRUNCATE); consumed by the model''s next run.';
      {#- Installs a model's triggers on its source (insert, update, delete: each with its
          transition tables; truncate) and returns 'present', 'installed' (the log may have
          missed writes: the caller rebuilds) or why it could not. CREATE TRIGGER blocks the
          table's writers while it waits, so each try gives up after a short lock_timeout. -#}
      create or replace function {{ meta }}.mv_track_invalidations(p_source regclass, p_function regprocedure, p_prefix text)
          returns text language plpgsql set search_path = pg_catalog, pg_temp
      as $mv_fn$
      declare
          v_lock_timeout text := current_setting('lock_timeout');
          v_installed boolean := false;
          v_event text;
          v_name text;
      begin
          perform pg_advisory_xact_lock(hashtext('mv_track_invalidations:' || p_source::oid::text));
          for v_attempt in 1..50 loop
              begin
                  perform set_config('lock_timeout', '100ms', true);
                  foreach v_event in array array['insert', 'update', 'delete', 'truncate'] loop
                      v_name := left(p_prefix, 54) || '_' || v_event;
                      if not exists (select 1 from pg_trigger t
                                     where t.tgrelid = p_source and t.tgname = v_name
                                       and t.tgfoid = p_function and t.tgenabled <> 'D') then
                          execute format('create or replace trigger %I after %s on %s %s for each statement execute function %s()',
                                         v_name, v_event, p_source,
                                         case v_event when 'insert' then 'referencing new table as mv_new'
                                                      when 'update' then 'referencing old table as mv_old new table as mv_new'
                                                      when 'delete' then 'referencing old table as mv_old'
                                                      else '' end,
                                         p_function::regproc);
                          if pg_has_role((select relowner from pg_class where oid = p_source), 'USAGE') then
                              execute format('alter table %s enable always trigger %I', p_source, v_name);
                          end if;
                          v_installed := true;
                      end if;
                  end loop;
                  perform set_config('lock_timeout', v_lock_timeout, true);
                  return case when v_installed then 'installed' else 'present' end;
              exception when lock_not_available then
                  perform pg_sleep(0.05);
              end;
          end loop;
          perform set_config('lock_timeout', v_lock_timeout, true);
          return 'writes kept the table busy, so its invalidation triggers could not be installed';
      exception when others then
          return sqlerrm;
      end
      $mv_fn$;
      comment on function {{ meta }}.mv_track_invalidations(regclass, regprocedure, text) is 'refresh_strategy incremental: installs a model''s invalidation triggers on its source; present, installed, or why not.';
{%- endmacro %}


{# The name stem of a model's trigger function and triggers (one per model and source). #}
{% macro mv_invalidation_prefix(target) -%}
  {{ return('mv_inv__' ~ local_md5(mv_meta_schema() ~ ':' ~ target.schema ~ '.' ~ target.identifier)[:16]) }}
{%- endmacro %}


{#
  The model's trigger function: SECURITY DEFINER with a fixed search_path, so writers need no
  privilege on the meta schema. Keys are logged as text; one row per key and statement.
#}
{% macro mv_invalidation_function_sql(target, cfg) -%}
  {%- set meta = adapter.quote(mv_meta_schema()) -%}
  {%- set relation = mv_literal(target.schema ~ '.' ~ target.identifier) -%}
  {%- set key = [] -%}
  {%- for column in cfg.key -%}{%- do key.append(adapter.quote(column) ~ '::text') -%}{%- endfor -%}
  {%- set columns = (cfg.key + [cfg.source_time]) | map('string') | list -%}
  {%- set quoted = [] -%}
  {%- for column in columns -%}{%- do quoted.append(adapter.quote(column)) -%}{%- endfor -%}
  {%- set time = adapter.quote(cfg.source_time) -%}
  {%- set pick = 'select ' ~ relation ~ ', array[' ~ key | join(', ') ~ '], min(' ~ time ~ '), max(' ~ time ~ ')' -%}
  {%- set insert = 'insert into ' ~ meta ~ '.mv_invalidations (relation, key, from_time, until_time) ' -%}
  {#- Rows dated ahead of the writer's clock get an entry of their own, due when their time comes. -#}
  {%- set groups = ' group by 2, ' ~ time ~ ' > now()' -%}
create or replace function {{ meta }}.{{ mv_invalidation_prefix(target) }}() returns trigger
    language plpgsql security definer set search_path = pg_catalog, pg_temp
as $mv_fn$
begin
    if tg_op = 'TRUNCATE' then
        insert into {{ meta }}.mv_invalidations (relation, rebuild) values ({{ relation }}, true);
    elsif tg_op = 'INSERT' then
        {{ insert }}{{ pick }} from mv_new{{ groups }};
    elsif tg_op = 'DELETE' then
        {{ insert }}{{ pick }} from mv_old{{ groups }};
    else
        {{ insert }}{{ pick }} from (
            select {{ quoted | join(', ') }} from mv_old
            union all
            select {{ quoted | join(', ') }} from mv_new
        ) as changed{{ groups }};
    end if;
    return null;
end
$mv_fn$;
revoke all on function {{ meta }}.{{ mv_invalidation_prefix(target) }}() from public;
comment on function {{ meta }}.{{ mv_invalidation_prefix(target) }}() is {{ mv_literal('Invalidation trigger of ' ~ model.name ~ ' (refresh_strategy incremental) on ' ~ cfg.source) }}
{%- endmacro %}


{#
  Before the run takes its locks, each statement committed at once (no transaction is open
  here, see mv_lock): (re)creates the model's trigger function and makes sure its triggers
  are on the source. Returns 'present',
  'installed' or an error text.
#}
{% macro mv_track_invalidations(target, cfg) %}
  {%- set meta = adapter.quote(mv_meta_schema()) -%}
  {%- set function = meta ~ '.' ~ mv_invalidation_prefix(target) -%}
  {% call statement('mv_invalidation_function') %}
    select pg_advisory_xact_lock(hashtext({{ mv_literal('mv_invalidation_function:' ~ function) }}));
    {{ mv_invalidation_function_sql(target, cfg) }};
  {% endcall %}
  {%- set outcome = run_query('select ' ~ meta ~ '.mv_track_invalidations(' ~ mv_literal(cfg.source | string) ~ '::regclass, '
                              ~ mv_literal(function ~ '()') ~ '::regprocedure, ' ~ mv_literal(mv_invalidation_prefix(target)) ~ ')').columns[0].values()[0] -%}
  {{ return(outcome) }}
{% endmacro %}


{#
  What the log holds for the model now: slice count, slice-days up to today, and whether a
  TRUNCATE asked for a rebuild. The plan is re-read by the run itself; this decides between
  an incremental run and a rebuild.
#}
{% macro mv_invalidation_backlog(target, cfg) %}
  {%- set day = cfg.slice_day | replace('{time}', 'min(from_time)') -%}
  {%- set query -%}
    select count(*) as slices,
           coalesce(sum(greatest(({{ mv_run_clock_sql() }})::date - from_day, 0) + 1), 0) as slice_days,
           coalesce(bool_or(rebuild), false) as rebuild
    from (
        select key, {{ day }} as from_day, bool_or(rebuild) as rebuild
        from {{ adapter.quote(mv_meta_schema()) }}.mv_invalidations
        where relation = {{ mv_literal(target.schema ~ '.' ~ target.identifier) }}
          and (rebuild or until_time <= {{ mv_run_clock_sql() }})
        group by key
    ) as slices
  {%- endset -%}
  {%- set row = run_query(query).rows[0] -%}
  {{ return({'slices': row['slices'], 'slice_days': row['slice_days'], 'rebuild': row['rebuild']}) }}
{% endmacro %}


{#
  A model no longer incremental (or a table the project no longer keeps): its trigger
  function goes with its triggers (CASCADE), and its log entries with it, so writers stop
  logging for nobody. A no-op, one catalog lookup, when there is nothing to drop.
#}
{% macro mv_untrack_invalidations_sql(target) -%}
  {%- set meta = adapter.quote(mv_meta_schema()) -%}
  {%- set function = mv_meta_schema() ~ '.' ~ mv_invalidation_prefix(target) ~ '()' -%}
  do $mv_untrack$
  declare
      v_lock_timeout text := current_setting('lock_timeout');
  begin
      -- Dropping the triggers locks the source: short tries, so its readers and writers never
      -- queue behind it; a table kept busy is left to the next run.
      for v_attempt in 1..20 loop
          exit when to_regprocedure({{ mv_literal(function) }}) is null;
          begin
              perform set_config('lock_timeout', '100ms', true);
              drop function {{ meta }}.{{ mv_invalidation_prefix(target) }}() cascade;
              delete from {{ meta }}.mv_invalidations where relation = {{ mv_literal(target.schema ~ '.' ~ target.identifier) }};
          exception when lock_not_available then
              perform pg_sleep(0.05);
          end;
      end loop;
      perform set_config('lock_timeout', v_lock_timeout, true);
  end
  $mv_untrack$
{%- endmacro %}
