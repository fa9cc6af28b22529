{# Commits the failure's log row, releases a swap's session locks and fails the model. #}
{% macro mv_fail(log_id, action, target, error, session_guards=none) %}
  {{ adapter.commit() }}
  {%- if session_guards is not none -%}{{ mv_unlock(target, session_guards) }}{%- endif -%}
  {{ exceptions.raise_database_error(model.name ~ " (" ~ action ~ " of " ~ target ~ ") failed; the previous view is still in place.\n" ~ error) }}
{% endmacro %}
