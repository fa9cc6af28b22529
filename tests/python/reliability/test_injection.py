"""Hostile --select / --cadence values: refused before anything runs, with no side effect.

Selections are checked token by token against the manifest (orchestration/refresh.py) and only
ever handed to dbt's selector as argv, never to SQL or a shell; cadences must be one of the
project's. The Dagster jobs take no run config that could carry either: their selection is a
set of asset keys from the manifest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.core.paths import DAGSTER_YAML, PROJECT_DIR
from tests.python.reliability.conftest import Mart

ANALYTICS = str(Path(sys.executable).parent / "analytics")
CANARY_TABLE = "public.y"

HOSTILE = [
    ["--select", "x; drop table y"],
    ["--select", "mv_store_performance; drop table y"],
    ["--select", "mv_store_performance'"],
    ["--select", "mv_store_performance' or '1'='1"],
    ["--select", '"mv_store_performance"'],
    ["--select", "tag:x' --"],
    ["--select", "mv_store_performance --vars {a: 1}"],
    ["--select", "mv_store_performance --full-refresh"],
    ["--select", "path:/etc"],
    ["--select", "`touch {pwned}`"],
    ["--select", "$(touch {pwned})"],
    ["--select", "mv_store_performance\n; drop table y"],
    ["--cadence", "hourly'; --"],
    ["--cadence", "hourly; drop table y"],
    ["--cadence", "$(touch {pwned})"],
    ["--cadence", "hourly", "--select", "x); drop table y; --"],
]


@pytest.fixture
def guarded(owner_mart: Mart, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The mart's database and an empty Dagster home in the environment; a canary table."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML.read_text())
    for name, value in {**owner_mart.settings.libpq_env(), "DAGSTER_HOME": str(home)}.items():
        monkeypatch.setenv(name, value)
    owner_mart.sql(f"create table if not exists {CANARY_TABLE} (id int)")
    return home


def assert_nothing_happened(mart: Mart, home: Path, first_log_id: int, pwned: Path) -> None:
    assert mart.last_log_id() == first_log_id, "no view was refreshed"
    assert mart.scalar(f"select to_regclass('{CANARY_TABLE}') is not null")
    assert not pwned.exists()
    assert DagsterInstance.from_config(str(home)).get_runs_count() == 0


@pytest.mark.parametrize("arguments", HOSTILE, ids=lambda a: " ".join(a))
def test_a_hostile_refresh_is_refused_cleanly(
    owner_mart: Mart, guarded: Path, tmp_path: Path, arguments: list[str]
) -> None:
    pwned = tmp_path / "pwned"
    first = owner_mart.last_log_id()
    args = ["refresh", *(a.replace("{pwned}", str(pwned)) for a in arguments)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "error:" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert_nothing_happened(owner_mart, guarded, first, pwned)


def test_a_shell_substitution_typed_in_quotes_reaches_no_shell(
    owner_mart: Mart, guarded: Path, tmp_path: Path
) -> None:
    """As typed at a shell prompt: the single quotes hand the text to the CLI unexpanded."""
    pwned = tmp_path / "pwned"
    first = owner_mart.last_log_id()
    command = f"{ANALYTICS} refresh --select '$(touch {pwned})' --cadence 'daily`touch {pwned}`'"
    result = subprocess.run(["bash", "-c", command], env=dict(os.environ), cwd=PROJECT_DIR,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "error:" in result.stdout and "Traceback" not in result.stdout + result.stderr
    assert_nothing_happened(owner_mart, guarded, first, pwned)
