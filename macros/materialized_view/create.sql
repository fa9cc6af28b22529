{# A first build: the view WITH DATA and its indexes in one go (no manual REFRESH). #}
{% macro mv_create_sql(relation, sql, indexes) -%}
  {%- set statements = ['create materialized view ' ~ relation ~ ' as\n' ~ sql ~ '\nwith data'] -%}
  {%- for index in indexes -%}
    {%- do statements.append(mv_index_create_sql(relation, index)) -%}
  {%- endfor -%}
  {{ return(statements) }}
{%- endmacro %}
