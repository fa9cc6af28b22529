{#
  A rebuild or swap as statement lists: build the new view and its dependants' copies under
  temporary names, then swap them in by catalog changes only (docs/materialized-view.md).
#}
{% macro mv_rebuild_sql(existing, target, sql, indexes, dependants, kind='m') -%}
  {%- set staging = mv_sibling(target) -%}
  {%- set copies = [] -%}
  {%- set swap = [] -%}
  {%- set renames = {target.schema ~ '.' ~ target.identifier: mv_qualified(staging.schema, staging.identifier)} -%}
  {%- for dependant in dependants -%}
    {%- do renames.update({dependant.schema ~ '.' ~ dependant.name:
                           mv_qualified(dependant.schema, mv_staging_name(dependant.name))}) -%}
  {%- endfor -%}
  {#- 1. Build the new relation and new copies of its dependants on it; readers are not blocked.
      Leftovers of a run killed between the two transaction steps go first, with their copies. -#}
  {%- set statements = [mv_drop_staging_sql(staging)] -%}
  {%- do statements.extend(mv_create_sql(staging, sql, [], analyze=false, kind=kind)) -%}
  {%- for index in indexes -%}
    {%- do statements.append(mv_index_create_sql(staging, index, mv_staging_index_name(index.name))) -%}
  {%- endfor -%}
  {#- Statistics before the swap: the first readers of the new view get informed plans. -#}
  {%- do statements.append('analyze ' ~ staging) -%}
  {%- for dependant in dependants -%}
    {%- set word = mv_kind_word(dependant.kind) -%}
    {%- set copy = mv_qualified(dependant.schema, mv_staging_name(dependant.name)) -%}
    {%- do copies.append('drop ' ~ word ~ ' if exists ' ~ copy) -%}
    {%- do copies.append('create ' ~ word ~ ' ' ~ copy ~ dependant.options ~ ' as\n'
                             ~ mv_retarget(dependant.definition, renames)
                             ~ (('\nwith data' if dependant.populated else '\nwith no data') if dependant.kind == 'm' else '')) -%}
    {%- for index in dependant.indexes -%}
      {%- set renamed = modules.re.sub('^(CREATE (?:UNIQUE )?INDEX )(\\S+)( ON )',
                                        '\\g<1>' ~ adapter.quote(mv_staging_index_name(index.name)) ~ '\\g<3>',
                                        index.definition) -%}
      {%- do copies.append(mv_retarget(renamed, renames)) -%}
    {%- endfor -%}
    {%- if dependant.kind == 'm' and dependant.populated -%}
      {%- do copies.append('analyze ' ~ copy) -%}
    {%- endif -%}
  {%- endfor -%}
  {#- 2. Swap: only catalog changes, so readers wait milliseconds. -#}
  {%- for dependant in dependants | reverse -%}
    {%- do swap.append('drop ' ~ mv_kind_word(dependant.kind) ~ ' ' ~ mv_qualified(dependant.schema, dependant.name)) -%}
  {%- endfor -%}
  {%- do swap.append('drop ' ~ mv_kind_word(existing.kind) ~ ' ' ~ target) -%}
  {%- do swap.append('alter ' ~ mv_kind_word(kind) ~ ' ' ~ staging ~ ' rename to ' ~ adapter.quote(target.identifier)) -%}
  {%- for index in indexes -%}
    {%- do swap.append(mv_index_rename_sql(target.schema, index.name)) -%}
  {%- endfor -%}
  {%- for dependant in dependants -%}
    {%- do swap.append('alter ' ~ mv_kind_word(dependant.kind) ~ ' '
                             ~ mv_qualified(dependant.schema, mv_staging_name(dependant.name))
                             ~ ' rename to ' ~ adapter.quote(dependant.name)) -%}
    {%- for index in dependant.indexes -%}
      {%- do swap.append(mv_index_rename_sql(dependant.schema, index.name)) -%}
    {%- endfor -%}
    {%- do swap.extend(dependant.finish_sql) -%}
    {%- if dependant.kind == 'm' -%}
      {%- do swap.append(mv_dependant_rebuilt_sql(dependant)) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return({'staging': staging, 'build': statements, 'copies': copies, 'swap': swap}) }}
{%- endmacro %}

{# A recreated dependant is a new OID built from the same model: keep its state valid and log it. #}
{% macro mv_dependant_rebuilt_sql(dependant) -%}
  {%- set meta = adapter.quote(mv_meta_schema()) -%}
  {%- set name = adapter.quote(dependant.schema) ~ '.' ~ adapter.quote(dependant.name) -%}
  with state as (
      update {{ meta }}.mv_state set relation_oid = {{ mv_literal(name) }}::regclass, updated_at = now()
       where schema_name = {{ mv_literal(dependant.schema) }} and relation_name = {{ mv_literal(dependant.name) }}
      returning model
  )
  insert into {{ meta }}.refresh_log
      (model, relation, action, status, finished_at, duration_seconds, rows_after, invocation_id, note)
  select coalesce((select model from state), {{ mv_literal(dependant.name) }}),
         {{ mv_literal(dependant.schema ~ '.' ~ dependant.name) }}, 'rebuild', 'success', clock_timestamp(), 0,
         (select count(*) from {{ name }}), {{ mv_literal(invocation_id) }},
         {{ mv_literal('dependant recreated on the rebuilt ' ~ model.name) }}
{%- endmacro %}
