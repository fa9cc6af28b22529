{#
  Every view that reads the relation, transitively, with all it takes to recreate it
  (definition, indexes, comments, grants, owner): views are bound to the OID, not the name,
  so a rebuild recreates them on the new relation (see mv_rebuild_sql).
#}
{% macro mv_dependants(relation_oid) %}
  {%- set old_path = run_query("select current_setting('search_path')").columns[0].values()[0] -%}
  {#- With an empty search_path, pg_get_viewdef qualifies every name, so the text stands alone. -#}
  {%- set query -%}
    set local search_path = '';
    {{ mv_dependant_tree_sql(relation_oid) }}
    select
        dep.depth,
        n.nspname as schema_name,
        c.relname as relation_name,
        c.relkind::text as kind,
        c.relispopulated as populated,
        coalesce(' with (' || array_to_string(c.reloptions, ', ') || ')', '') as options,
        rtrim(pg_get_viewdef(c.oid), E'; \n') as definition,
        array_to_string(array(
            select i.relname || chr(31) || pg_get_indexdef(x.indexrelid)
            from pg_index x join pg_class i on i.oid = x.indexrelid
            where x.indrelid = c.oid order by i.relname), chr(30)) as indexes,
        array_to_string(
            array[format('alter %s %I.%I owner to %I',
                         case c.relkind when 'm' then 'materialized view' else 'view' end,
                         n.nspname, c.relname, pg_get_userbyid(c.relowner))]
            || array(select format('comment on %s %I.%I is %L',
                                   case c.relkind when 'm' then 'materialized view' else 'view' end,
                                   n.nspname, c.relname, d.description)
                     from pg_description d
                     where d.objoid = c.oid and d.classoid = 'pg_class'::regclass and d.objsubid = 0)
            || array(select format('comment on column %I.%I.%I is %L', n.nspname, c.relname,
                                   a.attname, d.description)
                     from pg_description d
                     join pg_attribute a on a.attrelid = c.oid and a.attnum = d.objsubid
                     where d.objoid = c.oid and d.classoid = 'pg_class'::regclass and d.objsubid > 0
                     order by a.attnum)
            || array(select format('grant %s on %I.%I to %s', g.privilege_type, n.nspname, c.relname,
                                   case when g.grantee = 0 then 'public'
                                        else quote_ident(pg_get_userbyid(g.grantee)) end)
                     from aclexplode(c.relacl) g
                     where g.grantee <> c.relowner),
            chr(30)) as finish_sql
    from dependant dep
    join pg_class c on c.oid = dep.oid
    join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('v', 'm')
    order by dep.depth, n.nspname, c.relname
  {%- endset -%}
  {%- set table = run_query(query) -%}
  {%- do run_query("select set_config('search_path', " ~ mv_literal(old_path) ~ ", true)") -%}
  {%- set found = [] -%}
  {%- for row in table.rows -%}
    {%- set indexes = [] -%}
    {%- for entry in (row['indexes'] or '').split('\x1e') if entry -%}
      {%- set parts = entry.split('\x1f') -%}
      {%- do indexes.append({'name': parts[0], 'definition': parts[1]}) -%}
    {%- endfor -%}
    {%- do found.append({
        'depth': row['depth'], 'schema': row['schema_name'], 'name': row['relation_name'],
        'kind': row['kind'], 'populated': row['populated'], 'options': row['options'],
        'definition': row['definition'], 'indexes': indexes,
        'finish_sql': row['finish_sql'].split('\x1e')}) -%}
  {%- endfor -%}
  {{ return(found) }}
{% endmacro %}


{# The CTEs `tree` and `dependant` (oid, depth): the views that read the relation, transitively. #}
{% macro mv_dependant_tree_sql(relation_oid) -%}
    with recursive tree (oid, depth) as (
        select r.ev_class, 1
        from pg_depend d
        join pg_rewrite r on r.oid = d.objid
        where d.classid = 'pg_rewrite'::regclass
          and d.refclassid = 'pg_class'::regclass
          and d.refobjid = {{ relation_oid }}
          and r.ev_class <> {{ relation_oid }}
        union
        select r.ev_class, t.depth + 1
        from tree t
        join pg_depend d on d.refobjid = t.oid
                        and d.classid = 'pg_rewrite'::regclass
                        and d.refclassid = 'pg_class'::regclass
        join pg_rewrite r on r.oid = d.objid
        where r.ev_class <> t.oid
    ),
    dependant as (
        select oid, max(depth) as depth from tree group by oid
    )
{%- endmacro %}
