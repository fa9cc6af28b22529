{#
  information_schema.columns does not list the columns of materialized views, so dbt-postgres
  finds none for them: persist_docs writes no column comments and unit tests cannot type their
  inputs (dbt-labs/dbt-core#9419). pg_attribute knows every relation kind.
#}
{% macro postgres__get_columns_in_relation(relation) -%}
  {% call statement('get_columns_in_relation', fetch_result=True) %}
    select
        a.attname as column_name,
        case
            when t.typcategory = 'A' then format_type(a.atttypid, null)
            when a.atttypid in ('varchar'::regtype, 'bpchar'::regtype) then format_type(a.atttypid, null)
            when a.atttypid = 'numeric'::regtype then 'numeric'
            else format_type(a.atttypid, a.atttypmod)
        end as data_type,
        case when a.atttypid in ('varchar'::regtype, 'bpchar'::regtype) and a.atttypmod > 0
             then a.atttypmod - 4 end as character_maximum_length,
        case when a.atttypid = 'numeric'::regtype and a.atttypmod > 0
             then ((a.atttypmod - 4) >> 16) & 65535 end as numeric_precision,
        case when a.atttypid = 'numeric'::regtype and a.atttypmod > 0
             then (a.atttypmod - 4) & 65535 end as numeric_scale
    from pg_catalog.pg_attribute a
    join pg_catalog.pg_class c on c.oid = a.attrelid
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    join pg_catalog.pg_type t on t.oid = a.atttypid
    where c.relname = '{{ relation.identifier }}'
      {% if relation.schema %}and n.nspname = '{{ relation.schema }}'{% endif %}
      and a.attnum > 0
      and not a.attisdropped
    order by a.attnum
  {% endcall %}
  {% set table = load_result('get_columns_in_relation').table %}
  {{ return(sql_convert_columns_in_relation(table)) }}
{% endmacro %}
