"""Orphaned materialized views and incremental tables: in the database, declared by no model.

Shared by `analytics status` (which lists them) and `analytics prune` (which drops them).

A materialized view is **orphaned** when no model of the manifest declares its relation and
- it is in a schema a materialized_view model of the manifest builds into, or
- it is recorded in the materialization's `mv_state` (it built it: a model since removed, renamed
  or moved to another schema),
unless it is
- a source of the manifest (a source may be a materialized view someone else maintains), or
- the staging relation of a rebuild of a declared model (`<alias[:55]>__mv_new`, see
  macros/materialized_view/staging.sql): it exists while that rebuild runs, and the next rebuild
  drops a leftover of a killed one itself. A `__mv_new` whose model is not declared is orphaned.

An **incremental table** (a model with `refresh_strategy='incremental'`: a table the
materialization keeps up to date from its source's invalidation log) is orphaned when no model
declares it and it is the very table the materialization built: recorded in `mv_state` with
`incremental` set and the same OID (being in a project's schema is not enough; a source is
never an orphan). Its trigger function (`<meta>.mv_inv__<md5>()`, see
`invalidation_function`), whose triggers sit on its source, and its rows of
`<meta>.mv_invalidations` belong to it. Any other table is never an orphan (a table made by
hand, or one dbt built, even in the project's schemas; a leftover `__mv_new` table of a removed
incremental model, which mv_state does not record, neither), nor is a plain view, nor the
materialization's own objects (refresh_log, mv_state, mv_status, mv_invalidations and the change
counters, in the meta schema: never recorded in mv_state).

Dependants are read from `pg_depend` as Postgres records them (normal dependencies): a view or
materialized view reading the relation (through its rewrite rule), a `BEGIN ATOMIC` function,
anything using its row type. A function with a plain string body that reads it is not recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from hashlib import md5

import psycopg2.extensions

from orchestration.core.project import ModelInfo, SourceTable

STAGING_SUFFIX = "__mv_new"
# The characters of a model's alias its staging name keeps (mv_staging_name).
STAGING_PREFIX_CHARS = 55
MATERIALIZED_VIEW = "materialized view"
INCREMENTAL_TABLE = "incremental table"


@dataclass(frozen=True)
class Orphan:
    """A materialized view, or an incremental table, no model declares."""

    schema: str
    name: str
    oid: int
    populated: bool
    total_bytes: int
    owner: str
    # The model that built it, as mv_state recorded it (a model since removed), if any.
    recorded_model: str | None
    # MATERIALIZED_VIEW or INCREMENTAL_TABLE: what `drop` takes, and what status shows.
    kind: str = MATERIALIZED_VIEW

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def is_table(self) -> bool:
        return self.kind == INCREMENTAL_TABLE


def invalidation_function(meta_schema: str, schema: str, name: str) -> str:
    """The name (in `meta_schema`) of the trigger function of the incremental model whose table
    is `schema.name`; its triggers on the source are named after it (mv_invalidation_prefix in
    macros/materialized_view/invalidations.sql)."""
    digest = md5(f"{meta_schema}:{schema}.{name}".encode(), usedforsecurity=False).hexdigest()
    return f"mv_inv__{digest[:16]}"


@dataclass(frozen=True)
class Dependency:
    """`dependant` (a `type identity` label) depends on `on` (likewise)."""

    dependant_ref: str
    on_ref: str
    dependant: str
    on: str
    dependant_relation: int | None  # the dependant's pg_class oid when it is a relation


def project_schemas(models: Mapping[str, ModelInfo]) -> list[str]:
    """The schemas the project's materialized views build into."""
    return sorted({m.schema for m in models.values() if m.materialized == "materialized_view"})


def is_declared(schema: str, name: str, models: Iterable[ModelInfo],
                sources: Iterable[SourceTable]) -> bool:
    """A model's relation, a source, or the staging relation of a declared view's rebuild."""
    for model in models:
        if model.schema != schema:
            continue
        if name == model.alias:
            return True
        if (model.materialized == "materialized_view"
                and name == model.alias[:STAGING_PREFIX_CHARS] + STAGING_SUFFIX):
            return True
    return any(s.schema == schema and s.identifier == name for s in sources)


def find_orphans(
    conn: psycopg2.extensions.connection,
    models: Mapping[str, ModelInfo],
    sources: Mapping[str, SourceTable],
    meta_schema: str,
) -> list[Orphan]:
    """The orphaned materialized views and incremental tables, by schema and name."""
    with conn.cursor() as cur:
        state = f'"{meta_schema}".mv_state'  # a plain identifier (checked by project.meta_schema)
        cur.execute("select to_regclass(%s) is not null,"
                    " exists (select 1 from pg_attribute where attrelid = to_regclass(%s)"
                    " and attname = 'incremental' and not attisdropped)", (state, state))
        row = cur.fetchone()
        has_state, has_incremental = (bool(row[0]), bool(row[1])) if row else (False, False)
        recorded = "null::text"
        where_state = "false"
        where_incremental = "false"
        if has_state:
            recorded = (f"(select s.model from {state} s where s.schema_name = n.nspname"
                        " and s.relation_name = c.relname)")
            where_state = (f"exists (select 1 from {state} s where s.schema_name = n.nspname"
                           " and s.relation_name = c.relname)")
        if has_incremental:
            # The table the materialization built and recorded, not one made since in its place.
            where_incremental = (
                f"exists (select 1 from {state} s where s.schema_name = n.nspname"
                " and s.relation_name = c.relname and s.incremental is not null"
                " and s.relation_oid = c.oid)")
        cur.execute(
            f"""
            select n.nspname, c.relname, c.oid, c.relispopulated,
                   pg_total_relation_size(c.oid), pg_get_userbyid(c.relowner), {recorded},
                   case c.relkind when 'm' then %s else %s end
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            where (c.relkind = 'm' and (n.nspname = any(%s) or {where_state}))
               or (c.relkind = 'r' and {where_incremental})
            order by n.nspname, c.relname
            """,
            (MATERIALIZED_VIEW, INCREMENTAL_TABLE, project_schemas(models)),
        )
        rows = cur.fetchall()
    declared = list(models.values())
    tables = list(sources.values())
    return [
        Orphan(schema=schema, name=name, oid=int(oid), populated=bool(populated),
               total_bytes=int(size), owner=str(owner), recorded_model=model, kind=str(kind))
        for schema, name, oid, populated, size, owner, model, kind in rows
        if not is_declared(schema, name, declared, tables)
    ]


