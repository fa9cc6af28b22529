{#
  Users query the views by their seed names in schema `analytics`, so a model's custom
  schema is used as it is instead of dbt's default `<target_schema>_<custom>`.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is none -%}
    {{ target.schema }}
  {%- else -%}
    {{ custom_schema_name | trim }}
  {%- endif -%}
{%- endmacro %}
