{# SQL text from values and names: a string literal, a list of them, a quoted name, a kind's word. #}
{% macro mv_literal(text) -%}
  {{ return("'" ~ (text | string | replace("'", "''")) ~ "'") }}
{%- endmacro %}

{% macro mv_literal_list(values) -%}
  {%- set literals = [] -%}
  {%- for value in values -%}{%- do literals.append(mv_literal(value)) -%}{%- endfor -%}
  {{ return(literals | join(', ') if literals else 'null') }}
{%- endmacro %}

{% macro mv_qualified(schema, name) -%}
  {{ return(adapter.quote(schema) ~ '.' ~ adapter.quote(name)) }}
{%- endmacro %}

{% macro mv_kind_word(kind) -%}
  {{ return({'m': 'materialized view', 'v': 'view', 'r': 'table', 'p': 'table', 'f': 'foreign table'}[kind]) }}
{%- endmacro %}