# Every normal dependency (deptype 'n') on the relations, their row types or those types' array
# types, with the dependant reduced to what a DROP would have to drop: a view's rewrite rule to
# the view, a default, trigger, policy, constraint or index to its table, anything else (a
# function ...) to itself. The same reading of pg_depend as drop_mart (macros/marts/).
_DEPENDENCIES = """
with target (classid, objid, relation) as (
    select 'pg_class'::regclass::oid, c.oid, c.oid from pg_class c where c.oid = any(%(oids)s)
    union all
    select 'pg_type'::regclass::oid, t.oid, c.oid
    from pg_class c
    join pg_type t on t.oid in (c.reltype, (select typarray from pg_type where oid = c.reltype))
    where c.oid = any(%(oids)s)
),
edge as (
    select distinct
        case when d.classid in ('pg_rewrite'::regclass, 'pg_attrdef'::regclass,
                                'pg_trigger'::regclass, 'pg_policy'::regclass)
                  or (d.classid = 'pg_constraint'::regclass and con.conrelid <> 0)
                  or x.indexrelid is not null
             then 'pg_class'::regclass::oid
             else d.classid end as dep_class,
        coalesce(r.ev_class, ad.adrelid, tg.tgrelid, pol.polrelid, nullif(con.conrelid, 0),
                 x.indrelid, d.objid) as dep_oid,
        t.relation
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
select e.dep_class::text || ':' || e.dep_oid::text,
       'pg_class'::regclass::oid::text || ':' || e.relation::text,
       dep.type || ' ' || dep.identity,
       rel.type || ' ' || rel.identity,
       case when e.dep_class = 'pg_class'::regclass then e.dep_oid end
from edge e
cross join lateral pg_identify_object(e.dep_class, e.dep_oid, 0) as dep
cross join lateral pg_identify_object('pg_class'::regclass, e.relation, 0) as rel
where (e.dep_class, e.dep_oid) <> ('pg_class'::regclass::oid, e.relation)
order by 3, 4
"""


def dependencies(conn: psycopg2.extensions.connection, oids: Sequence[int]) -> list[Dependency]:
    """The direct dependencies on the relations `oids`."""
    if not oids:
        return []
    with conn.cursor() as cur:
        cur.execute(_DEPENDENCIES, {"oids": list(oids)})
        return [Dependency(str(a), str(b), str(c), str(d), int(e) if e is not None else None)
                for a, b, c, d, e in cur.fetchall()]


def dependants_outside(
    conn: psycopg2.extensions.connection, oids: Sequence[int]
) -> tuple[list[Dependency], list[Dependency]]:
    """(edges between the relations `oids`, edges of everything else that depends on them,
    directly or through another such dependant)."""
    inside = {f"{pg_class_oid(conn)}:{oid}" for oid in oids}
    direct = dependencies(conn, oids)
    internal = [d for d in direct if d.dependant_ref in inside]
    outside = [d for d in direct if d.dependant_ref not in inside]
    seen = set(inside) | {d.dependant_ref for d in outside}
    frontier = [d.dependant_relation for d in outside if d.dependant_relation is not None]
    while frontier:
        found = [d for d in dependencies(conn, frontier) if d.dependant_ref not in seen]
        outside += found
        seen |= {d.dependant_ref for d in found}
        frontier = [d.dependant_relation for d in found if d.dependant_relation is not None]
    return internal, outside


def pg_class_oid(conn: psycopg2.extensions.connection) -> int:
    """The oid of pg_class, the class part of a relation's `class:oid` reference."""
    with conn.cursor() as cur:
        cur.execute("select 'pg_class'::regclass::oid")
        row = cur.fetchone()
    assert row is not None
    return int(row[0])


def drop_order(orphans: Sequence[Orphan], internal: Sequence[Dependency],
               class_oid: int) -> list[Orphan]:
    """Dependants first: an orphan comes after every orphan that depends on it."""
    ref = {f"{class_oid}:{o.oid}": o for o in orphans}
    needs = {r: {d.dependant_ref for d in internal if d.on_ref == r and d.dependant_ref != r}
             for r in ref}
    ordered: list[Orphan] = []
    done: set[str] = set()
    while len(ordered) < len(ref):
        ready = [r for r in ref if r not in done and needs[r] <= done]
        if not ready:  # a cycle cannot happen between relations; keep the rest in name order
            ready = [r for r in ref if r not in done]
        for r in sorted(ready, key=lambda r: ref[r].relation):
            ordered.append(ref[r])
            done.add(r)
    return ordered
