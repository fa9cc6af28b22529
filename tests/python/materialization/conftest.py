"""Small throwaway dbt projects that use the project's materialized_view macros."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from orchestration.core.dbt import dbt_executable
from orchestration.core.settings import ConnectionSettings
from tests.python.sql_client import SqlClient

REPO = Path(__file__).resolve().parents[3]


@dataclass
class DbtProject(SqlClient):
    """A dbt project in a temp dir whose models live in their own schema."""

    path: Path
    schema: str
    source_schema: str
    settings: ConnectionSettings
    env: dict[str, str] = field(default_factory=dict)

    def write_model(self, name: str, body: str) -> None:
        (self.path / "models" / f"{name}.sql").write_text(body)

    def write_yml(self, name: str, body: str) -> None:
        (self.path / "models" / f"{name}.yml").write_text(body)

    def dbt(self, *args: str, expect_ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(self.command(*args), env=self.env, cwd=self.path,
                                capture_output=True, text=True, check=False)
        if expect_ok and result.returncode != 0:
            raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        if not expect_ok and result.returncode == 0:
            raise AssertionError(f"dbt {' '.join(args)} passed but should fail:\n{result.stdout}")
        return result

    def command(self, *args: str) -> list[str]:
        return [dbt_executable(), *args, "--project-dir", str(self.path),
                "--profiles-dir", str(self.path)]

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(self.command(*args), env=self.env, cwd=self.path,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def log(self, model: str) -> list[tuple[object, ...]]:
        """(action, status, rows_after, error) of every refresh_log row of `model`, oldest first."""
        return self.sql(
            "select action, status, rows_after, error from analytics_meta.refresh_log "
            "where relation = %s order by id", (f"{self.schema}.{model}",))


@pytest.fixture
def mv_project(tmp_path: Path, pg_settings: ConnectionSettings) -> Iterator[DbtProject]:
    yield from throwaway_project(tmp_path, pg_settings)


def throwaway_project(tmp_path: Path, pg_settings: ConnectionSettings) -> Iterator[DbtProject]:
    """The project of `mv_project`, for fixtures of another scope; its schemas go at the end."""
    suffix = uuid.uuid4().hex[:8]
    project = DbtProject(path=tmp_path / "project", schema=f"mvt_{suffix}",
                         source_schema=f"mvt_src_{suffix}", settings=pg_settings)
    (project.path / "models").mkdir(parents=True)
    shutil.copytree(REPO / "macros", project.path / "macros")
    shutil.copy(REPO / "profiles.yml", project.path / "profiles.yml")
    # Partial parsing: each dbt invocation parses only the files that changed since the last
    # (dbt compares their checksums), which saves seconds per invocation.
    (project.path / "dbt_project.yml").write_text(
        "name: mvt\nversion: '1.0'\nconfig-version: 2\nprofile: analytics\n"
        "flags:\n  send_anonymous_usage_stats: false\n  partial_parse: true\n"
        "vars:\n  mv_meta_schema: analytics_meta\n"
        f"models:\n  mvt:\n    +schema: {project.schema}\n    +materialized: materialized_view\n"
    )
    project.env = {**os.environ, **pg_settings.libpq_env(), "DBT_THREADS": "2"}
    project.sql(f"create schema {project.source_schema}")
    project.sql(f"create table {project.source_schema}.items (id int, v int)")
    project.sql(f"insert into {project.source_schema}.items select g, g from generate_series(1, 100) g")
    # How long a model that reads `slow` sleeps; data, not SQL, so changing it rebuilds nothing.
    project.sql(f"create table {project.source_schema}.slow (seconds float)")
    project.sql(f"insert into {project.source_schema}.slow values (0)")
    try:
        yield project
    finally:
        project.sql(f"drop schema if exists {project.schema} cascade")
        project.sql(f"drop schema if exists {project.source_schema} cascade")
