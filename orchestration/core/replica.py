"""A streaming hot standby of the embedded server, for dashboards to read from.

The replica has its own data directory beside the primary's (`<pgdata>-replica`), is copied
with the wheel's `pg_basebackup` over the primary's unix socket and streams from it through a
physical replication slot. While that directory exists the primary runs with
`wal_level=replica` (see `database.replication_wanted`); the standby settings it starts with
are in `STANDBY_SETTINGS` (docs/scale-out.md says why each).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.core import database
from orchestration.core.paths import pgdata_dir, replica_pgdata_dir
from orchestration.core.settings import ConnectionSettings

SLOT = "analytics_replica"
# Replay never waits on a standby reader for more than this before cancelling the reader: our
# refreshes take no lock a replica reader could hold long (docs/scale-out.md, "Standby settings").
STANDBY_SETTINGS = {
    "hot_standby": "on",
    "hot_standby_feedback": "on",
    "max_standby_streaming_delay": "2s",
    "wal_receiver_status_interval": "1s",
}


class ReplicaError(RuntimeError):
    """The replica cannot be made, started or reached."""


@dataclass(frozen=True)
class ReplicaStatus:
    pgdata: Path
    exists: bool
    running: bool
    settings: ConnectionSettings | None
    streaming: dict[str, Any] | None


def refuse_external() -> None:
    """A replica of an external server is its provider's to make."""
    if database.external_settings() is not None:
        raise ReplicaError(
            "an external server is configured (ANALYTICS_DATABASE_URL or PG* variables): make its "
            "replica with your provider and point dashboards at it with "
            "ANALYTICS_READ_DATABASE_URL (docs/scale-out.md)")


def start(pgdata: Path | None = None) -> ConnectionSettings:
    """Start the replica, first copying the primary when it has none; returns its settings."""
    pgdata = (pgdata or pgdata_dir()).resolve()
    target = replica_pgdata_dir(pgdata)
    if not (target / "PG_VERSION").exists():
        _prepare_empty(target)
    # The primary restarts with wal_level=replica now that the replica's directory exists.
    primary = database.start_embedded(pgdata)
    if not (target / "PG_VERSION").exists():
        _base_backup(primary, target)
    return _start_server(target)


def _prepare_empty(target: Path) -> None:
    if target.exists() and any(target.iterdir()):
        raise ReplicaError(f"{target} is neither empty nor a Postgres data directory: "
                           "remove it, or move the primary with ANALYTICS_PGDATA")
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    _own(target)


def _own(path: Path) -> None:
    """As root the servers run as the wheel's system user, who must own the replica's files."""
    user = database.system_user()
    if user is not None:
        shutil.chown(path, user, user)
        path.chmod(0o700)


def _drop_slot(primary: ConnectionSettings) -> None:
    """The primary's slot for the replica, unless a replica streams through it."""
    with database.connect(primary, dbname="postgres", autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("select pg_drop_replication_slot(slot_name) from pg_replication_slots"
                    " where slot_name = %s and not active", (SLOT,))


def _base_backup(primary: ConnectionSettings, target: Path) -> None:
    _drop_slot(primary)
    command = [str(database.bin_path() / "pg_basebackup"), "-D", str(target),
               "-h", primary.host, "-p", str(primary.port), "-U", primary.user,
               "-X", "stream", "-R", "-c", "fast", "-C", "-S", SLOT, "--no-password"]
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            user=database.system_user(), timeout=3600)
    if result.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        raise ReplicaError(f"pg_basebackup into {target} failed: {result.stderr.strip()}")
    # The primary's socket sits in its data directory: the copy has its lock file (whose PID is
    # the primary's, so the replica would refuse to start), its log and the wheel's pid list.
    for leftover in [*target.glob(".s.PGSQL.*"), target / "log", target / ".handle_pids.json"]:
        leftover.unlink(missing_ok=True)
    with open(target / "postgresql.auto.conf", "a", encoding="utf-8") as conf:
        conf.write("# analytics db replica: standby settings (docs/scale-out.md)\n")
        for name, value in STANDBY_SETTINGS.items():
            conf.write(f"{name} = '{value}'\n")


