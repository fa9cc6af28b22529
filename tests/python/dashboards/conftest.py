"""Superset serving every mart's dashboards over `analytics demo`'s database, for the session.

The database is made as a newcomer makes it (`analytics demo`: scale S of every mart, dbt build,
the forecast), in a database of its own on the session's server; Superset is started by
`analytics dashboards serve` on a free port with a throwaway home, exactly as `make dashboards`
starts it, and stopped with one SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orchestration.core.settings import ConnectionSettings
from orchestration.dashboards import browser
from orchestration.dashboards.home import SupersetHome
from tests.python.browser import HOST, free_port
from tests.python.marts.built_marts import own_database

DATABASE = "analytics_dashboards_tests"
ADMIN_PASSWORD = "dashboards-test-admin"
ANALYTICS = str(Path(sys.executable).with_name("analytics"))


@dataclass(frozen=True)
class Superset:
    url: str
    user: str
    password: str
    home: SupersetHome
    settings: ConnectionSettings
    process: subprocess.Popen[bytes]


def _environment(settings: ConnectionSettings, home: Path, work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(settings.libpq_env())
    env.update(
        ANALYTICS_DASHBOARDS_HOME=str(home),
        ANALYTICS_DASHBOARDS_ADMIN_PASSWORD=ADMIN_PASSWORD,
        DAGSTER_HOME=str(work / "dagster"),
        DBT_TARGET_PATH=str(work / "target"),
    )
    (work / "dagster").mkdir(parents=True, exist_ok=True)
    return env


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"`analytics dashboards serve` exited {process.returncode}:\n"
                        + log.read_text()[-4000:])
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"Superset did not answer on {url} within {timeout:.0f} s:\n" + log.read_text()[-4000:])


@pytest.fixture(scope="session")
def demo_database(pg_settings: ConnectionSettings,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ConnectionSettings, Path]]:
    """`analytics demo` on a database of its own: every mart at S, built, forecast run."""
    work = tmp_path_factory.mktemp("dashboards")
    with own_database(pg_settings, DATABASE) as settings:
        demo = subprocess.run([ANALYTICS, "demo"], env=_environment(settings, work / "home", work),
                              capture_output=True, text=True, check=False, timeout=1200)
        assert demo.returncode == 0, demo.stdout[-6000:] + demo.stderr[-3000:]
        yield settings, work


@pytest.fixture(scope="session")
def superset(demo_database: tuple[ConnectionSettings, Path]) -> Iterator[Superset]:
    settings, work = demo_database
    home = work / "home"
    env = _environment(settings, home, work)
    port = free_port()
    log = work / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [ANALYTICS, "dashboards", "serve", "--host", HOST, "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://{HOST}:{port}"
    try:
        _wait_healthy(url, process, log)
        with pytest.MonkeyPatch.context() as patch:
            # The export task and SupersetHome.default() of the tests find this home.
            patch.setenv("ANALYTICS_DASHBOARDS_HOME", str(home))
            patch.setenv("ANALYTICS_DASHBOARDS_ADMIN_PASSWORD", ADMIN_PASSWORD)
            yield Superset(url, "admin", ADMIN_PASSWORD, SupersetHome.default(), settings, process)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            process.wait(timeout=60)


@pytest.fixture(scope="session")
def page(superset: Superset) -> Iterator[Any]:
    """A headless Chromium page logged in to the session's Superset."""
    with browser.logged_in(superset.url, superset.user, superset.password) as logged_in:
        yield logged_in
