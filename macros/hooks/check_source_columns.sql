{#
  on-run-start drift guard: every column a source's yml declares must exist, for the sources
  this run's models read. A renamed or dropped column stops the run before any view is
  touched, naming the table and the column; another mart's drift does not stop this one.
#}
{% macro check_source_columns() %}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {%- set declared = [] -%}
  {%- for unique_id in mv_read_nodes(selected_resources) if unique_id in graph.sources -%}
    {%- set source = graph.sources[unique_id] -%}
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
