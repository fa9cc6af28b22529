{#
  What a model with refresh_strategy 'incremental' reads to know what to recompute. The run
  passes the slices in a transaction-local setting, so the model's SQL is one text for a full
  build (no setting: compute everything) and an incremental run (only these keys, from
  from_day on); unit tests and the proof of sameness run it as a full build.
#}
{% macro mv_slices_setting() -%}
  {{ return('mv.slices') }}
{%- endmacro %}

{#
  The run's clock, as refresh_time reads it without a var: the setting analytics.as_of, else
  now(). A log entry is due once this clock has reached its latest changed time.
#}
{% macro mv_run_clock_sql() -%}
  coalesce(nullif(current_setting('analytics.as_of', true), '')::timestamptz, now())
{%- endmacro %}

{# The slices as a table expression: `from {{ mv_slices('dispensary_id integer, ...') }}`. #}
{% macro mv_slices(key_columns) -%}
  jsonb_to_recordset(
    coalesce(nullif(current_setting('{{ mv_slices_setting() }}', true), ''), '[]')::jsonb
  ) as mv_slices ({{ key_columns }}, from_day date)
{%- endmacro %}

{# True in an incremental run: a one-time filter, so the branch not taken is never executed. #}
{% macro mv_incremental_run() -%}
  (coalesce(current_setting('{{ mv_slices_setting() }}', true), '') <> '')
{%- endmacro %}
