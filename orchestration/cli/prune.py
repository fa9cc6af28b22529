"""`analytics prune [--yes]`: drop the orphaned materialized views and incremental tables,
never by cascade onto anything else.

The orphans are those `analytics status` lists (orchestration/cli/orphans.py: materialized views
in the project's schemas, or recorded in mv_state, and the incremental tables the
materialization built, that no model declares). Without `--yes` the command lists what it would
drop, in order, and drops nothing. With it, one transaction drops them dependants first (an
orphan reading another goes before it), each with RESTRICT, and deletes their rows of
`<mv_meta_schema>.mv_state` (the refresh log is history and stays). An incremental table takes
its invalidation tracking with it: its trigger function `<mv_meta_schema>.mv_inv__<md5>()`,
dropped with CASCADE, which drops only the triggers calling it (on the model's source, whose
writes would otherwise go on being logged for nobody), and its rows of
`<mv_meta_schema>.mv_invalidations`.

Refused, nothing dropped, exit 1, when anything that is not itself pruned depends on an orphan,
directly or through other dependants (pg_depend: a declared view, any view or materialized
view, a `BEGIN ATOMIC` function ...): the message names each dependant and what it depends on.
A dry run reports the same refusal. The drops run as the role dbt builds as
(`ANALYTICS_DBT_ROLE`, `SET LOCAL ROLE`), else as the connecting user, so the owner of the
relations is the one dropping them; a drop waits at most 30 s for a lock (a long read of the
relation, or for an incremental table's triggers a long read of or write to its source).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from orchestration.cli.orphans import (
    INCREMENTAL_TABLE,
    MATERIALIZED_VIEW,
    Orphan,
    dependants_outside,
    drop_order,
    find_orphans,
    invalidation_function,
    pg_class_oid,
)
from orchestration.core.database import connect
from orchestration.core.project import (
    dbt_project,
    load_manifest,
    meta_schema,
    models,
    prepare_manifest,
    sources,
)
from orchestration.core.settings import ConnectionSettings
from orchestration.core.units import human_bytes

ROLE_ENV = "ANALYTICS_DBT_ROLE"
LOCK_TIMEOUT = "30s"


@dataclass(frozen=True)
class Tracking:
    """An incremental table's invalidation tracking: its trigger function (in the meta schema),
    the tables its triggers sit on (the model's source), its rows of mv_invalidations."""

    function: str  # qualified (the meta schema and the function are plain identifiers)
    function_exists: bool
    trigger_tables: list[str]
    log_rows: int


def _describe(orphan: Orphan, tracking: Tracking | None = None) -> str:
    built = f", built by model {orphan.recorded_model}" if orphan.recorded_model else ""
    populated = "" if orphan.populated else ", not populated"
    tracked = ""
    if tracking is not None:
        if tracking.function_exists:
            on = ", ".join(tracking.trigger_tables) or "no table"
            tracked = f", its trigger function {tracking.function}() with its triggers on {on}"
        tracked += f", its {tracking.log_rows} rows of mv_invalidations"
    return (f"{orphan.kind} {orphan.relation} ({human_bytes(orphan.total_bytes)}, owner"
            f" {orphan.owner}{populated}{built}){tracked}")


def _counted(orphans: Sequence[Orphan]) -> str:
    """`2 materialized views and 1 incremental table`."""
    parts = []
    for kind in (MATERIALIZED_VIEW, INCREMENTAL_TABLE):
        n = sum(1 for o in orphans if o.kind == kind)
        if n:
            parts.append(f"{n} {kind}{'' if n == 1 else 's'}")
    return " and ".join(parts)


def _kinds(orphans: Sequence[Orphan]) -> str:
    """`materialized views`, `incremental tables`, or both."""
    return " and ".join(f"{kind}s" for kind in (MATERIALIZED_VIEW, INCREMENTAL_TABLE)
                        if any(o.kind == kind for o in orphans))


def _tracking(cur: psycopg2.extensions.cursor, schema: str, orphan: Orphan) -> Tracking:
    name = invalidation_function(schema, orphan.schema, orphan.name)
    function = f"{schema}.{name}"
    cur.execute("select to_regprocedure(%s) is not null,"
                " array(select distinct t.tgrelid::regclass::text from pg_trigger t"
                "       where t.tgfoid = to_regprocedure(%s) order by 1),"
                " to_regclass(%s) is not null",
                (f"{function}()", f"{function}()", f'"{schema}".mv_invalidations'))
    row = cur.fetchone()
    assert row is not None
    exists, tables, has_log = bool(row[0]), list(row[1] or []), bool(row[2])
    rows = 0
    if has_log:
        cur.execute(sql.SQL("select count(*) from {}.mv_invalidations where relation = %s").format(
            sql.Identifier(schema)), (orphan.relation,))
        counted = cur.fetchone()
        rows = int(counted[0]) if counted else 0
    return Tracking(function, exists, tables, rows)


def _untrack(cur: psycopg2.extensions.cursor, schema: str, orphan: Orphan,
             tracking: Tracking) -> None:
    """Drop an incremental table's trigger function (CASCADE: the triggers calling it, nothing
    else can depend on a trigger function) and delete its log rows; as
    mv_untrack_invalidations_sql does (macros/materialized_view/invalidations.sql)."""
    if tracking.function_exists:
        cur.execute(sql.SQL("drop function {}.{}() cascade").format(
            sql.Identifier(schema),
            sql.Identifier(invalidation_function(schema, orphan.schema, orphan.name))))
    cur.execute("select to_regclass(%s) is not null", (f'"{schema}".mv_invalidations',))
    row = cur.fetchone()
    if row and row[0]:
        cur.execute(sql.SQL("delete from {}.mv_invalidations where relation = %s").format(
            sql.Identifier(schema)), (orphan.relation,))


def _set_role(cur: psycopg2.extensions.cursor) -> None:
    role = os.environ.get(ROLE_ENV, "")
    if role:
        cur.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))