def _start_server(target: Path) -> ConnectionSettings:
    settings = database.serve(target)
    _wait_until_readable(settings, target)
    return settings


def _wait_until_readable(settings: ConnectionSettings, target: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with database.connect(settings, autocommit=True) as conn, conn.cursor() as cur:
                cur.execute("select pg_is_in_recovery()")
                row = cur.fetchone()
                if not (row and row[0]):
                    raise ReplicaError(f"the server in {target} is not a standby")
                return
        except database.OperationalError as error:
            if time.monotonic() > deadline:
                raise ReplicaError(f"the replica in {target} takes no connections: {error}") from None
            time.sleep(0.2)


def stop(pgdata: Path | None = None, *, remove: bool = False) -> bool:
    """Stop the replica (False if it was not running); `remove` also deletes its directory and
    the primary's slot, after which the primary goes back to wal_level=minimal."""
    pgdata = (pgdata or pgdata_dir()).resolve()
    target = replica_pgdata_dir(pgdata)
    stopped = database.stop_embedded(target)
    if remove and target.exists():
        shutil.rmtree(target)
        primary = database.running_settings(pgdata)
        if primary is not None:
            _drop_slot(primary)
    return stopped


def settings(pgdata: Path | None = None) -> ConnectionSettings | None:
    """The running replica's connection settings, or None."""
    return database.running_settings(replica_pgdata_dir((pgdata or pgdata_dir()).resolve()))


def status(pgdata: Path | None = None) -> ReplicaStatus:
    pgdata = (pgdata or pgdata_dir()).resolve()
    target = replica_pgdata_dir(pgdata)
    replica = settings(pgdata)
    primary = database.running_settings(pgdata)
    streaming = streaming_state(primary) if primary is not None else None
    return ReplicaStatus(pgdata=target, exists=(target / "PG_VERSION").exists(),
                         running=replica is not None, settings=replica, streaming=streaming)


def streaming_state(primary: ConnectionSettings) -> dict[str, Any] | None:
    """The replica's stream as the primary sees it: state, bytes not yet replayed, replay lag."""
    with database.connect(primary, dbname="postgres", autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(
            "select r.state, pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn)::bigint,"
            "       extract(epoch from r.replay_lag)::float8"
            "  from pg_stat_replication r join pg_replication_slots s on s.active_pid = r.pid"
            " where s.slot_name = %s", (SLOT,))
        row = cur.fetchone()
    if row is None:
        return None
    return {"state": row[0], "replay_bytes_behind": int(row[1] or 0),
            "replay_lag_seconds": None if row[2] is None else round(float(row[2]), 3)}


def wait_for_replay(primary: ConnectionSettings, replica: ConnectionSettings,
                    seconds: float = 120) -> float:
    """Wait until the replica has replayed everything the primary has written; the wait's
    seconds. Raises ReplicaError when it does not within `seconds`."""
    with database.connect(primary, dbname="postgres", autocommit=True) as conn, conn.cursor() as cur:
        # The insert position: a commit made with synchronous_commit off may not be written yet.
        cur.execute("select pg_current_wal_insert_lsn()::text")
        row = cur.fetchone()
    assert row is not None
    target_lsn = row[0]
    started = time.monotonic()
    with database.connect(replica, dbname="postgres", autocommit=True) as conn, conn.cursor() as cur:
        while True:
            cur.execute("select pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s::pg_lsn) >= 0",
                        (target_lsn,))
            done = cur.fetchone()
            if done and done[0]:
                return time.monotonic() - started
            if time.monotonic() - started > seconds:
                raise ReplicaError(f"the replica has not replayed up to {target_lsn} "
                                   f"after {seconds:.0f} s")
            time.sleep(0.05)
