{#
  The mart a model belongs to, the unit of the rebuild guard: its folder under models/marts/,
  or its schema for a model outside marts/.
#}
{% macro mv_mart(node) -%}
  {%- set fqn = node.fqn or [] -%}
  {%- if fqn | length > 3 and fqn[1] == 'marts' -%}
    {{ return(fqn[2]) }}
  {%- endif -%}
  {{ return(node.schema) }}
{%- endmacro %}


{#
  The marts of the views that read the relation, transitively, as the database knows them
  (not only as the models say): a view of the project counts its model's mart, any other
  view its schema.
#}
{% macro mv_dependant_marts(relation_oid) -%}
  {%- set marts_by_relation = {} -%}
  {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
    {%- do marts_by_relation.update({node.schema ~ '.' ~ (node.alias or node.name): mv_mart(node)}) -%}
  {%- endfor -%}
  {%- set query -%}
    {{ mv_dependant_tree_sql(relation_oid) }}
    select distinct n.nspname as schema_name, c.relname as relation_name
    from dependant dep
    join pg_class c on c.oid = dep.oid
    join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('v', 'm')
  {%- endset -%}
  {%- set marts = [] -%}
  {%- for row in run_query(query).rows -%}
    {%- set mart = marts_by_relation.get(row['schema_name'] ~ '.' ~ row['relation_name'], row['schema_name']) -%}
    {%- if mart not in marts -%}{%- do marts.append(mart) -%}{%- endif -%}
  {%- endfor -%}
  {{ return(marts) }}
{%- endmacro %}


{#
  The rebuild guards an action needs, sorted by mart (docs/materialized-view.md, "Locks"): a
  rebuild or swap its own mart's and its dependants' marts' exclusively, a create its own
  exclusively and those of the views it reads shared, a refresh its own shared.
#}
{% macro mv_guards(action, existing) -%}
  {%- set own = mv_mart(model) -%}
  {%- set modes = {own: action in ['create', 'rebuild', 'refresh_swap']} -%}
  {%- if action in ['rebuild', 'refresh_swap'] and existing is not none -%}
    {%- for mart in mv_dependant_marts(existing.oid) -%}
      {%- do modes.update({mart: true}) -%}
    {%- endfor -%}
  {%- elif action == 'create' -%}
    {%- for unique_id in mv_read_nodes([model.unique_id]) -%}
      {%- set node = graph.nodes.get(unique_id) -%}
      {%- if node is not none and node.resource_type == 'model' and mv_mart(node) not in modes -%}
        {%- do modes.update({mv_mart(node): false}) -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {%- set guards = [] -%}
  {%- for mart in modes | sort -%}
    {%- do guards.append({'mart': mart, 'exclusive': modes[mart]}) -%}
  {%- endfor -%}
  {{ return(guards) }}
{%- endmacro %}


{# True when the guards held include every guard needed, each in a mode at least as strong. #}
{% macro mv_guards_cover(held, needed) -%}
  {%- for guard in needed -%}
    {%- set ns = namespace(covered=false) -%}
    {%- for other in held if other.mart == guard.mart and (other.exclusive or not guard.exclusive) -%}
      {%- set ns.covered = true -%}
    {%- endfor -%}
    {%- if not ns.covered -%}{{ return(false) }}{%- endif -%}
  {%- endfor -%}
  {{ return(true) }}
{%- endmacro %}
