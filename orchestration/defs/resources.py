"""Dagster resources: the dbt CLI of this environment and the Postgres the views live in.

Both reach the server lazily, when a run or a sensor tick uses them, through
`orchestration.database.ensure_database()`: the external server named by the environment
(`analytics dev` exports the embedded server's PG* variables to Dagster), else the embedded
one. Loading the definitions never connects to anything.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any

import psycopg2.extensions
from dagster import ConfigurableResource
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject
from dbt.adapters.base import BaseAdapter
from packaging import version

from orchestration.core import database
from orchestration.core.dbt import dbt_executable
from orchestration.core.project import TARGET_PATH
from orchestration.core.settings import ConnectionSettings


class AnalyticsDbtCliResource(DbtCliResource):
    """`DbtCliResource` that runs this venv's dbt against the configured server.

    dagster-dbt starts dbt with a copy of `os.environ` taken inside `cli()`; profiles.yml reads
    the PG* variables. So `cli()` runs with the PG* variables of `ensure_database()` and with
    DBT_TARGET_PATH=target/dagster (dagster-dbt gives each run target/dagster/<op>-<run>-<id>/
    and seeds it with the partial parse file that `prepare_manifest` keeps fresh there), and
    puts the environment back as it was once dbt has started.
    """

    def cli(self, args: Sequence[str], **kwargs: Any) -> DbtCliInvocation:
        overrides = {
            **database.ensure_database().libpq_env(),
            "DBT_TARGET_PATH": os.environ.get("DBT_TARGET_PATH") or str(TARGET_PATH),
        }
        with _environment(overrides):
            return super().cli(args, **kwargs)

    # Two start-up costs of every `dbt.cli(...)` that this project does not need (about 2-4 s
    # a run). They override private dagster-dbt methods (pinned to 0.29.x in pyproject).

    @cached_property
    def _cli_version(self) -> version.Version:
        """dagster-dbt runs `dbt --version` to learn this; the venv's dbt is the dbt-core here."""
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> BaseAdapter:  # type: ignore[override]
        """No in-process dbt adapter: it only serves `fetch_row_counts()` and
        `fetch_column_metadata()`; the row counts come from the refresh log instead."""
        return None  # type: ignore[return-value]


class PostgresResource(ConfigurableResource):
    """Connections to the analytics database (for the source sensor and run metadata)."""

    def settings(self) -> ConnectionSettings:
        return database.ensure_database()

    @contextlib.contextmanager
    def connect(self) -> Iterator[psycopg2.extensions.connection]:
        with database.connect(self.settings(), autocommit=True) as conn:
            yield conn


@contextlib.contextmanager
def _environment(overrides: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def dbt_resource(project: DbtProject) -> AnalyticsDbtCliResource:
    return AnalyticsDbtCliResource(project_dir=project, dbt_executable=dbt_executable())
