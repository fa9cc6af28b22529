{# The schema of the refresh log, mv_state and mv_status: var `mv_meta_schema` (set in dbt_project.yml). #}
{% macro mv_meta_schema() -%}
  {{ return(var('mv_meta_schema')) }}
{%- endmacro %}
