{#
  The refresh log. A row is inserted and committed before the work starts, so a run that is
  killed leaves it 'running'; the next run marks such rows 'interrupted' once their backend
  is gone. The guarded block fills in the outcome in the work's own transaction.
#}
{% macro mv_log_start(relation) %}
  {%- set meta = adapter.quote(mv_meta_schema()) -%}
  {% call statement('mv_log_interrupted') %}
    update {{ meta }}.refresh_log l
       set status = 'interrupted', finished_at = now(),
           error = coalesce(l.error, 'the run stopped before recording an outcome (process killed or connection lost); its work was rolled back')
     where l.status = 'running'
       and not exists (select 1 from pg_stat_activity a
                       where a.pid = l.backend_pid
                         and (a.backend_start is null or a.backend_start <= l.started_at))
  {% endcall %}
  {%- set inserted = run_query(
      "insert into " ~ meta ~ ".refresh_log (model, relation, invocation_id) values ("
      ~ mv_literal(model.name) ~ ", " ~ mv_literal(relation.schema ~ '.' ~ relation.identifier) ~ ", "
      ~ mv_literal(invocation_id) ~ ") returning id") -%}
  {{ return(inserted.columns[0].values()[0]) }}
{% endmacro %}

{# How the guarded block ended: none when the log row has the `expected` status, else the error text. #}
{% macro mv_log_outcome(log_id, expected='success') %}
  {%- set row = run_query("select status, error from " ~ adapter.quote(mv_meta_schema())
                          ~ ".refresh_log where id = " ~ log_id).rows[0] -%}
  {{ return(none if row['status'] == expected else (row['error'] or row['status'])) }}
{% endmacro %}

{#
  A run that did nothing to the view: a success, with why in its note and its kind in
  skip_reason (unchanged, fresh or configuration). An unchanged view keeps the row count of
  its last successful run (a count only when the log has none), so the status view, which
  needs rows_after, counts it checked and fresh.
#}
{% macro mv_log_skip(log_id, message, reason, relation=none) %}
  {%- set log = adapter.quote(mv_meta_schema()) ~ '.refresh_log' -%}
  {% call statement('mv_log_skip') %}
    update {{ log }}
       set action = 'skip', status = 'success', finished_at = clock_timestamp(),
           duration_seconds = 0, note = {{ mv_literal(message) }}, skip_reason = {{ mv_literal(reason) }}
    {%- if relation is not none %},
           rows_after = coalesce(
               (select l.rows_after from {{ log }} l
                 where l.relation = {{ mv_literal(relation.schema ~ '.' ~ relation.identifier) }}
                   and l.status = 'success' and l.rows_after is not null and l.id < {{ log_id }}
                 order by l.id desc limit 1),
               (select count(*) from {{ relation }}))
    {%- endif %}
     where id = {{ log_id }}
  {% endcall %}
{% endmacro %}

{# Why this run does what it does, in its log row (a refresh's changed sources). #}
{% macro mv_log_note(log_id, note) %}
  {% call statement('mv_log_note') %}
    update {{ adapter.quote(mv_meta_schema()) }}.refresh_log
       set note = concat_ws('; ', note, {{ mv_literal(note) }})
     where id = {{ log_id }}
  {% endcall %}
{% endmacro %}

{# A run refused before doing anything (on_configuration_change: fail): an error, with the message. #}
{% macro mv_log_failure(log_id, action, message) %}
  {% call statement('mv_log_failure') %}
    update {{ adapter.quote(mv_meta_schema()) }}.refresh_log
       set action = {{ mv_literal(action) }}, status = 'error', finished_at = clock_timestamp(),
           duration_seconds = 0, error = {{ mv_literal(message) }}
     where id = {{ log_id }}
  {% endcall %}
{% endmacro %}


{# A swap that turned into a concurrent refresh: the row goes on, with why in its note. #}
{% macro mv_log_fallback(log_id, note) %}
  {% call statement('mv_log_fallback') %}
    update {{ adapter.quote(mv_meta_schema()) }}.refresh_log
       set status = 'running', error = null, note = concat_ws('; ', note, {{ mv_literal(note) }})
     where id = {{ log_id }}
  {% endcall %}
{% endmacro %}
