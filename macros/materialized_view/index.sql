{#
  Index post-hook for materialized views:

    post_hook=[ mv_index(['brand_name', 'sale_date desc']),
                mv_index(['lower(query)'], method='gin'),
                mv_index(['period_start'], include=['brand_id'], where="segment_type = 'weekly'") ]

  Each element of `columns` is a column name or an SQL expression, optionally followed by
  asc/desc, nulls first/last (and an operator class for expressions, written inside them).
  The rendered hook is an idempotent CREATE INDEX on {{ this }}, so it also works under other
  materializations. Ours reads the spec from the leading comment instead, to build the index
  on the new relation before a swap and to rebuild when the set of indexes changes.
#}
{% macro mv_index(columns, unique=false, method='btree', where=none, include=none, name=none) -%}
  {%- set spec = mv_index_spec(this, columns, unique, method, where, include, name) -%}
  /*mv_index {{ tojson(spec) }}*/ {{ mv_index_create_sql(this, spec) }}
{%- endmacro %}


{# The index as data: its name and everything after `ON <relation>`. #}
{% macro mv_index_spec(relation, columns, unique=false, method='btree', where=none, include=none, name=none) -%}
  {%- if columns is string -%}{%- set columns = [columns] -%}{%- endif -%}
  {%- if not columns -%}
    {{ exceptions.raise_compiler_error("mv_index on " ~ relation.identifier ~ ": columns must name at least one column or expression") }}
  {%- endif -%}
  {%- set method = (method or 'btree') | lower -%}
  {%- if method not in ['btree', 'hash', 'gin', 'gist', 'brin', 'spgist'] -%}
    {{ exceptions.raise_compiler_error("mv_index on " ~ relation.identifier ~ ": unknown index method '" ~ method ~ "' (btree, hash, gin, gist, brin or spgist)") }}
  {%- endif -%}
  {%- set keys = [] -%}
  {%- for column in columns -%}
    {%- do keys.append(mv_index_key(column)) -%}
  {%- endfor -%}
  {%- set body = 'using ' ~ method ~ ' (' ~ keys | join(', ') ~ ')' -%}
  {%- if include -%}
    {%- if include is string -%}{%- set include = [include] -%}{%- endif -%}
    {%- set body = body ~ ' include (' ~ include | join(', ') ~ ')' -%}
  {%- endif -%}
  {%- if where -%}
    {%- set body = body ~ ' where (' ~ where ~ ')' -%}
  {%- endif -%}
  {%- set digest = local_md5(('unique ' if unique else '') ~ body)[:8] -%}
  {%- if not name -%}
    {%- set stem = relation.identifier ~ '_' ~ (columns | map('lower') | join('_')) -%}
    {%- set stem = modules.re.sub('[^a-z0-9_]+', '_', stem | lower) -%}
    {%- set name = stem[:50] ~ '_' ~ digest -%}
  {%- endif -%}
  {{ return({'name': name, 'unique': true if unique else false, 'body': body, 'digest': digest}) }}
{%- endmacro %}


{# `col`, `col desc nulls last` or `(expression) desc`: expressions get their parentheses. #}
{% macro mv_index_key(column) -%}
  {%- set match = modules.re.match('^\\s*(.*?)((\\s+(asc|desc))?(\\s+nulls\\s+(first|last))?)\\s*$', column, modules.re.I) -%}
  {%- set expression = match.group(1) -%}
  {%- set ordering = match.group(2) | lower -%}
  {%- if not modules.re.match('^("[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)$', expression) and not expression.startswith('(') -%}
    {%- set expression = '(' ~ expression ~ ')' -%}
  {%- endif -%}
  {{ return(expression ~ ordering) }}
{%- endmacro %}


{% macro mv_index_create_sql(relation, spec, name=none) -%}
  create {{ 'unique ' if spec.unique }}index if not exists {{ adapter.quote(name or spec.name) }} on {{ relation }} {{ spec.body }}
{%- endmacro %}
