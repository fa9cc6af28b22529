"""`analytics prune [--yes]`: drop the orphaned materialized views, never by cascade.

The orphans are those `analytics status` lists (orchestration/cli/orphans.py: materialized views
in the project's schemas, or recorded in mv_state, that no model declares). Without `--yes` the
command lists what it would drop, in order, and drops nothing. With it, one transaction drops
them dependants first (an orphan reading another goes before it), each with RESTRICT, and
deletes their rows of `<mv_meta_schema>.mv_state` (the refresh log is history and stays).

Refused, nothing dropped, exit 1, when anything that is not itself pruned depends on an orphan,
directly or through other dependants (pg_depend: a declared view, any view or materialized
view, a `BEGIN ATOMIC` function ...): the message names each dependant and what it depends on.
A dry run reports the same refusal. The drops run as the role dbt builds as
(`ANALYTICS_DBT_ROLE`, `SET LOCAL ROLE`), else as the connecting user, so the owner of the
views is the one dropping them; a drop waits at most 30 s for a lock (a long read of the view).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from orchestration.cli.orphans import (
    Orphan,
    dependants_outside,
    drop_order,
    find_orphans,
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


def _describe(orphan: Orphan) -> str:
    built = f", built by model {orphan.recorded_model}" if orphan.recorded_model else ""
    populated = "" if orphan.populated else ", not populated"
    return (f"{orphan.relation} ({human_bytes(orphan.total_bytes)}, owner {orphan.owner}"
            f"{populated}{built})")


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
                log("no orphaned materialized views: nothing to prune")
                conn.rollback()
                return 0
            internal, outside = dependants_outside(conn, [o.oid for o in orphans])
            if outside:
                conn.rollback()
                log(f"refused{'' if yes else ' (dry run)'}: nothing "
                    f"{'was' if yes else 'would be'} dropped; these depend on orphaned "
                    "materialized views:")
                for edge in outside:
                    log(f"  {edge.dependant} depends on {edge.on}")
                log("drop or change them first, or declare the orphan in a model again "
                    "(prune never cascades)")
                return 1
            ordered = drop_order(orphans, internal, pg_class_oid(conn))
            if not yes:
                for orphan in ordered:
                    log(f"would drop materialized view {_describe(orphan)}")
                log(f"{len(ordered)} orphaned materialized views; nothing dropped (dry run):"
                    " `analytics prune --yes` drops them")
                conn.rollback()
                return 0
            with conn.cursor() as cur:
                for orphan in ordered:
                    cur.execute(sql.SQL("drop materialized view {}.{} restrict").format(
                        sql.Identifier(orphan.schema), sql.Identifier(orphan.name)))
                forgotten = _forget(cur, schema, ordered)
            conn.commit()
        except psycopg2.Error as error:
            conn.rollback()
            log(f"error: nothing was dropped: {' '.join(str(error).split())}")
            return 1
    for orphan in ordered:
        log(f"dropped materialized view {_describe(orphan)}")
    log(f"{len(ordered)} orphaned materialized views dropped"
        f" ({forgotten} mv_state rows deleted)")
    return 0
