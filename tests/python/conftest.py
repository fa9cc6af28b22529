"""Shared fixtures: a throwaway embedded Postgres for the whole test session.

Set ANALYTICS_TEST_DATABASE_URL to run the suite against an existing server instead
(its database is used as it is; tests create and drop their own schemas).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.core import database
from orchestration.core.settings import ConnectionSettings, external_settings


@pytest.fixture(scope="session")
def pg_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectionSettings]:
    """A Postgres server for tests, never the `make demo` one in `.pgdata/`."""
    url = os.environ.get("ANALYTICS_TEST_DATABASE_URL")
    if url:
        settings = external_settings({"ANALYTICS_DATABASE_URL": url})
        assert settings is not None
        yield settings
        return
    pgdata = tmp_path_factory.mktemp("pg") / "data"
    settings = database.start_embedded(pgdata)
    try:
        yield settings
    finally:
        database.stop_embedded(pgdata)


@pytest.fixture(scope="session", autouse=True)
def _point_environment_at_test_server(pg_settings: ConnectionSettings) -> Iterator[None]:
    """Everything the tests start (dbt, the CLI, Dagster) reaches the test server."""
    saved = dict(os.environ)
    os.environ.update(pg_settings.libpq_env())
    os.environ.pop("ANALYTICS_DATABASE_URL", None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def project_dir() -> Path:
    return Path(__file__).resolve().parents[2]
