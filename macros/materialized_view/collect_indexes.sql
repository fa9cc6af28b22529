{#
  Index specs from the unique_key, dbt's `indexes` config and mv_index post-hooks, so they are
  built on the new relation before a swap; the remaining post-hooks are run as usual.
#}
{% macro mv_collect_indexes(relation, unique_key, hooks) -%}
  {%- set indexes = [] -%}
  {%- set other_hooks = [] -%}
  {%- if unique_key -%}
    {%- do indexes.append(mv_index_spec(relation, unique_key, unique=true,
                                         name=config.get('unique_key_index_name') or relation.identifier[:52] ~ '_unique_key')) -%}
  {%- endif -%}
  {%- for index in config.get('indexes') or [] -%}
    {%- do indexes.append(mv_index_spec(relation, index.get('columns'), unique=index.get('unique', false),
                                         method=index.get('type') or 'btree')) -%}
  {%- endfor -%}
  {%- for hook in hooks -%}
    {#- Only hooks that may be an mv_index are rendered here: rendering runs a hook's macros,
        and the others are rendered once, when they run. -#}
    {%- set rendered = render(hook.get('sql')) | trim if 'mv_index' in hook.get('sql') else '' -%}
    {%- if rendered.startswith('/*mv_index ') -%}
      {%- do indexes.append(fromjson(rendered[11:rendered.index('*/')])) -%}
    {%- else -%}
      {%- do other_hooks.append(hook) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set seen = [] -%}
  {%- for index in indexes -%}
    {%- if index.name in seen -%}
      {{ exceptions.raise_compiler_error(model.name ~ ": two indexes are named " ~ index.name) }}
    {%- endif -%}
    {%- do seen.append(index.name) -%}
  {%- endfor -%}
  {{ return({'indexes': indexes, 'other_hooks': other_hooks}) }}
{%- endmacro %}
