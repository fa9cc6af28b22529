"""`analytics dev` end to end: the Dagster UI shows the retail assets and the schedules in headless
Chromium (a screenshot; docs/dagster-ui.png when ANALYTICS_UPDATE_SCREENSHOTS=1), and SIGTERM
stops every process it started."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from orchestration.cli.dev import prepare_dagster_home
from orchestration.core.paths import DAGSTER_YAML
from orchestration.defs.catalog import load_catalog
from tests.python.orchestration.conftest import pids_with_env

REPO = Path(__file__).resolve().parents[3]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The test's screenshot stays in its temp dir; ANALYTICS_UPDATE_SCREENSHOTS=1 copies it to docs/.
DOCS_SCREENSHOT = REPO / "docs" / "dagster-ui.png"
MARKER = "ANALYTICS_UI_TEST_MARKER"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--no-first-run", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--window-size=1600,1000", "--virtual-time-budget=15000"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def graphql(port: int, query: str) -> dict[str, object]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))


def wait_for_assets(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "analytics dev exited early"
        try:
            data = graphql(port, "{ assetNodes { assetKey { path } } }")
            if (data.get("data") or {}).get("assetNodes"):  # type: ignore[union-attr]
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    raise AssertionError(f"the Dagster UI did not serve the assets within {timeout:.0f} s")


def repository_address(port: int) -> str:
    """`<repository>@<code location>` of the (only) code location, as the UI's URLs name it."""
    data = graphql(port, "{ repositoriesOrError { ... on RepositoryConnection"
                         " { nodes { name location { name } } } } }")
    nodes = data["data"]["repositoriesOrError"]["nodes"]  # type: ignore[index]
    return f"{nodes[0]['name']}@{nodes[0]['location']['name']}"


def chromium(tmp_path: Path, *args: str) -> str:
    # `make test` installs Chromium first (or stops naming the command): never a silent skip.
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `apt-get install chromium`"
    profile = tmp_path / f"chromium-{uuid.uuid4().hex[:8]}"
    result = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                            capture_output=True, text=True, timeout=90, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_dagster_home_links_the_shipped_instance_config(tmp_path: Path) -> None:
    config = DAGSTER_YAML
    home = prepare_dagster_home(tmp_path / "home", config)
    assert (home / "dagster.yaml").resolve() == config.resolve()
    (home / "dagster.yaml").unlink()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    prepare_dagster_home(home, config)
    assert not (home / "dagster.yaml").is_symlink(), "a user's own dagster.yaml is kept"


def test_the_ui_shows_the_retail_assets_and_schedules_and_stops_cleanly(tmp_path: Path) -> None:
    catalog = load_catalog()
    retail = sorted(m.name for m in catalog.models.values() if m.mart == "retail")
    # The sources are observable assets of the mart's group, upstream of its views.
    retail += sorted(s.key.path[-1] for s in catalog.sources["retail"])
    schedules = sorted(plan.schedule_name for plan in catalog.plans)
    assert retail and schedules, "the project has retail views and schedules"

    home = tmp_path / "dagster_home"
    home.mkdir()
    # The shipped settings, except that no run is launched (a schedule may tick meanwhile).
    config = DAGSTER_YAML.read_text()
    (home / "dagster.yaml").write_text(config.replace("max_concurrent_runs: 4",
                                                      "max_concurrent_runs: 0"))
    port = free_port()
    marker = uuid.uuid4().hex
    env = {**os.environ, "DAGSTER_HOME": str(home), MARKER: marker}
    log = (tmp_path / "dev.log").open("wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "analytics"), "dev", "--port", str(port)],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_for_assets(port, process, timeout=150)
        graphql(port, "mutation { setNuxSeen }")  # no "join the community" dialog on top

        base = f"http://127.0.0.1:{port}"
        # With several marts, /asset-groups/<group> is the global lineage with every group
        # collapsed; the group's own pages are under its code location. Its list has every
        # asset (the lineage graph draws only the nodes in view).
        group_page = f"{base}/locations/{repository_address(port)}/asset-groups/retail"
        graph = chromium(tmp_path, "--dump-dom", f"{group_page}/list")
        missing = [name for name in retail if name not in graph]
        assert not missing, f"not on the asset graph: {missing}"
        automation = chromium(tmp_path, "--dump-dom", f"{base}/automation")
        missing = [name for name in schedules if name not in automation]
        assert not missing, f"not on the automation page: {missing}"

        screenshot = tmp_path / "dagster-ui.png"
        chromium(tmp_path, f"--screenshot={screenshot}", f"{group_page}/lineage")
        assert screenshot.stat().st_size > 10_000
        if os.environ.get("ANALYTICS_UPDATE_SCREENSHOTS"):
            DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
            shutil.copy(screenshot, DOCS_SCREENSHOT)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        finally:
            leftovers = pids_with_env(MARKER, marker)
            for pid in leftovers:
                os.kill(pid, signal.SIGKILL)
            log.close()
    assert process.returncode == 0, (tmp_path / "dev.log").read_text()[-3000:]
    assert not leftovers, f"processes left running after SIGTERM: {leftovers}"
