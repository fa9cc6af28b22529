"""Orphaned materialized views: in the database, in the project's schemas, declared by no model.

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
Only materialized views (relkind `m`) are ever considered: tables and plain views are never
orphans, and the materialization's own objects (refresh_log, mv_state, mv_status and the change
counters, in the meta schema) are tables and a view.

Dependants are read from `pg_depend` as Postgres records them (normal dependencies): a view or
materialized view reading the relation (through its rewrite rule), a `BEGIN ATOMIC` function,
anything using its row type. A function with a plain string body that reads it is not recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import psycopg2.extensions

from orchestration.core.project import ModelInfo, SourceTable

STAGING_SUFFIX = "__mv_new"
# The characters of a model's alias its staging name keeps (mv_staging_name).
STAGING_PREFIX_CHARS = 55


@dataclass(frozen=True)
class Orphan:
    """A materialized view no model declares."""

    schema: str
    name: str
    oid: int
    populated: bool
    total_bytes: int
    owner: str
    # The model that built it, as mv_state recorded it (a model since removed), if any.
    recorded_model: str | None

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.name}"


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
    """The orphaned materialized views, by schema and name."""
    with conn.cursor() as cur:
        cur.execute("select to_regclass(%s) is not null",
                    (f'"{meta_schema}".mv_state',))
        row = cur.fetchone()
        has_state = bool(row and row[0])
        recorded = "null::text"
        where_state = "false"
        if has_state:
            # meta_schema is a plain identifier (checked by project.meta_schema).
            state = f'"{meta_schema}".mv_state'
            recorded = (f"(select s.model from {state} s where s.schema_name = n.nspname"
                        " and s.relation_name = c.relname)")
            where_state = (f"exists (select 1 from {state} s where s.schema_name = n.nspname"
                           " and s.relation_name = c.relname)")
        cur.execute(
            f"""
            select n.nspname, c.relname, c.oid, c.relispopulated,
                   pg_total_relation_size(c.oid), pg_get_userbyid(c.relowner), {recorded}
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            where c.relkind = 'm'
              and (n.nspname = any(%s) or {where_state})
            order by n.nspname, c.relname
            """,
            (project_schemas(models),),
        )
        rows = cur.fetchall()
    declared = list(models.values())
    tables = list(sources.values())
    return [
        Orphan(schema=schema, name=name, oid=int(oid), populated=bool(populated),
               total_bytes=int(size), owner=str(owner), recorded_model=model)
        for schema, name, oid, populated, size, owner, model in rows
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
        if not ready:  # a cycle cannot happen between views; keep the rest in name order
            ready = [r for r in ref if r not in done]
        for r in sorted(ready, key=lambda r: ref[r].relation):
            ordered.append(ref[r])
            done.add(r)
    return ordered
