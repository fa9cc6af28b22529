{# An unchanged definition: CONCURRENTLY when a unique index allows it (readers go on), else plain. #}
{% macro mv_refresh_sql(relation, concurrently) -%}
  {{ return(['refresh materialized view ' ~ ('concurrently ' if concurrently else '') ~ relation]) }}
{%- endmacro %}
