{# The temporary names a rebuild builds under, and renaming them into place. #}
{% macro mv_sibling(relation) -%}
  {{ return(relation.incorporate(path={'identifier': mv_staging_name(relation.identifier)},
                                 type=relation.type or 'materialized_view')) }}
{%- endmacro %}

{% macro mv_staging_name(name) -%}
  {{ return(name[:55] ~ '__mv_new') }}
{%- endmacro %}

{% macro mv_staging_index_name(name) -%}
  {{ return('mv_new_' ~ local_md5(name)[:20]) }}
{%- endmacro %}

{% macro mv_index_rename_sql(schema, name) -%}
  alter index {{ mv_qualified(schema, mv_staging_index_name(name)) }} rename to {{ adapter.quote(name) }}
{%- endmacro %}
