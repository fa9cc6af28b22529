{#
  Schema drift guard, run by on-run-start: every column that a source's yml declares must
  exist in the database. A renamed or dropped source column then stops the run before any
  view is touched, with an error naming the table and the column, instead of a failure in
  the middle of the DAG (the views keep serving their previous rows either way).
#}
{% macro check_source_columns() %}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {%- set declared = [] -%}
  {%- for source in graph.sources.values() -%}
    {%- for column in source.columns.values() -%}
      {%- do declared.append("(" ~ mv_literal(source.schema) ~ ", " ~ mv_literal(source.identifier)
                             ~ ", " ~ mv_literal(column.name) ~ ", " ~ mv_literal(source.source_name ~ '.' ~ source.name) ~ ")") -%}
    {%- endfor -%}
  {%- endfor -%}
  {%- if declared | length == 0 -%}{{ return('') }}{%- endif -%}
  {%- set query -%}
    select d.source_label, d.column_name, c.oid is null as table_missing
    from (values {{ declared | join(', ') }}) as d (schema_name, table_name, column_name, source_label)
    left join pg_namespace n on n.nspname = d.schema_name
    left join pg_class c on c.relnamespace = n.oid and c.relname = d.table_name
    left join pg_attribute a on a.attrelid = c.oid and a.attname = d.column_name
                            and a.attnum > 0 and not a.attisdropped
    where a.attnum is null
    order by 1, 2
  {%- endset -%}
  {%- set missing = run_query(query) -%}
  {%- if missing.rows | length > 0 -%}
    {%- set problems = [] -%}
    {%- for row in missing.rows -%}
      {%- if row['table_missing'] -%}
        {%- do problems.append("source " ~ row['source_label'] ~ ": the table does not exist") -%}
      {%- else -%}
        {%- do problems.append("source " ~ row['source_label'] ~ ": column " ~ row['column_name'] ~ " does not exist (renamed or dropped?)") -%}
      {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("Source schema drift; nothing was built:\n  " ~ (problems | unique | join("\n  "))) }}
  {%- endif -%}
  {{ return('') }}
{% endmacro %}
