{#
  materialized='materialized_view' for Postgres, overriding dbt-postgres's built-in by name.
  What a run does (see README, "The materialized_view materialization"):
    no relation yet                  -> create WITH DATA, with indexes, grants and comments
    same fingerprint                 -> REFRESH CONCURRENTLY (unique_key) or plain REFRESH
    new SQL / indexes, other kind,
    or --full-refresh                -> rebuild under a temporary name and swap, keeping the
                                        views that depend on it
  Every run is written to the refresh log; a failure leaves the previous view serving.
#}
{% materialization materialized_view, adapter='postgres' %}
  {%- set target = this.incorporate(type='materialized_view') -%}
  {%- set model_sql = sql.strip().rstrip(';').strip() -%}
  {%- set unique_key = mv_unique_key() -%}
  {%- set collected = mv_collect_indexes(target, unique_key, post_hooks) -%}
  {%- set indexes = collected.indexes -%}
  {%- set fingerprint = mv_fingerprint(model_sql, indexes) -%}
  {%- do mv_refresh_strategy() -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}

  {{ mv_meta_ensure() }}
  {%- set log_id = mv_log_start(target) -%}
  {#- Commit the 'running' row now, so even a killed run leaves a trace. -#}
  {{ adapter.commit() }}

  {%- set swap_actions = ['rebuild', 'refresh_swap'] -%}
  {%- set planned = mv_choose_action(mv_describe(target), fingerprint) -%}
  {%- set session_lock = planned in swap_actions -%}
  {{ mv_lock(target, exclusive=session_lock or planned == 'create', session=session_lock) }}
  {%- set existing = mv_describe(target) -%}
  {%- set action = mv_choose_action(existing, fingerprint) -%}
  {%- if action in swap_actions and not session_lock -%}
    {#- Another run changed the view while this one waited: lock again, for a swap. -#}
    {{ adapter.commit() }}
    {{ mv_lock(target, exclusive=true, session=true) }}
    {%- set session_lock = true -%}
    {%- set existing = mv_describe(target) -%}
    {%- set action = mv_choose_action(existing, fingerprint) -%}
  {%- endif -%}
  {%- set swapping = action in swap_actions -%}

  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {%- if action == 'skip' -%}
    {%- set message = "Configuration changes were identified and `on_configuration_change` was set to `continue` for `" ~ target ~ "`" -%}
    {{ exceptions.warn(message) }}
    {{ mv_log_skip(log_id, message) }}
    {% call statement('main') %}select 'skip'{% endcall %}
  {%- elif action == 'skip_fresh' -%}
    {{ mv_log_skip(log_id, 'already rebuilt in this run on its refreshed upstream') }}
    {% call statement('main') %}select 'skip'{% endcall %}
    {%- do store_raw_result(name='main', message='fresh: rebuilt with its upstream', code='skip', rows_affected=-1) -%}
  {%- elif action == 'fail' -%}
    {%- set message = "Configuration changes were identified and `on_configuration_change` was set to `fail` for `" ~ target ~ "`" -%}
    {{ mv_log_skip(log_id, message) }}
    {{ adapter.commit() }}
    {{ exceptions.raise_fail_fast_error(message) }}
  {%- else -%}
    {%- if action == 'create' -%}
      {%- set statements = mv_create_sql(target, model_sql, indexes) -%}
    {%- elif swapping -%}
      {%- if action == 'rebuild' -%}{{ log('Applying REPLACE to: ' ~ target) }}{%- endif -%}
      {%- set swap = mv_rebuild_sql(existing, target, model_sql, indexes, mv_dependants(existing.oid)) -%}
      {%- set can_fall_back = action == 'refresh_swap' and existing.has_unique_index and existing.populated -%}
      {%- if mv_build_for_swap(log_id, action, target, swap, model_sql, unique_key, can_fall_back) -%}
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
    {%- do statements.append(mv_state_save_sql(target, fingerprint, unique_key)) -%}

    {% call statement('main') %}
      {{ mv_guarded_sql(log_id, action, target, statements, model_sql, unique_key,
                        phase='swap' if swapping else 'all') }}
    {% endcall %}
    {%- set error = mv_log_outcome(log_id) -%}
    {%- do store_raw_result(name='main', message={'create': 'created', 'rebuild': 'rebuilt', 'refresh': 'refreshed',
                                     'refresh_concurrently': 'refreshed concurrently',
                                     'refresh_swap': 'refreshed by swap'}[action],
                            code=action, rows_affected=-1) -%}
    {%- if error is not none -%}
      {#- Keep the log row of the failure; the work itself was rolled back. -#}
      {%- if swapping -%}{{ mv_drop_staging(swap.staging) }}{%- endif -%}
      {{ mv_fail(log_id, action, target, error, session_lock) }}
    {%- endif -%}

    {%- if not swapping -%}
      {% do persist_docs(target, model) %}
      {% do apply_grants(target, mv_grants_for_existing_roles(config.get('grants')), should_revoke=action in ['refresh', 'refresh_concurrently']) %}
    {%- endif -%}
  {%- endif -%}

  {{ run_hooks(collected.other_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {%- if session_lock -%}{{ mv_unlock(target) }}{%- endif -%}
  {{ run_hooks(collected.other_hooks, inside_transaction=False) }}

  {{ return({'relations': [target]}) }}
{% endmaterialization %}


{% macro mv_unique_key() -%}
  {%- set unique_key = config.get('unique_key') -%}
  {%- if unique_key is none or unique_key == [] -%}
    {{ return([]) }}
  {%- elif unique_key is string -%}
    {{ return([unique_key]) }}
  {%- endif -%}
  {{ return(unique_key | list) }}
{%- endmacro %}


{#
  How an unchanged view is refreshed: 'concurrently' (REFRESH ... CONCURRENTLY, the default)
  or 'swap' (build a new copy and swap it in, like a rebuild; cheaper when most rows change,
  since CONCURRENTLY diffs old and new rows). Neither blocks readers.
#}
{% macro mv_refresh_strategy() -%}
  {%- set strategy = config.get('refresh_strategy') or 'concurrently' -%}
  {%- if strategy not in ['concurrently', 'swap'] -%}
    {{ exceptions.raise_compiler_error(model.name ~ ": refresh_strategy must be 'concurrently' or 'swap', got '" ~ strategy ~ "'") }}
  {%- endif -%}
  {{ return(strategy) }}
{%- endmacro %}


{% macro mv_choose_action(existing, fingerprint) -%}
  {%- if existing is none -%}
    {{ return('create') }}
  {%- elif should_full_refresh() or existing.kind != 'm' -%}
    {{ return('rebuild') }}
  {%- elif existing.fingerprint != fingerprint or existing.built_oid != existing.oid -%}
    {%- set on_change = config.get('on_configuration_change') or 'apply' -%}
    {{ return({'apply': 'rebuild', 'continue': 'skip', 'fail': 'fail'}.get(on_change, 'rebuild')) }}
  {%- endif -%}
  {%- set strategy = mv_refresh_strategy() -%}
  {%- if mv_rebuilt_in_this_run(this, existing.oid) -%}
    {{ return('skip_fresh') }}
  {%- elif strategy == 'swap' -%}
    {{ return('refresh_swap') }}
  {%- elif existing.has_unique_index and existing.populated -%}
    {{ return('refresh_concurrently') }}
  {%- endif -%}
  {{ return('refresh') }}
{%- endmacro %}


{#
  Index specs from the unique_key, dbt's `indexes` config and mv_index post-hooks; the
  remaining post-hooks are run as usual.
#}
{% macro mv_collect_indexes(relation, unique_key, hooks) -%}
  {%- set indexes = [] -%}
  {%- set other_hooks = [] -%}
  {%- if unique_key -%}
    {%- do indexes.append(mv_index_spec(relation, unique_key, unique=true,
                                         name=config.get('unique_key_index_name') or relation.identifier[:52] ~ '_unique_key')) -%}
  {%- endif -%}
  {%- for index in config.get('indexes') or [] -%}
    {%- do indexes.append(mv_index_spec(relation, index.get('columns'), unique=index.get('unique', false),
                                         method=index.get('type') or 'btree')) -%}
  {%- endfor -%}
  {%- for hook in hooks -%}
    {%- set rendered = render(hook.get('sql')) | trim -%}
    {%- if rendered.startswith('/*mv_index ') -%}
      {%- do indexes.append(fromjson(rendered[11:rendered.index('*/')])) -%}
    {%- else -%}
      {%- do other_hooks.append(hook) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set seen = [] -%}
  {%- for index in indexes -%}
    {%- if index.name in seen -%}
      {{ exceptions.raise_compiler_error(model.name ~ ": two indexes are named " ~ index.name) }}
    {%- endif -%}
    {%- do seen.append(index.name) -%}
  {%- endfor -%}
  {{ return({'indexes': indexes, 'other_hooks': other_hooks}) }}
{%- endmacro %}


{#
  The first transaction of a swap: build the new view and the copies of its dependants, give
  it its comments and grants, and commit, all while readers use the old ones. A failure
  rolls it all back and fails the model, except when only a dependant's copy failed (on its
  own data) and the view can be refreshed concurrently instead: then it returns false and the
  caller does that, so one failing dependant does not keep its upstream stale (the
  dependant's own run reports its error). True when the build is committed.
#}
{% macro mv_build_for_swap(log_id, action, target, swap, model_sql, unique_key, can_fall_back) %}
  {% call statement('mv_build') %}
    {{ mv_guarded_sql(log_id, action, swap.staging, swap.build, model_sql, unique_key, phase='build') }}
  {% endcall %}
  {%- set error = mv_log_outcome(log_id, expected='running') -%}
  {%- if error is none and swap.copies -%}
    {% call statement('mv_build_copies') %}
      {{ mv_guarded_sql(log_id, action, swap.staging, swap.copies, model_sql, [], phase='copies') }}
    {% endcall %}
    {%- set error = mv_log_outcome(log_id, expected='running') -%}
    {%- if error is not none and can_fall_back -%}
      {{ exceptions.warn(model.name ~ ": a view that depends on it could not be rebuilt on the new rows, so it is refreshed concurrently instead of swapped.\n" ~ error) }}
      {{ mv_drop_staging(swap.staging) }}
      {{ mv_log_fallback(log_id, 'swap fell back to REFRESH CONCURRENTLY: a dependant could not be rebuilt on the new rows: ' ~ error) }}
      {{ return(false) }}
    {%- endif -%}
  {%- endif -%}
  {%- if error is not none -%}
    {{ mv_drop_staging(swap.staging) }}
    {{ mv_fail(log_id, action, target, error, true) }}
  {%- endif -%}
  {% do persist_docs(swap.staging, model) %}
  {% do apply_grants(swap.staging, mv_grants_for_existing_roles(config.get('grants')), should_revoke=false) %}
  {{ adapter.commit() }}
  {{ mv_begin() }}
  {{ return(true) }}
{% endmacro %}


{# Commits the failure's log row, releases a swap's locks and fails the model. #}
{% macro mv_fail(log_id, action, target, error, session_lock) %}
  {{ adapter.commit() }}
  {%- if session_lock -%}{{ mv_unlock(target) }}{%- endif -%}
  {{ exceptions.raise_database_error(model.name ~ " (" ~ action ~ " of " ~ target ~ ") failed; the previous view is still in place.\n" ~ error) }}
{% endmacro %}


{# A swap that failed after its build was committed: drop what it built. #}
{% macro mv_drop_staging(staging) %}
  {% call statement('mv_drop_staging') %}{{ mv_drop_staging_sql(staging) }}{% endcall %}
{% endmacro %}
