{# The relations whose change marker differs between two marker maps (one side missing counts). #}
{% macro mv_changed_sources(stored, current) -%}
  {%- set changed = [] -%}
  {%- for relation in (stored.keys() | list) + (current.keys() | list) -%}
    {%- if stored.get(relation) != current.get(relation) and relation not in changed -%}
      {%- do changed.append(relation) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(changed | sort) }}
{%- endmacro %}
