"""Adding a mart is adding its folders: a throwaway `kiosk` mart (fixture_mart/), laid over a
copy of the project, is picked up by `demo-data`, `refresh`, `status`, the schedules, the
source sensor, the asset groups and the bench, with no shared file edited."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, build_sensor_context

from orchestration.core.database import connect
from orchestration.core.marts import discover
from orchestration.core.settings import ConnectionSettings
from orchestration.defs.catalog import AnalyticsCatalog, load_catalog
from orchestration.defs.definitions import definitions_for
from orchestration.defs.resources import PostgresResource
from orchestration.defs.schedules import MART_TAG
from orchestration.defs.sensors import MIN_INTERVAL_ENV, SENSOR_NAME, load_cursor
from tests.python.databases import create_database, drop_database
from tests.python.orchestration.conftest import write_and_wait

REPO = Path(__file__).resolve().parents[3]
FIXTURE = Path(__file__).resolve().parent / "fixture_mart"
DATABASE = "analytics_plug_in_tests"
MART = "kiosk"
VIEW = AssetKey(["analytics", "mv_kiosk_daily_sales"])


def copy_project_with_kiosk(directory: Path, *overlays: Path) -> Path:
    """The project's dbt and plug-in folders copied to `directory`, the kiosk mart's folders
    (and any `overlays`) laid over them."""
    directory.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(REPO / name, directory / name)
    for folder in ("macros", "models", "seeds", "orchestration/marts"):
        shutil.copytree(REPO / folder, directory / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for overlay in (FIXTURE, *overlays):
        shutil.copytree(overlay, directory, dirs_exist_ok=True)
    return directory


@dataclass(frozen=True)
class Project:
    directory: Path
    settings: ConnectionSettings

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.settings.libpq_env(),
                "ANALYTICS_PROJECT_DIR": str(self.directory)}

    def analytics(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(Path(sys.executable).parent / "analytics"), *args],
                              env=self.env(), cwd=self.directory, capture_output=True, text=True,
                              timeout=900, check=False)

    def scalar(self, query: str) -> object:
        with connect(self.settings) as conn, conn.cursor() as cur:
            cur.execute(query)
            row = cur.fetchone()
            return row[0] if row else None


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, pg_settings: ConnectionSettings
            ) -> Iterator[Project]:
    """A copy of the project with the kiosk mart's folders added, on a database of its own."""
    directory = copy_project_with_kiosk(tmp_path_factory.mktemp("plug_in") / "project")
    try:
        yield Project(directory, create_database(pg_settings, DATABASE))
    finally:
        drop_database(pg_settings, DATABASE)


@pytest.fixture(scope="module")
def loaded(project: Project) -> Project:
    result = project.analytics("demo-data", "--mart", MART, "--scale", "S")
    assert result.returncode == 0, result.stdout + result.stderr
    return project


@pytest.fixture(scope="module")
def catalog(project: Project) -> AnalyticsCatalog:
    return load_catalog(project.directory)


def test_demo_data_loads_the_new_mart_alone(loaded: Project) -> None:
    assert loaded.scalar("select count(*) from kiosk_raw.sales") == 4 * 3 * 24
    assert loaded.scalar("select scale from analytics_demo_loads where mart = 'kiosk'") == "S"
    # --mart kiosk left the retail mart's sources empty (its migrations still ran).
    assert loaded.scalar("select count(*) from retail_raw.inventory_snapshots") == 0
    unknown = loaded.analytics("demo-data", "--mart", "nope")
    assert unknown.returncode == 2
    assert "unknown mart 'nope'" in unknown.stdout and "kiosk" in unknown.stdout


