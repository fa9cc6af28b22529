"""`analytics dev` (`make dev`): Postgres, then `dagster dev`, and a clean stop of both.

The server is started if needed and migrated; DAGSTER_HOME (default `.dagster_home/`) links the
shipped `orchestration/defs/dagster.yaml`; `dagster dev` runs in a session of its own with the
server's PG* variables. Ctrl-C or SIGTERM stops its whole process group and every descendant
(this process is a subreaper on Linux), SIGKILL after a timeout. Why each step is needed:
docs/orchestration.md ("Stopping `make dev`").
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from orchestration.core import database, migrations
from orchestration.core.dbt import venv_executable
from orchestration.core.paths import DAGSTER_YAML, PROJECT_DIR
from orchestration.core.settings import ConnectionSettings

STOP_TIMEOUT_SECONDS = 20.0
PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>


@dataclass(frozen=True)
class Database:
    settings: ConnectionSettings
    started_here: bool


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or PROJECT_DIR / ".dagster_home").resolve()


def prepare_dagster_home(home: Path, config: Path = DAGSTER_YAML) -> Path:
    """Create `home` and link its dagster.yaml to the shipped one (a user's own file is kept)."""
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if target.is_symlink() and target.resolve() != config.resolve():
        target.unlink()
    if not target.exists() and not target.is_symlink():
        target.symlink_to(config.resolve())
    return home


def start_database() -> Database:
    external = database.external_settings()
    if external is not None:
        if not database.is_reachable(external):
            raise RuntimeError(f"cannot reach the configured server {external.masked_url()}")
        return Database(external, started_here=False)
    was_running = database.status().running
    return Database(database.start_embedded(), started_here=not was_running)


def dagster_executable() -> str:
    return venv_executable("dagster")


def dev_environment(settings: ConnectionSettings, home: Path) -> dict[str, str]:
    env = {**os.environ, **settings.libpq_env(), "DAGSTER_HOME": str(home)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("ANALYTICS_DATABASE_URL", None)
    return env


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid` (from /proc), children first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may contain spaces and parentheses.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(0), []):
            found.append(child)
            pending.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _signal_all(group: int, pids: list[int], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signum)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def become_subreaper() -> None:
    """Have orphaned descendants re-parented to this process, so none escapes the stop. Linux
    only: elsewhere an orphan goes to init, as before."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def _reap(pids: list[int]) -> None:
    """Collect the exit status of orphans re-parented here (`Popen` reaps its own process)."""
    for pid in pids:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def stop_process_tree(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT_SECONDS,
                      log: Callable[[str], None] = print) -> None:
    """SIGTERM to the process group of `process` and to every descendant of this process, again
    to any that appears meanwhile; SIGKILL to those left after `timeout`."""
    signalled: set[int] = set()
    deadline = time.monotonic() + timeout
    while True:
        process.poll()
        others = [pid for pid in descendants(os.getpid()) if pid != process.pid]
        _reap(others)
        live = [pid for pid in [process.pid, *others] if _alive(pid)]
        if not live:
            return
        if time.monotonic() >= deadline:
            break
        fresh = [pid for pid in live if pid not in signalled]
        if fresh:
            _signal_all(process.pid, fresh, signal.SIGTERM)
            signalled.update(fresh)
        time.sleep(0.2)
    log(f"still running after {timeout:.0f} s: {', '.join(map(str, live))}; sending SIGKILL")
    _signal_all(process.pid, live, signal.SIGKILL)
    process.wait(timeout=10)
    _reap(live)


class _Stop(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise _Stop(signum)


def run(host: str = "127.0.0.1", port: int = 3000, log: Callable[[str], None] = print) -> int:
    """Run until `dagster dev` ends or a signal asks to stop; returns the exit code."""
    previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    db: Database | None = None
    process: subprocess.Popen[bytes] | None = None
    code = 0
    try:
        db = start_database()
        migrations.migrate(db.settings)
        home = prepare_dagster_home(dagster_home())
        become_subreaper()  # after the embedded server's start: it must not become a child here
        log(f"Postgres: {db.settings.masked_url()}; DAGSTER_HOME={home}")
        process = subprocess.Popen(
            [dagster_executable(), "dev", "-h", host, "-p", str(port)],
            cwd=PROJECT_DIR,
            env=dev_environment(db.settings, home),
            start_new_session=True,
        )
        log(f"Dagster UI: http://{host}:{port} (Ctrl-C stops everything started here)")
        code = process.wait()
        log(f"dagster dev exited with code {code}")
    except _Stop as stop:
        log(f"{stop}: stopping dagster dev")
        code = 0
    finally:
        # From here on a second Ctrl-C must not interrupt the cleanup.
        for signum in previous:
            signal.signal(signum, signal.SIG_IGN)
        try:
            if process is not None:
                stop_process_tree(process, log=log)
            if db is not None and db.started_here and database.stop_embedded():
                log("stopped the embedded Postgres started for dev")
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)
    return code
