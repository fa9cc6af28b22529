"""examples/refresh_over_graphql.py against `analytics dev` serving the fixture project: a run
launched over Dagster's GraphQL API refreshes exactly the selected views, and what cannot be
launched (unknown job or asset, no server) fails with one clear line and exit code 1."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance

from orchestration.core.project import downstream_models, meta_schema
from orchestration.core.settings import ConnectionSettings
from orchestration.defs.catalog import AnalyticsCatalog
from orchestration.defs.schedules import ALL_VIEWS_JOB
from tests.python.orchestration.conftest import last_log_id, pids_with_env, run_sql
from tests.python.orchestration.test_dagster_ui import free_port, wait_for_assets

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "refresh_over_graphql.py"
ANALYTICS = str(Path(sys.executable).parent / "analytics")
MARKER = "ANALYTICS_GRAPHQL_TEST_MARKER"
# `dagster dev` loads the code location named here; ANALYTICS_PROJECT_DIR points it at the copy.
PYPROJECT = """[tool.dagster]
module_name = "orchestration.defs.definitions"
code_location_name = "analytics"
"""


@dataclass(frozen=True)
class DevServer:
    url: str
    home: Path


@pytest.fixture(scope="module")
def dev_server(
    fixture_project_dir: Path, fixture_sources: ConnectionSettings, fixture_views: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[DevServer]:
    """`analytics dev` (webserver and daemon, the shipped dagster.yaml) on the test database,
    serving a copy of the fixture project; stopped with SIGTERM as Ctrl-C would."""
    root = tmp_path_factory.mktemp("graphql")
    project = root / "project"
    shutil.copytree(fixture_project_dir, project)
    (project / "pyproject.toml").write_text(PYPROJECT)
    home = root / "dagster_home"
    port = free_port()
    marker = uuid.uuid4().hex
    env = {**os.environ, "DAGSTER_HOME": str(home), "ANALYTICS_PROJECT_DIR": str(project),
           MARKER: marker}
    log_path = root / "dev.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([ANALYTICS, "dev", "--port", str(port)], cwd=REPO, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            try:
                wait_for_assets(port, process, timeout=150)
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{log_path.read_text()[-3000:]}") from exc
            yield DevServer(f"http://127.0.0.1:{port}", home)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            finally:
                for pid in pids_with_env(MARKER, marker):
                    os.kill(pid, signal.SIGKILL)


def example(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXAMPLE), *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, check=False)


def run_invocations(home: Path, run_id: str) -> set[str]:
    """The dbt invocation ids on the run's materializations (the refresh log's key)."""
    instance = DagsterInstance.from_config(str(home))
    records = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
    found = set()
    for record in records:
        event = record.event_log_entry.dagster_event
        assert event is not None
        value = event.step_materialization_data.materialization.metadata["invocation_id"]
        found.add(str(getattr(value, "value", value)))
    return found


def test_the_views_downstream_of_a_source_and_a_named_view_are_refreshed_over_graphql(
    dev_server: DevServer, catalog: AnalyticsCatalog, fixture_sources: ConnectionSettings,
) -> None:
    # One run (each costs a run worker and a dbt build): the views reading the source that the
    # fewest views read, and one other view named by the asset key the UI shows.
    by_relation = {f"{node['schema']}.{node['name']}": unique_id
                   for unique_id, node in catalog.manifest["sources"].items()}
    readers = {s.key: downstream_models(catalog.manifest, [by_relation[s.relation]])
               for found in catalog.sources.values() for s in found}
    source_key, downstream = min(readers.items(), key=lambda item: (len(item[1]), item[0].path))
    named = sorted(set(catalog.models) - downstream)[0]
    expected = {*downstream, named}
    assert downstream and len(expected) < len(catalog.models), readers

    schema = meta_schema(catalog.project)
    before = last_log_id(fixture_sources, schema)
    result = example("--url", dev_server.url, "--job", ALL_VIEWS_JOB,
                     "--downstream-of", source_key.to_user_string(),
                     "--select-asset", catalog.keys[named].to_user_string(), "--timeout", "240")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "status: SUCCESS" in result.stdout, output
    match = re.search(r"^run id: ([0-9a-f-]{36})", result.stdout, re.MULTILINE)
    assert match, output
    run_id = match.group(1)

    run = DagsterInstance.from_config(str(dev_server.home)).get_run_by_id(run_id)
    assert run is not None and run.job_name == ALL_VIEWS_JOB
    assert run.asset_selection == {catalog.keys[name] for name in expected}
    assert run.tags["analytics/trigger"] == "graphql"
    # The refresh log: a successful row for each selected view from the run's one dbt build,
    # none for another view (rows of a schedule's run meanwhile have another invocation id).
    invocations = run_invocations(dev_server.home, run_id)
    assert len(invocations) == 1, "one dbt build"
    rows = run_sql(fixture_sources, f"select model, status from {schema}.refresh_log"
                                    " where id > %s and invocation_id = %s", (before, *invocations))
    assert sorted(str(model) for model, _ in rows) == sorted(expected), output
    assert {status for _, status in rows} == {"success"}


def test_what_cannot_be_launched_fails_with_a_clear_error(
    dev_server: DevServer, catalog: AnalyticsCatalog,
) -> None:
    instance = DagsterInstance.from_config(str(dev_server.home))
    runs_before = instance.get_runs_count()
    view = next(iter(catalog.keys.values())).to_user_string()
    cases = {
        ("--job", "refresh_nothing"): "No jobs with the name `refresh_nothing` exist",
        ("--job", "refresh_nothing", "--select-asset", view):
            "no job named 'refresh_nothing' has assets",
        ("--select-asset", "orch_fixture/not_a_view"): "no asset has that key",
        ("--downstream-of", AssetKey(["nowhere", "orders"]).to_user_string()):
            "--downstream-of 'nowhere/orders': no asset has that key",
    }
    for args, message in cases.items():
        result = example("--url", dev_server.url, *args, timeout=60)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr, result.stderr
    assert instance.get_runs_count() == runs_before, "nothing was launched"


def test_an_unreachable_server_is_one_clear_line() -> None:
    # Nothing listens on a fresh free port: one line naming the address, not a traceback.
    url = f"http://127.0.0.1:{free_port()}"
    for args in ((), ("--select-asset", "orch_fixture/fx_view")):
        result = example("--url", url, *args, timeout=60)
        assert result.returncode == 1, result.stdout + result.stderr
        assert result.stderr.strip() == (
            f"error: cannot reach Dagster at {url}/graphql: is the webserver (make dev) running?"
        )
