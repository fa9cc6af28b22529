"""What every measurement needs: the server, dbt with a private target directory, timed SQL.

dbt runs with its own `--target-path` and `--log-path` under the bench's work directory, so a
benchmark never overwrites the manifest or partial-parse state of someone working in the same
checkout. Its output goes to a log file there; a failure prints the end of that file.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extensions
from rich.console import Console

from orchestration.core.dbt import dbt_env, dbt_executable
from orchestration.core.paths import PROJECT_DIR
from orchestration.core.settings import ConnectionSettings, read_settings

Connection = psycopg2.extensions.connection
Cursor = psycopg2.extensions.cursor


class BenchError(RuntimeError):
    """The benchmark cannot go on (dbt failed, a view is missing, ...)."""


@dataclass(frozen=True)
class DbtRun:
    args: tuple[str, ...]
    returncode: int
    seconds: float
    log_file: Path


@dataclass
class BenchContext:
    settings: ConnectionSettings
    work_dir: Path
    console: Console = field(default_factory=lambda: Console(stderr=True))
    project_dir: Path = PROJECT_DIR
    # Where the dashboard readers read: ANALYTICS_READ_DATABASE_URL (a replica), else the primary.
    read_settings: ConnectionSettings | None = field(
        default_factory=lambda: read_settings(os.environ))
    _dbt_runs: int = 0

    def __post_init__(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)

    # -- connections ---------------------------------------------------------------------------

    def connect(self, *, autocommit: bool = True, application_name: str = "analytics-bench",
                settings: ConnectionSettings | None = None) -> Connection:
        """A connection to the primary, or to `settings` (a replica) when given."""
        conn = psycopg2.connect(**(settings or self.settings).connect_kwargs(), connect_timeout=10,
                                application_name=application_name)
        conn.autocommit = autocommit
        return conn

    @contextlib.contextmanager
    def cursor(self, *, autocommit: bool = True) -> Iterator[Cursor]:
        conn = self.connect(autocommit=autocommit)
        try:
            with conn.cursor() as cur:
                yield cur
            if not autocommit:
                conn.commit()
        finally:
            conn.close()

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        with self.cursor() as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
            return row[0] if row else None

    # -- dbt -----------------------------------------------------------------------------------

    @property
    def dbt_target_dir(self) -> Path:
        return self.work_dir / "dbt-target"

    def subprocess_env(self) -> dict[str, str]:
        """The environment of dbt and `analytics` child processes: this server, this venv."""
        env = dbt_env(self.settings)
        env.pop("ANALYTICS_DATABASE_URL", None)
        env["DAGSTER_HOME"] = str(self.dagster_home())
        return env

    def dagster_home(self) -> Path:
        """A Dagster instance of the bench's own, so its runs never queue behind `make dev`."""
        home = self.work_dir / "dagster_home"
        home.mkdir(parents=True, exist_ok=True)
        return home

    def dbt(self, args: Sequence[str], *, check: bool = True, log_path: Path | None = None,
            env: Mapping[str, str] | None = None) -> DbtRun:
        """Run `dbt <args>` on this server with the bench's target and log directories (dbt's
        own log file in `log_path` when given, else the bench's `dbt-logs/`); `env` adds to
        its environment (e.g. PGOPTIONS pinning the refresh clock)."""
        self._dbt_runs += 1
        log_file = self.work_dir / f"dbt-{self._dbt_runs:02d}-{args[0]}.log"
        command = [
            dbt_executable(), *args,
            "--project-dir", str(self.project_dir),
            "--target-path", str(self.dbt_target_dir),
            "--log-path", str(log_path or self.work_dir / "dbt-logs"),
        ]
        started = time.perf_counter()
        with open(log_file, "w", encoding="utf-8") as out:
            result = subprocess.run(command, env={**self.subprocess_env(), **(env or {})},
                                    cwd=self.project_dir,
                                    stdout=out, stderr=subprocess.STDOUT, check=False)
        run = DbtRun(tuple(args), result.returncode, time.perf_counter() - started, log_file)
        if check and result.returncode != 0:
            tail = "\n".join(log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-25:])
            raise BenchError(f"`dbt {' '.join(args)}` failed (exit {result.returncode}); "
                             f"log {log_file}:\n{tail}")
        return run

    def analytics_command(self) -> list[str]:
        """The `analytics` CLI of this environment."""
        beside = Path(sys.executable).parent / "analytics"
        if beside.exists():
            return [str(beside)]
        return [sys.executable, "-m", "orchestration.cli"]

    def say(self, message: str) -> None:
        self.console.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {message}")


def timed_execute(cur: Cursor, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> float:
    """Execute `sql` (fetching any rows) and return the seconds it took as seen by the client."""
    started = time.perf_counter()
    cur.execute(sql, params)
    if cur.description is not None:
        cur.fetchall()
    return time.perf_counter() - started


def default_work_dir() -> Path:
    """Where dbt's target/logs and the bench's Dagster home live: `target/bench/`."""
    return Path(os.environ.get("ANALYTICS_BENCH_DIR", PROJECT_DIR / "target" / "bench"))

