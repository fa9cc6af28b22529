"""What the marts' suites share: a database of their own for a mart's fixed source schemas, the
mart's simulated sources loaded there, the mart built on them by `dbt build`, its docs site,
and the views as the bench's parameter pickers read them."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.bench.mart import Mart
from orchestration.cli import docs_site
from orchestration.core.settings import ConnectionSettings
from orchestration.demo_data import engine
from orchestration.demo_data.engine import LoadReport
from tests.python.browser import HOST, free_port
from tests.python.databases import create_database, drop_database, query
from tests.python.dbt_runs import run_dbt_captured
from tests.python.reliability.conftest import Mart as DbtProject
from tests.python.reliability.conftest import fresh_database
from tests.python.sql_client import SqlClient


@dataclass(frozen=True)
class LoadedSources:
    """The database holding a mart's loaded sources (`settings.libpq_env()` for a subprocess),
    and the load's report (rows per table, period, seconds)."""

    settings: ConnectionSettings
    load: LoadReport


@dataclass(frozen=True)
class BuiltMart:
    """A mart built on its loaded sources: the database, dbt's target directory (its manifest
    holds every view's compiled SQL) and the build's captured output."""

    settings: ConnectionSettings
    target_path: Path
    sources: LoadedSources
    build: subprocess.CompletedProcess[str]


@contextlib.contextmanager
def own_database(pg_settings: ConnectionSettings, name: str) -> Iterator[ConnectionSettings]:
    """A fresh database `name` on the session's server, dropped afterwards."""
    try:
        yield create_database(pg_settings, name)
    finally:
        drop_database(pg_settings, name)


def one(settings: ConnectionSettings, sql: str, params: object = None) -> tuple:
    rows = query(settings, sql, params)
    assert len(rows) == 1, rows
    return rows[0]


@dataclass(frozen=True)
class Reloads:
    """Fingerprints of two reloads of a mart: another seed, then its first seed again."""

    other_seed: tuple
    same_seed: tuple
    # (seed, scale) the last load recorded in analytics_demo_loads.
    recorded: tuple

    def other_seed_differs(self, tables: Iterable[str], expected: tuple) -> dict[str, bool]:
        """Per table (in the fingerprint's order), whether the other seed's rows differ from
        `expected` (the fingerprint of the first seed's load)."""
        return dict(zip(tables, (a != b for a, b in zip(self.other_seed, expected, strict=True)),
                        strict=True))


def reload_seeds(settings: ConnectionSettings, mart: str, load: Callable[..., LoadReport],
                 fingerprint: str, monkeypatch: Any) -> Reloads:
    """Load seed 2 into `settings`, then the default seed again with three sessions sharing the
    parallel steps (whatever the plan, the same rows); each load's `fingerprint` query."""
    load(settings, seed=2)
    other = one(settings, fingerprint)
    monkeypatch.setattr(engine, "sessions", lambda: 3)
    load(settings)
    return Reloads(other, one(settings, fingerprint),
                   one(settings, "select seed, scale from public.analytics_demo_loads"
                                 " where mart = %s", (mart,)))


def build_mart(sources: LoadedSources, selector: str, target_path: Path) -> BuiltMart:
    """`dbt build --select <selector>` (views, data tests, unit tests) on the loaded sources."""
    build = run_dbt_captured(sources.settings, ["build", "--select", selector], target_path)
    assert build.returncode == 0, f"dbt build of the mart failed:\n{build.stdout[-8000:]}"
    return BuiltMart(settings=sources.settings, target_path=target_path, sources=sources,
                     build=build)


@contextlib.contextmanager
def docs_site_of(mart: BuiltMart) -> Iterator[str]:
    """The dbt docs site of the built mart, served on a free port: its URL."""
    docs_site.generate_docs(mart.settings, target_path=mart.target_path)
    port = free_port()
    server = docs_site.start_docs_server(mart.settings, HOST, port, target_path=mart.target_path)
    try:
        yield f"http://{HOST}:{port}/"
    finally:
        docs_site.stop_docs_server(server)


class BuiltViews:
    """The built views as the bench's parameter picker reads them (`spec.ViewReader`)."""

    def __init__(self, built: BuiltMart, mart: Mart) -> None:
        self.built = built
        self.mart = mart

    def relation(self, view: str) -> str:
        return self.mart.view(view).qualified

    def first(self, statement: str, params: Any = ()) -> Any:
        rows = query(self.built.settings, statement, tuple(params))
        return rows[0][0] if rows else None


def view_indexes(settings: ConnectionSettings, schema: str, view: str
                 ) -> dict[str, tuple[bool, bool, list[str]]]:
    """The view's indexes: name -> (unique, a plain index of columns, its columns in order)."""
    rows = query(settings, """
        select i.relname, x.indisunique,
               x.indpred is null and x.indexprs is null and x.indisvalid,
               array(select a.attname from unnest(x.indkey) with ordinality as k(attnum, n)
                     join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum
                     order by k.n)
        from pg_index x
        join pg_class i on i.oid = x.indexrelid
        join pg_class t on t.oid = x.indrelid
        join pg_namespace s on s.oid = t.relnamespace
        where s.nspname = %s and t.relname = %s""", (schema, view))
    return {name: (unique, plain, list(columns)) for name, unique, plain, columns in rows}


# --- a mart on hand-written rows (the hostile-data suites) -----------------------------------

def named_rows(client: SqlClient, statement: str, params: tuple[object, ...] = ()
               ) -> list[dict[str, Any]]:
    """The rows of `statement`, each a dict of column name -> value."""
    with client.connect() as conn, conn.cursor() as cur:
        cur.execute(statement, params or None)
        return [{c.name: v for c, v in zip(cur.description, found, strict=True)}
                for found in cur.fetchall()]


def view_counts(client: SqlClient, views: Iterable[str]) -> dict[str, int]:
    """Each of `views`' row count (in schema analytics)."""
    return {view: named_rows(client, f"select count(*) as n from analytics.{view}")[0]["n"]
            for view in views}


@contextlib.contextmanager
def built_empty_then_on(pg_settings: ConnectionSettings, database: str, work_dir: Path,
                        dbt_args: list[str], corpus: str, views: Iterable[str]
                        ) -> Iterator[tuple[DbtProject, dict[str, int]]]:
    """A database `database` with the project's migrations, the mart built there by
    `dbt <dbt_args>` as `analytics_owner` on empty tables (`views`' row counts kept), then
    `corpus` written and the mart built again: (the project on it, the empty counts). The
    database is dropped afterwards."""
    created: list[ConnectionSettings] = []
    settings = fresh_database(pg_settings, created, database)
    project = DbtProject(settings=settings, work_dir=work_dir)
    try:
        project.dbt(dbt_args)
        empty = view_counts(project, views)
        with project.connect() as conn, conn.cursor() as cur:
            cur.execute(corpus)
        project.dbt(dbt_args)
        yield project, empty
    finally:
        drop_database(pg_settings, database)
