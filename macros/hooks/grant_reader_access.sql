{#
  on-run-end: the reader roles (var 'reader_roles') may use the schemas this run built into
  and read the status view. SELECT on each view comes from the models' `grants` config; a
  schema's USAGE is not something dbt grants by itself.
#}
{% macro grant_reader_access(schemas) %}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {%- set roles = var('reader_roles', ['analytics_reader']) -%}
  {%- set existing = run_query("select rolname from pg_roles where rolname in (" ~ mv_literal_list(roles) ~ ")") -%}
  {%- for role in existing.columns[0].values() -%}
    {%- for schema in (schemas | list) + [mv_meta_schema()] -%}
      {%- do run_query("do $g$ begin if exists (select from pg_namespace where nspname = " ~ mv_literal(schema)
                       ~ ") then execute " ~ mv_literal("grant usage on schema " ~ adapter.quote(schema) ~ " to " ~ adapter.quote(role))
                       ~ "; end if; end $g$") -%}
    {%- endfor -%}
    {%- do run_query("do $g$ begin if to_regclass(" ~ mv_literal(mv_meta_schema() ~ '.mv_status') ~ ") is not null then execute "
                     ~ mv_literal("grant select on " ~ adapter.quote(mv_meta_schema()) ~ ".mv_status to " ~ adapter.quote(role))
                     ~ "; end if; end $g$") -%}
  {%- endfor -%}
  {{ return('') }}
{% endmacro %}

