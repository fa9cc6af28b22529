{# The `unique_key` config as a list of column names ([] when there is none). #}
{% macro mv_unique_key() -%}
  {%- set unique_key = config.get('unique_key') -%}
  {%- if unique_key is none or unique_key == [] -%}
    {{ return([]) }}
  {%- elif unique_key is string -%}
    {{ return([unique_key]) }}
  {%- endif -%}
  {{ return(unique_key | list) }}
{%- endmacro %}
