{#
  `text` with every reference to a key of `renames` ("schema.name" -> quoted new name) pointed
  at the new relation, in the spellings pg_get_viewdef uses: the qualified relation in FROM,
  and the bare relation name that qualifies its columns when the view gave it no alias.
#}
{% macro mv_retarget(text, renames) -%}
  {%- set ns = namespace(text=text) -%}
  {%- for old, new in renames.items() -%}
    {%- set schema, name = old.split('.', 1) -%}
    {%- set new_name = new.split('.', 1)[1] -%}
    {%- for spelling in [schema ~ '.' ~ name, adapter.quote(schema) ~ '.' ~ adapter.quote(name),
                         schema ~ '.' ~ adapter.quote(name), adapter.quote(schema) ~ '.' ~ name] -%}
      {%- set pattern = '(?<![\\w".])' ~ modules.re.escape(spelling) ~ '(?![\\w"])' -%}
      {%- set ns.text = modules.re.sub(pattern, new.replace('\\', '\\\\'), ns.text) -%}
    {%- endfor -%}
    {%- for spelling in [name, adapter.quote(name)] -%}
      {%- set pattern = '(?<![\\w".])' ~ modules.re.escape(spelling) ~ '\\.(?=[\\w"])' -%}
      {%- set ns.text = modules.re.sub(pattern, new_name.replace('\\', '\\\\') ~ '.', ns.text) -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return(ns.text) }}
{%- endmacro %}
