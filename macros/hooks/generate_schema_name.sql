{#
  Users query the views by their names in the schema their system puts them in (`+schema` per
  mart folder), so a custom schema is used as it is, not as `<target>_<custom>`.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is none -%}
    {{ target.schema }}
  {%- else -%}
    {{ custom_schema_name | trim }}
  {%- endif -%}
{%- endmacro %}
