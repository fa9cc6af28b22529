"""What the marts' suites share: a database of their own for a mart's fixed source schemas, the
mart's simulated sources loaded there, the mart built on them by `dbt build`, its docs site,
and the views as the bench's parameter pickers read them."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Iterator
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
