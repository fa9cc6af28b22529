"""The marketplace KPI mart's sources holding scale S demo data, loaded once per session in a
database of its own.

The mart's source schema is fixed (`marketplace`), so its tests use their own database on the
session's server instead of sharing tables with other tests. The load is anchored at the start
of the current hour: the data runs up to it, so windows counted back from now() see data.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestration.core.settings import ConnectionSettings
from orchestration.demo_data.engine import LoadReport
from orchestration.demo_data.marts import load_mart
from tests.python.databases import create_database, drop_database, query
from tests.python.dbt_runs import run_dbt_captured

MART = "marketplace_kpis"
DATABASE = "analytics_marketplace_kpis_tests"
SCALE = "S"
SEED = 1
ANCHOR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
MART_SELECTOR = "+path:models/marts/marketplace_kpis"
MART_VIEWS = ("mv_metricas_mensuales", "mv_ranking_asesores")


@dataclass(frozen=True)
class LoadedSources:
    """The database holding the loaded sources (`settings.libpq_env()` for a subprocess), and
    the load's report (rows per table, period, seconds)."""

    settings: ConnectionSettings
    load: LoadReport


def one(settings: ConnectionSettings, sql: str, params: object = None) -> tuple:
    rows = query(settings, sql, params)
    assert len(rows) == 1, rows
    return rows[0]


def load(settings: ConnectionSettings, seed: int = SEED) -> LoadReport:
    """Scale S of `seed`, anchored at ANCHOR (migrating first)."""
    return load_mart(settings, MART, SCALE, seed=seed, anchor=ANCHOR)


@pytest.fixture(scope="session")
def marketplace_settings(pg_settings: ConnectionSettings) -> Iterator[ConnectionSettings]:
    """A fresh database for the mart, dropped at the end of the session."""
    try:
        yield create_database(pg_settings, DATABASE)
    finally:
        drop_database(pg_settings, DATABASE)


@pytest.fixture(scope="session")
def marketplace_s(marketplace_settings: ConnectionSettings) -> LoadedSources:
    """Scale S, seed SEED, anchored at ANCHOR: migrated and loaded once; tests only read it."""
    return LoadedSources(settings=marketplace_settings, load=load(marketplace_settings))


@dataclass(frozen=True)
class BuiltMart:
    """The mart built on the loaded sources by `dbt build` (views, data tests, unit tests):
    the database, dbt's target directory and the build's captured output."""

    settings: ConnectionSettings
    target_path: Path
    sources: LoadedSources
    build: subprocess.CompletedProcess[str]


@pytest.fixture(scope="session")
def marketplace_mart(marketplace_s: LoadedSources, tmp_path_factory: pytest.TempPathFactory
                     ) -> BuiltMart:
    """`dbt build` of the mart on scale S, once per session; tests only read the views."""
    target_path = tmp_path_factory.mktemp("marketplace_kpis_dbt")
    build = run_dbt_captured(marketplace_s.settings, ["build", "--select", MART_SELECTOR],
                             target_path)
    assert build.returncode == 0, f"dbt build of the mart failed:\n{build.stdout[-8000:]}"
    return BuiltMart(settings=marketplace_s.settings, target_path=target_path,
                     sources=marketplace_s, build=build)
