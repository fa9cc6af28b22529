{#
  materialized='materialized_view' for Postgres, overriding dbt-postgres's built-in by name:
  create, refresh or rebuild-and-swap, every run on record in the refresh log, a failure
  leaving the previous view serving. What each run does: docs/materialized-view.md.
#}
{% materialization materialized_view, adapter='postgres' %}
  {%- set kind = mv_relation_kind() -%}
  {%- set target = this.incorporate(type='table' if kind == 'r' else 'materialized_view') -%}
  {%- set incremental = mv_incremental_config() if kind == 'r' else none -%}
  {%- set model_sql = sql.strip().rstrip(';').strip() -%}
  {%- set unique_key = mv_unique_key() -%}
  {%- set collected = mv_collect_indexes(target, unique_key, post_hooks) -%}
  {%- set indexes = collected.indexes -%}
  {%- set fingerprint = mv_fingerprint(model_sql, indexes) -%}
  {%- do mv_refresh_strategy() -%}
  {%- set skip_unchanged = mv_skip_unchanged() -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}

  {{ mv_meta_ensure() }}
  {%- set log_id = mv_log_start(target) -%}
  {#- Commit the 'running' row now, so even a killed run leaves a trace. -#}
  {{ adapter.commit() }}
  {{ mv_check_contract(log_id, model_sql) }}

  {%- set swap_actions = ['rebuild', 'refresh_swap'] -%}
  {%- set described = mv_describe(target) -%}
  {%- set planned = mv_choose_action(described, fingerprint) -%}
  {#- Change triggers go on before the locks, each in a short transaction of its own. -#}
  {%- set install_errors = mv_track_sources(described) if skip_unchanged else {} -%}
  {%- set tracked = mv_track_invalidations(target, incremental) if incremental is not none else none -%}
  {%- if tracked is not none and tracked not in ['present', 'installed'] -%}
    {{ mv_log_failure(log_id, 'refresh_incremental', 'its invalidation triggers on ' ~ incremental.source ~ ' could not be installed: ' ~ tracked) }}
    {{ adapter.commit() }}
    {{ exceptions.raise_database_error(model.name ~ ": its invalidation triggers on " ~ incremental.source ~ " could not be installed; the previous rows are still in place.\n" ~ tracked) }}
  {%- endif -%}
  {%- if incremental is none -%}
    {% call statement('mv_untrack_invalidations') %}{{ mv_untrack_invalidations_sql(target) }}{% endcall %}
  {%- endif -%}
  {%- set planned = mv_incremental_plan(planned, target, incremental, tracked).action -%}
  {%- set session_lock = planned in swap_actions -%}
  {%- set guards = mv_guards(planned, described) -%}
  {{ mv_lock(target, guards, session=session_lock) }}
  {%- set existing = mv_describe(target) -%}
  {%- set plan = mv_incremental_plan(mv_choose_action(existing, fingerprint), target, incremental, tracked) -%}
  {%- set action = plan.action -%}
  {%- set needed = mv_guards(action, existing) -%}
  {%- if (action in swap_actions and not session_lock) or not mv_guards_cover(guards, needed) -%}
    {#- Another run changed the view, or a view in another mart began to read it, while this
        one waited: lock again, with what the action now needs. -#}
    {{ adapter.commit() }}
    {%- if session_lock -%}{{ mv_unlock(target, guards) }}{%- endif -%}
    {%- set session_lock = action in swap_actions -%}
    {%- set guards = needed -%}
    {{ mv_lock(target, guards, session=session_lock) }}
    {%- set existing = mv_describe(target) -%}
    {%- set plan = mv_incremental_plan(mv_choose_action(existing, fingerprint), target, incremental, tracked) -%}
    {%- set action = plan.action -%}
  {%- endif -%}
  {%- if plan.note -%}{{ mv_log_note(log_id, plan.note) }}{%- endif -%}
  {%- set swapping = action in swap_actions -%}

  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {#- skip_refresh_when_unchanged: the markers are read now, after the hooks (a hook's own
      writes are counted) and before any work (docs/materialized-view.md). -#}
  {%- set source_check = none -%}
  {%- if skip_unchanged and action not in ['skip', 'skip_fresh', 'fail'] -%}
    {%- set source_check = mv_check_sources(existing, action, install_errors) -%}
    {%- if source_check.unchanged -%}
      {%- set action = 'skip_unchanged' -%}
    {%- elif source_check.note -%}
      {{ mv_log_note(log_id, source_check.note) }}
    {%- endif -%}
  {%- endif -%}

  {%- if action == 'skip' -%}
    {%- set message = "Configuration changes were identified and `on_configuration_change` was set to `continue` for `" ~ target ~ "`" -%}
    {{ exceptions.warn(message) }}
    {{ mv_log_skip(log_id, message, 'configuration') }}
    {% call statement('main') %}select 'skip'{% endcall %}
  {%- elif action == 'skip_fresh' -%}
    {{ mv_log_skip(log_id, 'already rebuilt in this run on its refreshed upstream', 'fresh') }}
    {% call statement('main') %}select 'skip'{% endcall %}
    {%- do store_raw_result(name='main', message='fresh: rebuilt with its upstream', code='skip', rows_affected=-1) -%}
  {%- elif action == 'skip_unchanged' -%}
    {%- set message = 'unchanged: no source changed since the last refresh' -%}
    {%- set checked = source_check.markers | length -%}
    {{ mv_log_skip(log_id, message ~ ' (' ~ checked ~ (' relation' if checked == 1 else ' relations') ~ ' checked)', 'unchanged', target) }}
    {% call statement('main') %}select 'skip'{% endcall %}
    {%- do store_raw_result(name='main', message=message, code='skip', rows_affected=-1) -%}
    {#- Docs and grants are not data: a changed config applies even when the rows stay. -#}
    {% do persist_docs(target, model) %}
    {% do apply_grants(target, mv_grants_for_existing_roles(config.get('grants')), should_revoke=true) %}
  {%- elif action == 'fail' -%}
    {%- set message = "Configuration changes were identified and `on_configuration_change` was set to `fail` for `" ~ target ~ "`" -%}
    {#- A failure, not a skip: status reports must show it (the view needs a rebuild). -#}
    {{ mv_log_failure(log_id, 'rebuild', message) }}
    {{ adapter.commit() }}
    {%- if session_lock -%}{{ mv_unlock(target, guards) }}{%- endif -%}
    {{ exceptions.raise_fail_fast_error(message) }}
  {%- else -%}
    {#- What the log holds now is what a build sees: consumed with the build (mv_invalidations_consumed_sql). -#}
    {%- set seen = run_query('select pg_current_snapshot()::text').columns[0].values()[0] if incremental is not none and action != 'refresh_incremental' else none -%}
    {%- if action == 'create' -%}
      {%- set statements = mv_create_sql(target, model_sql, indexes, kind=kind) -%}
    {%- elif action == 'refresh_incremental' -%}
      {%- set column_types = {} -%}
      {%- for column in adapter.get_columns_in_relation(target) -%}
        {%- do column_types.update({column.name: column.data_type}) -%}
      {%- endfor -%}
      {%- set statements = mv_incremental_sql(target, incremental, model_sql, column_types) -%}
    {%- elif swapping -%}
      {%- if action == 'rebuild' -%}{{ log('Applying REPLACE to: ' ~ target) }}{%- endif -%}
      {%- set swap = mv_rebuild_sql(existing, target, model_sql, indexes, mv_dependants(existing.oid), kind=kind) -%}
      {%- set can_fall_back = action == 'refresh_swap' and existing.has_unique_index and existing.populated -%}
      {%- if mv_build_for_swap(log_id, action, target, swap, model_sql, unique_key, can_fall_back, guards if session_lock else none) -%}
        {%- set statements = swap.swap -%}
      {%- else -%}
        {%- set action = 'refresh_concurrently' -%}
        {%- set swapping = false -%}
        {%- set statements = mv_refresh_sql(target, true) -%}
      {%- endif -%}
    {%- else -%}
      {%- if action == 'refresh' and not (unique_key and not existing.populated) -%}
        {{ exceptions.warn(model.name ~ " has no unique index on plain columns, so it is refreshed with a plain REFRESH that blocks its readers until it ends. Add config unique_key=[...] naming the columns that identify a row to refresh it CONCURRENTLY.") }}
      {%- endif -%}
      {%- set statements = mv_refresh_sql(target, action == 'refresh_concurrently') -%}
    {%- endif -%}
    {%- if seen is not none -%}
      {%- do statements.append(mv_invalidations_consumed_sql(target, seen)) -%}
    {%- endif -%}
    {%- do statements.append(mv_state_save_sql(target, fingerprint, unique_key,
                                               source_check.markers if source_check is not none else none,
                                               incremental, model_sql)) -%}
    {%- do statements.append(mv_view_changed_sql(target)) -%}

    {% call statement('main') %}
      {{ mv_guarded_sql(log_id, action, target, statements, model_sql, unique_key,
                        phase='swap' if swapping else ('incremental' if action == 'refresh_incremental' else 'all')) }}
    {% endcall %}
    {%- set error = mv_log_outcome(log_id) -%}
    {%- do store_raw_result(name='main', message={'create': 'created', 'rebuild': 'rebuilt', 'refresh': 'refreshed',
                                     'refresh_concurrently': 'refreshed concurrently',
                                     'refresh_swap': 'refreshed by swap',
                                     'refresh_incremental': 'refreshed incrementally'}[action],
                            code=action, rows_affected=-1) -%}
    {%- if error is not none -%}
      {#- Keep the log row of the failure; the work itself was rolled back. -#}
      {%- if swapping -%}{{ mv_drop_staging(swap.staging) }}{%- endif -%}
      {{ mv_fail(log_id, action, target, error, guards if session_lock else none) }}
    {%- endif -%}

    {%- if not swapping -%}
      {% do persist_docs(target, model) %}
      {% do apply_grants(target, mv_grants_for_existing_roles(config.get('grants')), should_revoke=action in ['refresh', 'refresh_concurrently', 'refresh_incremental']) %}
    {%- endif -%}
  {%- endif -%}

  {{ run_hooks(collected.other_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {%- if session_lock -%}{{ mv_unlock(target, guards) }}{%- endif -%}
  {{ run_hooks(collected.other_hooks, inside_transaction=False) }}

  {{ return({'relations': [target]}) }}
{% endmaterialization %}
