{#
  skip_refresh_when_unchanged: every relation the view reads, each with its change marker, or
  the reason it has none (then the view cannot be known unchanged). What it reads is what
  Postgres records for the view as built (pg_depend of its query, which also sees relations
  named in raw SQL) and what the model reads per dbt (mv_read_nodes: sources and upstream
  models, through ephemeral models), with every table's inheritance children and partitions.
  Markers (docs/materialized-view.md, "Skipping a refresh when no source changed"):

    table                     oid:trigger oid:trigger xmin:changes   (writes counted by its trigger)
    our materialized view     oid:relfilenode:changes                (refreshes counted by ours)

  Also listed, as reasons: what the view's query calls that reads the clock or may read
  tables (volatile functions, now(), current_date, stable functions of the project).
  Each row: relation, oid, marker, problem, install (a table to put the trigger on) and fix
  (the grant that would make it trackable).
#}
{% macro mv_sources(existing) %}
  {%- set meta = adapter.quote(mv_meta_schema()) -%}
  {%- set view_oid = existing.oid if existing is not none and existing.kind == 'm' else 0 -%}
  {%- set names = [] -%}
  {%- for unique_id in mv_read_nodes([model.unique_id]) -%}
    {%- set source = graph.sources.get(unique_id) -%}
    {%- set node = graph.nodes.get(unique_id) -%}
    {%- if source is not none -%}
      {%- do names.append(mv_qualified(source.schema, source.identifier)) -%}
    {%- elif node is not none -%}
      {%- do names.append(mv_qualified(node.schema, node.alias or node.name)) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set query -%}
    with recursive read (oid) as (
        select d.refobjid
        from pg_rewrite r
        join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
                        and d.refclassid = 'pg_class'::regclass
        where r.ev_class = {{ view_oid }} and d.refobjid <> r.ev_class
        union
        select to_regclass(name)::oid
        from unnest(array[{{ mv_literal_list(names) }}]::text[]) as name
        where to_regclass(name) is not null
    ),
    member (oid) as (
        select oid from read
        union
        select i.inhrelid from member m join pg_inherits i on i.inhparent = m.oid
    ),
    relation as (
        select c.oid, c.relkind, c.relfilenode, n.nspname,
               format('%I.%I', n.nspname, c.relname) as name,
               t.oid as trigger_oid, t.xmin as trigger_xmin, t.tgenabled,
               coalesce({{ mv_change_trigger_ok_sql('t') }}, false) as trigger_ok,
               has_table_privilege(c.oid, 'TRIGGER') as can_trigger,
               exists (select 1 from pg_subscription_rel sr where sr.srrelid = c.oid) as subscribed,
               exists (select 1 from {{ meta }}.mv_state s where s.relation_oid = c.oid) as ours,
               coalesce((select k.changes from {{ meta }}.source_change_counts k where k.relid = c.oid), 0)
                   + (select count(*) from {{ meta }}.source_changes x where x.relid = c.oid) as changes
        from member m
        join pg_class c on c.oid = m.oid
        join pg_namespace n on n.oid = c.relnamespace
        left join pg_trigger t on t.tgrelid = c.oid and t.tgname = {{ mv_literal(mv_change_trigger_name()) }}
        where c.relkind <> 'c'
    ),
    classified as (
        select r.*,
               case
                   when r.nspname in ('pg_catalog', 'information_schema') or r.nspname like 'pg\_toast%'
                       then 'it is a system catalog'
                   when r.relkind = 'v' then 'it is a view, and no trigger sees what changes under it'
                   when r.relkind = 'f' then 'it is a foreign table, and no trigger sees its changes'
                   when r.relkind = 'm' and not r.ours then 'it is a materialized view not built by this materialization'
                   when r.relkind = 'm' then null
                   when r.relkind not in ('r', 'p') then format('it is a relation of kind %s', r.relkind)
                   when r.subscribed then 'logical replication writes to it, and its apply fires no statement trigger'
                   when not r.trigger_ok and not r.can_trigger then format('role %s may not create triggers on it', current_user)
                   when not r.trigger_ok then 'it has no change trigger'
                   when r.tgenabled not in ('O', 'A') then 'its change trigger is disabled'
               end as problem
        from relation r
    )
    select c.name as relation, c.oid::bigint as oid, c.problem,
           case when c.problem is null and c.relkind = 'm' then concat_ws(':', c.oid, c.relfilenode, c.changes)
                when c.problem is null then concat_ws(':', c.oid, c.trigger_oid, c.trigger_xmin, c.changes)
           end as marker,
           c.relkind in ('r', 'p') and not c.subscribed and c.can_trigger and not c.trigger_ok
               and c.problem is distinct from 'it is a system catalog' as install,
           case when c.relkind in ('r', 'p') and not c.trigger_ok and not c.can_trigger
                then format('grant trigger on %s to %I', c.name, current_user) end as fix
    from classified c
    union all
    select distinct p.oid::regprocedure::text, null::bigint, case
               when p.provolatile = 'v' then 'it is volatile: its result may differ on every call'
               when p.oid >= 16384 then 'it is a stable function, which may read tables no trigger watches'
               else 'it reads the clock'
           end, null::text, false, null::text
    from pg_rewrite r
    cross join lateral regexp_matches(r.ev_action::text, ':(?:funcid|opfuncid|aggfnoid|winfnoid) (\d+)', 'g') as f (m)
    join pg_proc p on p.oid = f.m[1]::oid
    where r.ev_class = {{ view_oid }}
      and (p.provolatile = 'v'
           or p.provolatile = 's' and (p.oid >= 16384
                                       or p.proname in ('now', 'transaction_timestamp', 'statement_timestamp')
                                       or p.proname = 'age' and p.pronargs = 1))
    union all
    select 'current_date, current_timestamp, localtime or the like', null::bigint,
           'it reads the clock (or the session''s user)', null::text, false, null::text
    from pg_rewrite r
    where r.ev_class = {{ view_oid }} and r.ev_action::text like '%{SQLVALUEFUNCTION %'
    union all
    select 'TABLESAMPLE', null::bigint, 'it samples different rows on every refresh', null::text, false, null::text
    from pg_rewrite r
    where r.ev_class = {{ view_oid }} and r.ev_action::text like '%{TABLESAMPLECLAUSE %'
    order by 1
  {%- endset -%}
  {%- set found = [] -%}
  {%- for row in run_query(query).rows -%}
    {%- do found.append({'relation': row['relation'], 'oid': row['oid'], 'marker': row['marker'],
                         'problem': row['problem'], 'install': row['install'], 'fix': row['fix']}) -%}
  {%- endfor -%}
  {{ return(found) }}
{% endmacro %}
