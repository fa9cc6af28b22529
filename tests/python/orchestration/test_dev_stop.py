"""`analytics dev` stops every process started below it, also one started while shutting down
in a session of its own (as a code server or a run may be) and one that ignores SIGTERM.

The stop runs in a child Python, because it makes its process a subreaper for good."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

from tests.python.orchestration.conftest import pids_with_env

REPO = Path(__file__).resolve().parents[3]

# On SIGTERM the child starts a process in a new session (ignoring SIGTERM when asked), exits,
# and so orphans it: that process is in neither the child's process group nor its tree.
CHILD = textwrap.dedent("""
    import signal, subprocess, sys, time
    started = []
    def late(signum, frame):
        if started:  # the group's SIGTERM and its own: one late process
            return
        started.append(True)
        trap = "trap '' TERM; " if sys.argv[1] == "ignore" else ""
        subprocess.Popen(["sh", "-c", trap + "sleep 300 & wait"], start_new_session=True)
        time.sleep(0.5)
        sys.exit(0)
    signal.signal(signal.SIGTERM, late)
    print("ready", flush=True)
    time.sleep(300)
""")

STOPPER = textwrap.dedent("""
    import subprocess, sys
    from orchestration.cli.dev import become_subreaper, stop_process_tree
    become_subreaper()
    child = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]],
                             stdout=subprocess.PIPE, start_new_session=True)
    assert child.stdout is not None and child.stdout.readline() == b"ready\\n"
    stop_process_tree(child, timeout=float(sys.argv[3]), log=print)
""")


def kill_processes_with(name: str, value: str) -> list[str]:
    """The command lines of the live processes whose environment sets `name` to `value`, killed."""
    found = []
    for pid in pids_with_env(name, value):
        try:
            found.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
            os.kill(pid, signal.SIGKILL)
        except OSError:
            continue
    return found


def stop(mode: str, timeout: float) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    name, value = "ANALYTICS_STOP_TEST", uuid.uuid4().hex
    env = {**os.environ, name: value}
    result = subprocess.run([sys.executable, "-c", STOPPER, CHILD, mode, str(timeout)],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
                            check=False)
    return result, kill_processes_with(name, value)


def test_a_process_started_during_the_shutdown_is_stopped_too() -> None:
    result, left = stop("obey", timeout=20)
    assert result.returncode == 0, result.stderr
    assert not left, f"left running: {left}"
    assert "SIGKILL" not in result.stdout


def test_a_process_that_ignores_sigterm_is_killed_after_the_timeout() -> None:
    result, left = stop("ignore", timeout=2)
    assert result.returncode == 0, result.stderr
    assert not left, f"left running: {left}"
    assert "sending SIGKILL" in result.stdout
