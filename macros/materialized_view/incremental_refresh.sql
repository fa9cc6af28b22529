{#
  An incremental run as statements for the guarded block (phase 'incremental'), in one
  transaction: consume the model's log entries into slices (key, from_day), pass them to the
  model's SQL, replace those slices' rows, drop the rows that left the window. Row locks only:
  readers see the old or the new slices, never a mix, and are never blocked.
#}
{% macro mv_incremental_sql(target, cfg, model_sql, column_types) -%}
  {%- set meta = adapter.quote(mv_meta_schema()) -%}
  {%- set relation = mv_literal(target.schema ~ '.' ~ target.identifier) -%}
  {%- set time_column = adapter.quote(cfg.time_column) -%}
  {%- set pairs = [] -%}
  {%- set matches = [] -%}
  {%- for column in cfg.key -%}
    {%- if column not in column_types -%}
      {{ exceptions.raise_compiler_error(model.name ~ ": config incremental.key names " ~ column ~ ", which is not a column of " ~ target) }}
    {%- endif -%}
    {%- do pairs.append(mv_literal(column) ~ ', key[' ~ loop.index ~ ']') -%}
    {%- do matches.append('t.' ~ adapter.quote(column) ~ ' = (s.key[' ~ loop.index ~ '])::' ~ column_types[column]) -%}
  {%- endfor -%}
  {%- set columns = [] -%}
  {%- for column in column_types -%}{%- do columns.append(adapter.quote(column)) -%}{%- endfor -%}
  {%- set statements = [] -%}
  {#- 1. Consume the entries committed before this statement and due by the run's clock; the
      others wait for a later run. -#}
  {%- do statements.append(
      'create temp table mv_run_slices on commit drop as\n'
      ~ 'with consumed as (delete from ' ~ meta ~ '.mv_invalidations where relation = ' ~ relation
      ~ ' and not rebuild and until_time <= ' ~ mv_run_clock_sql() ~ ' returning key, from_time)\n'
      ~ 'select key, ' ~ cfg.slice_day | replace('{time}', 'min(from_time)') ~ ' as from_day from consumed group by key') -%}
  {#- 2. Tell the model's SQL which slices to compute (see mv_slices). -#}
  {%- do statements.append(
      "select set_config(" ~ mv_literal(mv_slices_setting()) ~ ", (select coalesce(jsonb_agg(jsonb_build_object("
      ~ pairs | join(', ') ~ ", 'from_day', from_day)), '[]'::jsonb)::text from mv_run_slices), true)") -%}
  {#- 3. The slices' new rows, computed before anything is deleted. -#}
  {%- do statements.append('create temp table mv_run_rows on commit drop as\n' ~ model_sql) -%}
  {#- 4. Replace the slices' rows: only rows inside a slice are written, whatever the SQL returned. -#}
  {%- do statements.append('delete from ' ~ target ~ ' as t using mv_run_slices as s where '
                           ~ matches | join(' and ') ~ ' and t.' ~ time_column ~ ' >= s.from_day') -%}
  {%- do statements.append('delete from ' ~ target ~ ' as t where ' ~ (cfg.expired or 'false')) -%}
  {%- do statements.append('insert into ' ~ target ~ ' (' ~ columns | join(', ') ~ ')\nselect '
                           ~ columns | join(', ') ~ ' from mv_run_rows as t\nwhere exists (select 1 from mv_run_slices as s where '
                           ~ matches | join(' and ') ~ ' and t.' ~ time_column ~ ' >= s.from_day)') -%}
  {%- do statements.append("select set_config(" ~ mv_literal(mv_slices_setting()) ~ ", '', true)") -%}
  {{ return(statements) }}
{%- endmacro %}


{#
  After a create or rebuild: the log entries whose writes the build saw (visible in the
  snapshot taken before it) and whose time has come are consumed; the others are recomputed
  by a later run.
#}
{% macro mv_invalidations_consumed_sql(target, snapshot) -%}
  delete from {{ adapter.quote(mv_meta_schema()) }}.mv_invalidations
   where relation = {{ mv_literal(target.schema ~ '.' ~ target.identifier) }}
     and pg_visible_in_snapshot(xid, {{ mv_literal(snapshot) }}::pg_snapshot)
     and (rebuild or until_time <= {{ mv_run_clock_sql() }})
{%- endmacro %}


{#
  Whether an incremental run must become a rebuild, and why: its triggers were just
  installed (writes before them were not logged), a TRUNCATE asked for it, or the backlog is
  larger than full_rebuild_above slice-days (a backfill: rebuilding costs less).
#}
{% macro mv_incremental_plan(action, target, cfg, tracked) -%}
  {%- if action != 'refresh_incremental' -%}
    {{ return({'action': action, 'note': none}) }}
  {%- endif -%}
  {%- if tracked == 'installed' -%}
    {{ return({'action': 'rebuild', 'note': 'rebuilt: its invalidation triggers were (re)installed, so earlier writes were not logged'}) }}
  {%- endif -%}
  {%- set backlog = mv_invalidation_backlog(target, cfg) -%}
  {%- if backlog.rebuild -%}
    {{ return({'action': 'rebuild', 'note': 'rebuilt: its source was truncated'}) }}
  {%- elif backlog.slice_days > cfg.full_rebuild_above -%}
    {{ return({'action': 'rebuild', 'note': 'rebuilt: ' ~ backlog.slices ~ ' slices to recompute (' ~ backlog.slice_days
               ~ ' slice-days) exceed incremental.full_rebuild_above = ' ~ cfg.full_rebuild_above}) }}
  {%- endif -%}
  {{ return({'action': action, 'note': none}) }}
{%- endmacro %}
