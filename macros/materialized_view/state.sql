{#
  Change detection. dbt-postgres refreshes a materialized view with its old definition when
  the model's SQL changed (dbt-labs/dbt-core#8862). We fingerprint what the relation is built
  from — compiled SQL and index definitions — and keep it in mv_state with the OID built, so
  a changed model, or a view replaced outside dbt, is rebuilt.
#}
{% macro mv_fingerprint(sql, indexes) -%}
  {%- set parts = [sql | trim] -%}
  {%- for index in indexes | sort(attribute='name') -%}
    {%- do parts.append(index.name ~ ':' ~ ('unique ' if index.unique else '') ~ index.body) -%}
  {%- endfor -%}
  {{ return(local_md5(parts | join('\n--mv--\n'))) }}
{%- endmacro %}

{#
  Statement that records what `relation` was built from (run inside the guarded block), with
  the change markers of what it read (skip_refresh_when_unchanged; null when it is off, so
  turning it on again starts with a refresh).
#}
{% macro mv_state_save_sql(relation, fingerprint, unique_key, source_markers=none, incremental=none, sql=none) -%}
  insert into {{ adapter.quote(mv_meta_schema()) }}.mv_state
      (schema_name, relation_name, model, relation_oid, fingerprint, unique_key, updated_at, source_markers,
       incremental, model_sql, as_of)
  values ({{ mv_literal(relation.schema) }}, {{ mv_literal(relation.identifier) }},
          {{ mv_literal(model.name) }}, {{ mv_literal(relation.render()) }}::regclass,
          {{ mv_literal(fingerprint) }},
          {{ mv_literal(unique_key | join(', ')) if unique_key else 'null' }}, now(),
          {{ mv_literal(tojson(source_markers)) ~ '::jsonb' if source_markers is not none else 'null' }},
          {{ mv_literal(tojson({'key': incremental.key, 'time_column': incremental.time_column})) ~ '::jsonb' if incremental is not none else 'null' }},
          {{ mv_literal(sql) if incremental is not none else 'null' }},
          coalesce(nullif(current_setting('analytics.as_of', true), '')::timestamptz, now()))
  on conflict (schema_name, relation_name) do update
      set model = excluded.model, relation_oid = excluded.relation_oid,
          fingerprint = excluded.fingerprint, unique_key = excluded.unique_key,
          updated_at = excluded.updated_at, source_markers = excluded.source_markers,
          incremental = excluded.incremental, model_sql = excluded.model_sql, as_of = excluded.as_of
{%- endmacro %}

