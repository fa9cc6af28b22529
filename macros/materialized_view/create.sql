{#
  A first build: the view WITH DATA and its indexes in one go (no manual REFRESH), then ANALYZE:
  a new relation has no column statistics until autovacuum gets to it, and the first readers'
  plans would rest on default guesses.
#}
{% macro mv_create_sql(relation, sql, indexes, analyze=true, kind='m') -%}
  {%- set statements = ['create ' ~ mv_kind_word(kind) ~ ' ' ~ relation ~ mv_storage_options() ~ ' as\n' ~ sql ~ '\nwith data'] -%}
  {%- for index in indexes -%}
    {%- do statements.append(mv_index_create_sql(relation, index)) -%}
  {%- endfor -%}
  {%- if analyze -%}{%- do statements.append('analyze ' ~ relation) -%}{%- endif -%}
  {{ return(statements) }}
{%- endmacro %}


{#
  Autovacuum never truncates a view's empty tail: truncation takes ACCESS EXCLUSIVE, which every
  streaming replica replays, making its readers of the view wait (docs/scale-out.md).
#}
{% macro mv_storage_options() -%}
  {{ return(' with (vacuum_truncate = false)') }}
{%- endmacro %}