def test_refresh_and_status_know_the_new_mart(loaded: Project) -> None:
    refreshed = loaded.analytics("refresh", "--mart", MART)
    assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr
    assert "mv_kiosk_daily_sales" in refreshed.stdout
    status = loaded.analytics("status", "--mart", MART, "--json")
    assert status.returncode == 0, status.stdout + status.stderr
    views = json.loads(status.stdout)["views"]
    days = loaded.scalar("select count(distinct (kiosk_id, sold_at::date)) from kiosk_raw.sales")
    assert [(v["model"], v["mart"], v["rows"]) for v in views] == [
        ("mv_kiosk_daily_sales", MART, days)]
    everything = json.loads(loaded.analytics("status", "--json").stdout)
    assert {v["mart"] for v in everything["views"] if not v["orphaned"]} == {MART, *discover()}


def test_the_new_mart_has_its_group_schedules_and_python_asset(catalog: AnalyticsCatalog) -> None:
    defs = definitions_for(catalog)
    specs = {spec.key: spec for spec in defs.resolve_all_asset_specs()}
    graph = defs.resolve_asset_graph()
    source = AssetKey(["kiosk_raw", "sales"])
    assert specs[VIEW].group_name == MART
    assert specs[source].group_name == MART and graph.get(source).is_observable
    assert source in graph.get(VIEW).parent_keys
    forecast = AssetKey(["kiosk", "busiest_kiosk"])
    assert specs[forecast].group_name == MART and VIEW in graph.get(forecast).parent_keys
    schedule = defs.resolve_schedule_def("refresh_kiosk_hourly_schedule")
    job = defs.resolve_job_def(schedule.job_name)
    assert set(job.asset_layer.selected_asset_keys) == {VIEW}
    assert job.tags[MART_TAG] == MART
    retail_hourly = defs.resolve_job_def("refresh_retail_hourly")
    assert VIEW not in retail_hourly.asset_layer.selected_asset_keys


def test_the_sensor_keeps_a_cursor_per_mart(
    loaded: Project, catalog: AnalyticsCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The project's own sensor, its first request not held back by the minimum interval.
    monkeypatch.delenv(MIN_INTERVAL_ENV, raising=False)
    sensor = definitions_for(catalog).resolve_sensor_def(SENSOR_NAME)
    # The sensor's Postgres resource reaches this test's database (for this test only).
    for name, value in loaded.settings.libpq_env().items():
        monkeypatch.setenv(name, value)

    def tick(cursor: str | None) -> tuple[list[object], str | None]:
        with DagsterInstance.ephemeral() as instance:
            context = build_sensor_context(instance=instance, cursor=cursor,
                                           resources={"postgres": PostgresResource()})
            result = sensor.evaluate_tick(context)
        return list(result.run_requests or []), result.cursor

    requests, cursor = tick(None)
    assert not requests and set(load_cursor(cursor)) == {MART, *discover()}
    write_and_wait(loaded.settings, "kiosk_raw.sales",
                   "insert into kiosk_raw.sales values (1, 1, now(), 1.0)")
    requests, after = tick(cursor)
    assert len(requests) == 1
    request = requests[0]
    assert set(request.asset_selection or []) == {VIEW}  # type: ignore[attr-defined]
    assert request.tags[MART_TAG] == MART  # type: ignore[attr-defined]
    cursors = load_cursor(after)
    assert cursors["kiosk"].markers != load_cursor(cursor)["kiosk"].markers
    assert cursors["retail"] == load_cursor(cursor)["retail"], "retail's cursor did not move"


def test_the_bench_measures_the_new_mart(loaded: Project, tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = loaded.analytics("bench", "--mart", MART, "--quick", "--json", str(out),
                              "--skip", "availability", "--skip", "orchestration_overhead")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    figures = json.loads(out.read_text())
    assert list(figures["marts"]) == [MART]
    kiosk = figures["marts"][MART]
    assert kiosk["views"] == ["mv_kiosk_daily_sales"]
    assert kiosk["data"]["sales"] == loaded.scalar("select count(*) from kiosk_raw.sales")
    assert set(kiosk["dashboard"]["queries"]) == {"revenue_by_day"}
    assert kiosk["refresh_cost"]["views"]["mv_kiosk_daily_sales"]["floor_seconds"] > 0
