{# What is in the database under the model's name, and what we last built there. #}
{% macro mv_describe(relation) %}
  {%- set meta = adapter.quote(mv_meta_schema()) -%}
  {%- set query -%}
    select c.oid::bigint as oid,
           c.relkind::text as kind,
           c.relispopulated as populated,
           exists (
               select 1 from pg_index x
               where x.indrelid = c.oid and x.indisunique and x.indisvalid
                 and x.indpred is null and x.indexprs is null
           ) as has_unique_index,
           s.fingerprint,
           s.relation_oid::bigint as built_oid,
           s.source_markers::text as source_markers
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    left join {{ meta }}.mv_state s
           on s.schema_name = n.nspname and s.relation_name = c.relname
    where n.nspname = {{ mv_literal(relation.schema) }}
      and c.relname = {{ mv_literal(relation.identifier) }}
      and c.relkind in ('r', 'p', 'v', 'm', 'f')
  {%- endset -%}
  {%- set rows = run_query(query).rows -%}
  {%- if rows | length == 0 -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set row = rows[0] -%}
  {{ return({'oid': row['oid'], 'kind': row['kind'], 'populated': row['populated'],
             'has_unique_index': row['has_unique_index'], 'fingerprint': row['fingerprint'],
             'built_oid': row['built_oid'],
             'source_markers': fromjson(row['source_markers']) if row['source_markers'] is not none else none}) }}
{% endmacro %}
