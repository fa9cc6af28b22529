{# The staging view and, by cascade, the dependants' copies built on it (a swap's leftovers). #}
{% macro mv_drop_staging_sql(staging) -%}
  {{ return('drop ' ~ ('table' if staging.type == 'table' else 'materialized view') ~ ' if exists ' ~ staging ~ ' cascade') }}
{%- endmacro %}

{# A swap that failed after its build was committed: drop what it built. #}
{% macro mv_drop_staging(staging) %}
  {% call statement('mv_drop_staging') %}{{ mv_drop_staging_sql(staging) }}{% endcall %}
{% endmacro %}
