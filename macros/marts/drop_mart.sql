{#
  drop_mart: the one command that removes a whole mart, for any mart, instead of a
  hand-written "rollback script" that drops views one by one, forgets a function or a
  dependant, cascades onto another mart or drops a schema shared with others.

      dbt run-operation drop_mart --args '{mart: <mart>}'             (or `analytics drop-mart`)
      dbt run-operation drop_mart --args '{mart: <mart>, dry_run: true}'

  What belongs to a mart: the relations of the models under models/marts/<mart>/ (fqn
  <project>.marts.<mart>.*, any materialization but ephemeral), a leftover `__mv_new` of a
  failed swap of one of them, and the functions its models declare in config
  `meta: {functions: ['name(arg types)']}` (in the model's schema unless qualified). Their
  grants, indexes and comments go with them; their mv_state rows are deleted, the refresh log
  is history and kept. A model with refresh_strategy 'incremental' is a table (dropped as one)
  with invalidation tracking, which goes too: its trigger function in the meta schema, dropped
  with CASCADE so its triggers on the model's source go with it (only triggers can call a
  trigger function), and its rows of mv_invalidations. Source tables, schemas and other marts'
  objects are never dropped.

  Refused, with nothing dropped, when an object outside the mart depends on one of the mart's
  (a view or materialized view of another schema or mart, a BEGIN ATOMIC function, a column
  default, a trigger ...), as pg_depend records it: the error names each such object and what
  it depends on. Dependencies inside the mart are fine: its objects are dropped dependants
  first, each with RESTRICT, so nothing is ever dropped by cascade. One transaction, under
  the mart's rebuild guard (no refresh of the mart runs meanwhile): all or nothing. Objects
  already gone are skipped, so a second run is a no-op.
#}
{% macro drop_mart(mart, dry_run=false) %}
  {%- if not execute -%}{{ return('') }}{%- endif -%}
  {%- set prefix = 'drop_mart ' ~ mart ~ (' (dry run)' if dry_run else '') ~ ': ' -%}
  {%- set members = drop_mart_members(mart) -%}
  {#- The transaction everything below runs in, committed at the end, else rolled back. An
      explicit BEGIN: after dbt's opening COMMIT psycopg2 sends none, and each statement would
      commit on its own (see mv_begin). A dry run's is read only and takes no lock. -#}
  {% call statement('drop_mart_begin') %}
    {%- if dry_run %}
    begin transaction read only
    {%- else %}
    begin;
    select pg_advisory_xact_lock(hashtext({{ mv_literal(mv_guard_key(mart)) }}))
    {%- endif %}
  {% endcall %}
  {%- set found = drop_mart_resolve(members) -%}
  {%- set present = [] -%}
  {%- set inside = [] -%}
  {%- for member in members -%}
    {%- if member.key in found -%}
      {%- if found[member.key].ref not in inside -%}
        {%- do present.append(found[member.key]) -%}
        {%- do inside.append(found[member.key].ref) -%}
      {%- endif -%}
    {%- elif not member.optional -%}
      {{ log(prefix ~ 'skip ' ~ member.label ~ ' (' ~ member.origin ~ '): not in the database', info=true) }}
    {%- endif -%}
  {%- endfor -%}

  {%- set edges = drop_mart_dependencies(present) -%}
  {%- set blockers = [] -%}
  {%- for edge in edges if edge.dependant_ref not in inside -%}
    {%- do blockers.append(edge.dependant ~ ' depends on ' ~ edge.member) -%}
  {%- endfor -%}
  {%- if blockers -%}
    {{ exceptions.raise_compiler_error(
        "drop_mart: the mart " ~ mart ~ " was not dropped (nothing was): objects outside it depend on it:\n  "
        ~ (blockers | unique | sort | join('\n  '))
        ~ "\nDrop or change them first (never by cascade from here).") }}
  {%- endif -%}

  {#- Dependants first: an object's height is the longest chain of mart objects that depend on it. -#}
  {%- set heights = {} -%}
  {%- for object in present -%}{%- do heights.update({object.ref: 0}) -%}{%- endfor -%}
  {%- for _ in present -%}
    {%- for edge in edges if edge.dependant_ref != edge.member_ref -%}
      {%- if heights[edge.dependant_ref] + 1 > heights[edge.member_ref] -%}
        {%- do heights.update({edge.member_ref: heights[edge.dependant_ref] + 1}) -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endfor -%}
  {%- set ordered = [] -%}
  {%- for object in present -%}
    {%- do ordered.append({'height': heights[object.ref], 'label': object.label, 'object': object}) -%}
  {%- endfor -%}

  {%- set verb = 'would drop ' if dry_run else 'drop ' -%}
  {%- for item in ordered | sort(attribute='label') | sort(attribute='height') -%}
    {%- set object = item.object -%}
    {{ log(prefix ~ verb ~ object.label ~ ' (' ~ object.origin ~ ')', info=true) }}
    {%- if not dry_run -%}
      {%- do run_query('drop ' ~ object.type ~ ' ' ~ object.identity ~ ' restrict') -%}
    {%- endif -%}
  {%- endfor -%}

  {%- set untracked = drop_mart_untrack(members, dry_run, prefix) -%}
  {%- set state_rows = drop_mart_forget(members, dry_run) -%}
  {%- if state_rows > 0 -%}
    {{ log(prefix ~ ('would delete ' if dry_run else 'deleted ') ~ state_rows ~ ' row(s) of '
           ~ mv_meta_schema() ~ '.mv_state (the refresh log is kept)', info=true) }}
  {%- endif -%}
  {%- if present | length == 0 and state_rows == 0 and untracked == 0 -%}
    {{ log(prefix ~ 'nothing to drop: none of its objects is in the database', info=true) }}
  {%- elif not dry_run -%}
    {{ adapter.commit() }}
    {{ log(prefix ~ 'dropped ' ~ present | length ~ ' object(s)', info=true) }}
  {%- endif -%}
{% endmacro %}


{#
  What belongs to the mart, from the manifest: one entry per model relation (and its leftover
  swap staging, optional) and per declared function, with where it came from. An unknown mart
  (no model under models/marts/<mart>/) or a function declared without its argument types is
  an error.
#}
{% macro drop_mart_members(mart) -%}
  {%- set members = [] -%}
  {%- set keys = [] -%}
  {%- set marts = [] -%}
  {%- for node in graph.nodes.values() | sort(attribute='unique_id') if node.resource_type == 'model' -%}
    {%- set fqn = node.fqn or [] -%}
    {%- if fqn | length > 3 and fqn[0] == project_name and fqn[1] == 'marts' and fqn[2] not in marts -%}
      {%- do marts.append(fqn[2]) -%}
    {%- endif -%}
    {%- if fqn | length > 3 and fqn[0] == project_name and fqn[1] == 'marts' and fqn[2] == mart
          and node.config.materialized != 'ephemeral' -%}
      {%- set alias = node.alias or node.name -%}
      {%- set origin = 'model ' ~ node.name -%}
      {%- do members.append({'key': 'r:' ~ node.schema ~ '.' ~ alias, 'kind': 'relation', 'optional': false,
                             'schema': node.schema, 'name': alias, 'origin': origin,
                             'label': node.schema ~ '.' ~ alias}) -%}
      {%- set staging = mv_staging_name(alias) -%}
      {%- do members.append({'key': 'r:' ~ node.schema ~ '.' ~ staging, 'kind': 'relation', 'optional': true,
                             'schema': node.schema, 'name': staging, 'origin': origin ~ ', left by a failed swap',
                             'label': node.schema ~ '.' ~ staging}) -%}
      {%- set meta = (node.config.meta or {}) if node.config is mapping else {} -%}
      {%- set declared = meta.get('functions', (node.meta or {}).get('functions', [])) or [] -%}
      {%- if declared is string -%}{%- set declared = [declared] -%}{%- endif -%}
      {%- for declared_entry in declared -%}
        {%- set entry = declared_entry | string | trim -%}
        {%- if '(' not in entry or not entry.endswith(')') -%}
          {{ exceptions.raise_compiler_error("drop_mart: model " ~ node.name ~ " declares the function '" ~ entry
              ~ "' without its argument types; write it as name(type, ...), e.g. f(uuid, date), or f() for none") }}
        {%- endif -%}
        {%- set signature = entry if '.' in entry.split('(')[0] else adapter.quote(node.schema) ~ '.' ~ entry -%}
        {%- if 'f:' ~ signature not in keys -%}
          {%- do keys.append('f:' ~ signature) -%}
          {%- do members.append({'key': 'f:' ~ signature, 'kind': 'function', 'optional': false,
                                 'signature': signature, 'origin': 'declared by model ' ~ node.name,
                                 'label': 'function ' ~ (entry if '.' in entry.split('(')[0] else node.schema ~ '.' ~ entry)}) -%}
        {%- endif -%}
      {%- endfor -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if members | length == 0 -%}
    {{ exceptions.raise_compiler_error("drop_mart: no model of the mart '" ~ mart ~ "' (models/marts/" ~ mart
        ~ "/, fqn " ~ project_name ~ ".marts." ~ mart ~ "); the marts are: " ~ (marts | sort | join(', ') or 'none')) }}
  {%- endif -%}
  {{ return(members) }}
{%- endmacro %}


{#
  The members found in the database, by key: their catalog (class, oid) as `ref`, and the
  type and qualified identity pg_identify_object gives (`materialized view s.v`,
  `function s.f(uuid)`), which are also what DROP takes.
#}
{% macro drop_mart_resolve(members) -%}
  {%- set rows = [] -%}
  {%- for member in members -%}
    {%- if member.kind == 'relation' -%}
      {%- do rows.append("(" ~ mv_literal(member.key) ~ ", 'pg_class'::regclass, (select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = "
                         ~ mv_literal(member.schema) ~ " and c.relname = " ~ mv_literal(member.name) ~ "))") -%}
    {%- else -%}
      {%- do rows.append("(" ~ mv_literal(member.key) ~ ", 'pg_proc'::regclass, to_regprocedure(" ~ mv_literal(member.signature) ~ ")::oid)") -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set query -%}
    select m.member_key, m.classid::oid::text || ':' || m.objid::text as ref,
           m.classid::oid::text as classid, m.objid::text as objid, o.type, o.identity
    from (values {{ rows | join(',\n') }}) as m (member_key, classid, objid)
    cross join lateral pg_identify_object(m.classid, m.objid, 0) as o
    where m.objid is not null
  {%- endset -%}
  {%- set found = {} -%}
  {%- set origins = {} -%}
  {%- for member in members -%}{%- do origins.update({member.key: member.origin}) -%}{%- endfor -%}
  {%- for row in run_query(query).rows -%}
    {%- do found.update({row['member_key']: {
        'ref': row['ref'], 'classid': row['classid'], 'objid': row['objid'], 'type': row['type'],
        'identity': row['identity'], 'label': row['type'] ~ ' ' ~ row['identity'],
        'origin': origins[row['member_key']]}}) -%}
  {%- endfor -%}
  {{ return(found) }}
{%- endmacro %}


{#
  Every normal dependency (pg_depend, deptype 'n') on a mart object, its row type or that
  type's array type, with the dependant reduced to the object a DROP would have to drop: a
  view's rewrite rule to the view, a column default, trigger, constraint, policy or index to
  its table, anything else (a function, a composite type ...) to itself. Each edge names the
  dependant and the mart object as `type identity` and as (class, oid) `ref`s.
#}
{% macro drop_mart_dependencies(objects) -%}
  {%- if objects | length == 0 -%}{{ return([]) }}{%- endif -%}
  {%- set rows = [] -%}
  {%- for object in objects -%}
    {%- do rows.append('(' ~ object.classid ~ '::oid, ' ~ object.objid ~ '::oid)') -%}
  {%- endfor -%}
  {%- set query -%}
    with member (classid, objid) as (
        values {{ rows | join(', ') }}
    ),
    target (classid, objid, member_class, member_oid) as (
        select classid, objid, classid, objid from member
        union all
        select 'pg_type'::regclass::oid, t.oid, m.classid, m.objid
        from member m
        join pg_class c on m.classid = 'pg_class'::regclass and c.oid = m.objid
        join pg_type t on t.oid in (c.reltype, (select typarray from pg_type where oid = c.reltype))
    ),
    edge as (
        select distinct
            case when d.classid in ('pg_rewrite'::regclass, 'pg_attrdef'::regclass, 'pg_trigger'::regclass,
                                    'pg_policy'::regclass)
                      or (d.classid = 'pg_constraint'::regclass and con.conrelid <> 0)
                      or x.indexrelid is not null
                 then 'pg_class'::regclass::oid
                 else d.classid end as dep_class,
            coalesce(r.ev_class, ad.adrelid, tg.tgrelid, pol.polrelid, nullif(con.conrelid, 0), x.indrelid,
                     d.objid) as dep_oid,
            t.member_class,
            t.member_oid
        from pg_depend d
        join target t on t.classid = d.refclassid and t.objid = d.refobjid
        left join pg_rewrite r on d.classid = 'pg_rewrite'::regclass and r.oid = d.objid
        left join pg_attrdef ad on d.classid = 'pg_attrdef'::regclass and ad.oid = d.objid
        left join pg_trigger tg on d.classid = 'pg_trigger'::regclass and tg.oid = d.objid
        left join pg_policy pol on d.classid = 'pg_policy'::regclass and pol.oid = d.objid
        left join pg_constraint con on d.classid = 'pg_constraint'::regclass and con.oid = d.objid
        left join pg_index x on d.classid = 'pg_class'::regclass and x.indexrelid = d.objid
        where d.deptype = 'n'
    )
    select e.dep_class::text || ':' || e.dep_oid::text as dependant_ref,
           e.member_class::text || ':' || e.member_oid::text as member_ref,
           dep.type || ' ' || dep.identity as dependant,
           mem.type || ' ' || mem.identity as member
    from edge e
    cross join lateral pg_identify_object(e.dep_class, e.dep_oid, 0) as dep
    cross join lateral pg_identify_object(e.member_class, e.member_oid, 0) as mem
    where (e.dep_class, e.dep_oid) <> (e.member_class, e.member_oid)
  {%- endset -%}
  {%- set edges = [] -%}
  {%- for row in run_query(query).rows -%}
    {%- do edges.append({'dependant_ref': row['dependant_ref'], 'member_ref': row['member_ref'],
                         'dependant': row['dependant'], 'member': row['member']}) -%}
  {%- endfor -%}
  {{ return(edges) }}
{%- endmacro %}


{#
  The invalidation tracking of the mart's incremental models (refresh_strategy 'incremental',
  macros/materialized_view/invalidations.sql), whether their table is still there or not: each
  model's trigger function, found by its name (mv_invalidation_prefix), is dropped with CASCADE,
  which drops the triggers calling it on the model's source, and the model's rows of
  mv_invalidations are deleted (in a dry run: listed and counted). Returns how many functions
  and log rows there were.
#}
{% macro drop_mart_untrack(members, dry_run, prefix) -%}
  {%- set meta = mv_meta_schema() -%}
  {%- set has_log = run_query("select to_regclass(" ~ mv_literal(adapter.quote(meta) ~ '.mv_invalidations') ~ ") is not null").columns[0].values()[0] -%}
  {%- if not has_log -%}{{ return(0) }}{%- endif -%}
  {%- set found = [] -%}
  {%- for member in members if member.kind == 'relation' and not member.optional -%}
    {%- set name = mv_invalidation_prefix(api.Relation.create(schema=member.schema, identifier=member.name)) -%}
    {%- set signature = adapter.quote(meta) ~ '.' ~ adapter.quote(name) ~ '()' -%}
    {%- set relation = member.schema ~ '.' ~ member.name -%}
    {%- set query -%}
      select to_regprocedure({{ mv_literal(signature) }}) is not null as function_exists,
             coalesce(array_to_string(array(
                 select distinct t.tgrelid::regclass::text from pg_trigger t
                 where t.tgfoid = to_regprocedure({{ mv_literal(signature) }}) order by 1), ', '), '') as sources,
             (select count(*) from {{ adapter.quote(meta) }}.mv_invalidations
              where relation = {{ mv_literal(relation) }}) as log_rows
    {%- endset -%}
    {%- set row = run_query(query).rows[0] -%}
    {%- if row['function_exists'] or row['log_rows'] > 0 -%}
      {%- do found.append({'member': member, 'name': name, 'signature': signature, 'relation': relation,
                           'function_exists': row['function_exists'], 'sources': row['sources'],
                           'log_rows': row['log_rows'] | int}) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set verb = 'would ' if dry_run else '' -%}
  {%- for tracking in found -%}
    {%- if tracking.function_exists -%}
      {{ log(prefix ~ verb ~ 'drop function ' ~ meta ~ '.' ~ tracking.name ~ '() with its triggers on '
             ~ (tracking.sources or 'no table') ~ ' (invalidation tracking of ' ~ tracking.member.origin ~ ')', info=true) }}
      {%- if not dry_run -%}
        {%- do run_query('drop function ' ~ tracking.signature ~ ' cascade') -%}
      {%- endif -%}
    {%- endif -%}
    {%- if tracking.log_rows > 0 -%}
      {{ log(prefix ~ verb ~ ('delete ' if dry_run else 'deleted ') ~ tracking.log_rows ~ ' row(s) of ' ~ meta
             ~ '.mv_invalidations (' ~ tracking.member.origin ~ ')', info=true) }}
      {%- if not dry_run -%}
        {%- do run_query('delete from ' ~ adapter.quote(meta) ~ '.mv_invalidations where relation = ' ~ mv_literal(tracking.relation)) -%}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(found | length) }}
{%- endmacro %}


{# Deletes (or, in a dry run, counts) the mart's rows of mv_state; how many. #}
{% macro drop_mart_forget(members, dry_run) -%}
  {%- set meta = mv_meta_schema() -%}
  {%- set exists = run_query("select to_regclass(" ~ mv_literal(adapter.quote(meta) ~ '.mv_state') ~ ") is not null").columns[0].values()[0] -%}
  {%- if not exists -%}{{ return(0) }}{%- endif -%}
  {%- set keys = [] -%}
  {%- for member in members if member.kind == 'relation' and not member.optional -%}
    {%- do keys.append('(' ~ mv_literal(member.schema) ~ ', ' ~ mv_literal(member.name) ~ ')') -%}
  {%- endfor -%}
  {%- set query -%}
    {{ 'select count(*)' if dry_run else 'with deleted as (delete' }}
    from {{ adapter.quote(meta) }}.mv_state
    where (schema_name, relation_name) in ({{ keys | join(', ') }})
    {{ '' if dry_run else 'returning 1) select count(*) from deleted' }}
  {%- endset -%}
  {{ return(run_query(query).columns[0].values()[0] | int) }}
{%- endmacro %}