def _forget(cur: psycopg2.extensions.cursor, schema: str, orphans: list[Orphan]) -> int:
    """Delete the orphans' mv_state rows; how many."""
    cur.execute("select to_regclass(%s) is not null", (f'"{schema}".mv_state',))
    row = cur.fetchone()
    if not (row and row[0]):
        return 0
    cur.execute(
        sql.SQL("delete from {}.mv_state where (schema_name, relation_name) in"
                " (select * from unnest(%s::text[], %s::text[]))").format(sql.Identifier(schema)),
        ([o.schema for o in orphans], [o.name for o in orphans]),
    )
    return cur.rowcount


def prune(settings: ConnectionSettings, *, yes: bool, log: Callable[[str], None],
          project_dir: Path | None = None) -> int:
    """List (or, with `yes`, drop) the orphans; the exit code: 0 done, 1 refused or failed."""
    project = dbt_project(project_dir)
    prepare_manifest(project)
    manifest = load_manifest(project)
    schema = meta_schema(project)
    with connect(settings) as conn:
        try:
            with conn.cursor() as cur:
                if not yes:
                    cur.execute("set transaction read only")
                _set_role(cur)
                cur.execute(sql.SQL("set local lock_timeout = {}").format(
                    sql.Literal(LOCK_TIMEOUT)))
            orphans = find_orphans(conn, models(manifest), sources(manifest), schema)
            if not orphans:
                log("no orphaned materialized views or incremental tables: nothing to prune")
                conn.rollback()
                return 0
            internal, outside = dependants_outside(conn, [o.oid for o in orphans])
            if outside:
                conn.rollback()
                log(f"refused{'' if yes else ' (dry run)'}: nothing "
                    f"{'was' if yes else 'would be'} dropped; these depend on orphaned "
                    f"{_kinds(orphans)}:")
                for edge in outside:
                    log(f"  {edge.dependant} depends on {edge.on}")
                log("drop or change them first, or declare the orphan in a model again "
                    "(prune never cascades)")
                return 1
            ordered = drop_order(orphans, internal, pg_class_oid(conn))
            with conn.cursor() as cur:
                tracking = {o.relation: _tracking(cur, schema, o) for o in ordered if o.is_table}
            if not yes:
                for orphan in ordered:
                    log(f"would drop {_describe(orphan, tracking.get(orphan.relation))}")
                log(f"{_counted(ordered)} orphaned; nothing dropped (dry run):"
                    " `analytics prune --yes` drops them")
                conn.rollback()
                return 0
            with conn.cursor() as cur:
                for orphan in ordered:
                    cur.execute(sql.SQL("drop {} {}.{} restrict").format(
                        sql.SQL("table" if orphan.is_table else "materialized view"),
                        sql.Identifier(orphan.schema), sql.Identifier(orphan.name)))
                    if orphan.relation in tracking:
                        _untrack(cur, schema, orphan, tracking[orphan.relation])
                forgotten = _forget(cur, schema, ordered)
            conn.commit()
        except psycopg2.Error as error:
            conn.rollback()
            log(f"error: nothing was dropped: {' '.join(str(error).split())}")
            return 1
    for orphan in ordered:
        log(f"dropped {_describe(orphan, tracking.get(orphan.relation))}")
    log(f"{_counted(ordered)} orphaned, dropped ({forgotten} mv_state rows deleted)")
    return 0
