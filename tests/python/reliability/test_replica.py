"""A streaming replica keeps serving every view while the primary refreshes and rebuilds.

Two embedded servers of their own (not the session's): `analytics db replica start` makes the
primary and its hot standby from a fresh directory, as a newcomer would. The retail mart (every
refresh strategy: concurrently, swap, incremental) is built on the primary at scale S/10; then,
with one reader per view on the replica in a loop, the primary runs the scheduled refresh after
an hour of new data, a `--full-refresh` (every view built anew and swapped in) and a run after a
change of a model's SQL (a rebuild and swap of it and its dependants). No read fails, and the
replica's rows equal the primary's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest

from orchestration.core import database, replica
from orchestration.core.settings import LIBPQ_VARIABLES, ConnectionSettings
from tests.python.reliability.conftest import (
    MART_SELECTOR,
    MART_VIEWS,
    Mart,
    copy_project,
    load_demo,
)
from tests.python.sql_client import SqlClient

CHANGED = "mv_store_performance"


@dataclass(frozen=True)
class Server(SqlClient):
    settings: ConnectionSettings


@dataclass(frozen=True)
class Pair:
    primary: ConnectionSettings
    replica: ConnectionSettings
    env: dict[str, str]


def analytics(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "analytics"), *args], env=env,
                          capture_output=True, text=True, check=False, timeout=900)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """A primary and its replica from nothing, by the command line, on a directory of their own."""
    primary_dir = tmp_path_factory.mktemp("replica_pair") / "primary"
    env = {name: value for name, value in os.environ.items()
           if name not in (*LIBPQ_VARIABLES, "ANALYTICS_DATABASE_URL",
                           "ANALYTICS_READ_DATABASE_URL")}
    env["ANALYTICS_PGDATA"] = str(primary_dir)
    started = analytics(env, "db", "replica", "start")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        primary = database.running_settings(primary_dir)
        standby = replica.settings(primary_dir)
        assert primary is not None and standby is not None
        yield Pair(primary, standby, env)
    finally:
        analytics(env, "db", "replica", "stop", "--remove")
        analytics(env, "db", "stop")


def test_the_replica_commands_make_a_streaming_hot_standby(pair: Pair) -> None:
    status = analytics(pair.env, "db", "replica", "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "streaming" in status.stdout
    url = analytics(pair.env, "db", "replica", "url")
    assert url.stdout.strip() == pair.replica.masked_url()
    assert Server(pair.replica).scalar("select pg_is_in_recovery()") is True
    assert Server(pair.primary).scalar("show wal_level") == "replica"
    with pytest.raises(psycopg2.Error, match="read-only transaction"):
        Server(pair.replica).sql("create table written_on_the_replica (id int)")


@dataclass
class ReplicaReaders:
    """One reader per view on the replica, each counting its view's rows in a loop."""

    settings: ConnectionSettings
    views: tuple[str, ...]
    stop: threading.Event = field(default_factory=threading.Event)
    reads: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def _read(self, view: str) -> None:
        conn = psycopg2.connect(**self.settings.connect_kwargs(), application_name="replica-test")
        conn.autocommit = True
        try:
            while not self.stop.is_set():
                try:
                    with conn.cursor() as cur:
                        cur.execute(f"select count(*) from analytics.{view}")
                        cur.fetchone()
                    self.reads[view] = self.reads.get(view, 0) + 1
                except psycopg2.Error as error:
                    self.errors.append(f"{view}: {str(error).strip()}")
                    if conn.closed:
                        conn = psycopg2.connect(**self.settings.connect_kwargs())
                        conn.autocommit = True
                time.sleep(0.01)
        finally:
            conn.close()

    def __enter__(self) -> ReplicaReaders:
        self.threads = [threading.Thread(target=self._read, args=(view,), daemon=True)
                        for view in self.views]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def changed_copy(directory: Path) -> Path:
    """The project with CHANGED's SQL changed (same rows): its next run rebuilds and swaps."""
    copy_project(directory)
    model = directory / "models" / "marts" / "retail" / f"{CHANGED}.sql"
    model.write_text("select * from (\n" + model.read_text() + "\n) as changed\n")
    return directory


def test_readers_on_the_replica_never_fail_while_the_primary_refreshes_and_rebuilds(
    pair: Pair, tmp_path: Path
) -> None:
    mart = Mart(settings=pair.primary, work_dir=tmp_path / "work",
                project_dir=copy_project(tmp_path / "project"))
    loaded = analytics(pair.env, "db", "migrate")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    load_demo(pair.primary, "S/10")
    mart.dbt(["seed"])
    mart.dbt(["run", "--select", MART_SELECTOR])
    # No view lets autovacuum truncate it: that ACCESS EXCLUSIVE lock would be replayed here.
    options = dict(mart.sql("select relname, reloptions from pg_class where relname = any(%s)"
                            " and relnamespace = 'analytics'::regnamespace", (list(MART_VIEWS),)))
    assert options == {view: ["vacuum_truncate=false"] for view in MART_VIEWS}, options
    replica.wait_for_replay(pair.primary, pair.replica)
    changed = Mart(settings=pair.primary, work_dir=tmp_path / "work",
                   project_dir=changed_copy(tmp_path / "changed"))
    first = mart.last_log_id()

    with ReplicaReaders(pair.replica, MART_VIEWS) as readers:
        advanced = analytics(pair.env, "demo-data", "--mart", "retail", "--advance", "1h")
        assert advanced.returncode == 0, advanced.stdout + advanced.stderr
        mart.dbt(["run", "--select", MART_SELECTOR])
        mart.dbt(["run", "--select", MART_SELECTOR, "--full-refresh"])
        changed.dbt(["run", "--select", MART_SELECTOR])
        replica.wait_for_replay(pair.primary, pair.replica)
        time.sleep(0.2)

    actions = {(str(model), str(action)) for model, action, status, _ in mart.log_since(first)
               if status == "success"}
    # Every strategy ran while the readers read: incremental, concurrently, swap, rebuilds.
    assert {("mv_daily_sales_estimates", "refresh_incremental"),
            ("mv_brand_market_share", "refresh_concurrently"),
            ("mv_sku_velocity", "refresh_swap"),
            (CHANGED, "rebuild")} <= actions, actions
    assert readers.errors == [], readers.errors[:5]
    assert set(readers.reads) == set(MART_VIEWS) and min(readers.reads.values()) > 10, readers.reads
    on_replica = Mart(settings=pair.replica, work_dir=tmp_path / "work")
    assert on_replica.fingerprints() == mart.fingerprints()
