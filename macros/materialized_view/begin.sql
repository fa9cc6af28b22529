{# A new transaction after adapter.commit() (psycopg2 would not open one; see mv_lock). #}
{% macro mv_begin() %}
  {% call statement('mv_begin') %}begin{% endcall %}
{% endmacro %}
