"""Refreshing through Dagster: the hourly job in-process, and `analytics refresh`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance, Definitions

from orchestration.cli.refresh import SelectionError, selected_models
from orchestration.core.dbt import dbt_executable
from orchestration.core.paths import DAGSTER_YAML
from orchestration.core.project import meta_schema, node_meta
from orchestration.core.settings import ConnectionSettings
from orchestration.defs.catalog import AnalyticsCatalog
from orchestration.defs.schedules import REFRESH_TAG
from tests.python.orchestration.conftest import HourlyRun, last_log_id, run_sql

REPO = Path(__file__).resolve().parents[3]
ANALYTICS = str(Path(sys.executable).parent / "analytics")


def cadence_models(catalog: AnalyticsCatalog, cadence: str, *, own_schedule: bool) -> set[str]:
    return {
        node["name"]
        for node in catalog.manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node_meta(node).get("cadence") == cadence
        and ("schedule_cron" in node_meta(node)) == own_schedule
    }


def test_the_hourly_job_refreshes_the_hourly_views_and_nothing_else(
    hourly_run: HourlyRun, catalog: AnalyticsCatalog
) -> None:
    assert hourly_run.result.success
    hourly = cadence_models(catalog, "hourly", own_schedule=False)
    assert hourly
    logged = {str(row[0]) for row in hourly_run.log_rows}
    assert logged == hourly, "the refresh log names exactly the hourly views"
    assert all(row[2] == "success" for row in hourly_run.log_rows)
    assert len({row[4] for row in hourly_run.log_rows}) == 1, "one dbt invocation"
    others = set(catalog.models) - hourly
    assert others and not logged & others


def test_materializations_carry_the_refresh_log_figures(
    hourly_run: HourlyRun, catalog: AnalyticsCatalog
) -> None:
    by_model = {str(row[0]): row for row in hourly_run.log_rows}
    names_by_key = {key: name for name, key in catalog.keys.items()}
    events = hourly_run.result.get_asset_materialization_events()
    assert {names_by_key[e.materialization.asset_key] for e in events} == set(by_model)
    for event in events:
        metadata = event.materialization.metadata
        _, action, _, rows, invocation_id = by_model[names_by_key[event.materialization.asset_key]]
        assert metadata["analytics/action"].value == action
        assert metadata["dagster/row_count"].value == rows
        assert metadata["invocation_id"].value == invocation_id
        assert metadata["analytics/refresh_seconds"].value >= 0
        assert metadata["analytics/size_bytes"].value > 0
    checks = hourly_run.result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks)


def ancestors(catalog: AnalyticsCatalog, unique_id: str) -> set[str]:
    found: set[str] = set()
    for parent in catalog.manifest["parent_map"].get(unique_id, []):
        found |= {parent, *ancestors(catalog, parent)}
    return found


def test_selections_follow_dbt_graph_operators_and_tags(catalog: AnalyticsCatalog) -> None:
    by_id = {m.unique_id: m.name for m in catalog.models.values()}
    for model in catalog.models.values():
        upstream = {by_id[u] for u in ancestors(catalog, model.unique_id) if u in by_id}
        assert set(selected_models(catalog, select=f"+{model.name}")) == upstream | {model.name}
        assert selected_models(catalog, select=model.name) == [model.name]
    tagged = {n["name"] for n in catalog.manifest["nodes"].values() if "stores" in n["tags"]}
    assert set(selected_models(catalog, select="tag:stores")) == tagged
    daily = {m.name for m in catalog.models.values() if m.cadence == "daily"}
    assert set(selected_models(catalog, cadence="daily", select="tag:stores")) == tagged & daily
    assert selected_models(catalog) == sorted(catalog.models)


@pytest.mark.parametrize("select", [
    "not_a_model", "fx_; drop table x", "path:models", "tag:no_such_tag", "@fx", "*", "a,b", "",
])
def test_bad_selections_are_refused(catalog: AnalyticsCatalog, select: str) -> None:
    with pytest.raises(SelectionError):
        selected_models(catalog, select=select)
    with pytest.raises(SelectionError, match="often"):
        selected_models(catalog, cadence="often")


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DAGSTER_YAML, home / "dagster.yaml")
    return {**os.environ, "DAGSTER_HOME": str(home), "COLUMNS": "160"}


@pytest.mark.parametrize("project", ["repository", "fixture"])
def test_refresh_of_an_unknown_model_fails_cleanly_and_changes_nothing(
    project: str, fixture_project_dir: Path, catalog: AnalyticsCatalog,
    fixture_sources: ConnectionSettings, cli_env: dict[str, str],
) -> None:
    if project == "fixture":
        cli_env["ANALYTICS_PROJECT_DIR"] = str(fixture_project_dir)
    schema = meta_schema(catalog.project)
    before = last_log_id(fixture_sources, schema)
    result = subprocess.run([ANALYTICS, "refresh", "--select", "not_a_model"], env=cli_env,
                            cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "'not_a_model' is not a model of this project" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert last_log_id(fixture_sources, schema) == before
    instance = DagsterInstance.from_config(cli_env["DAGSTER_HOME"])
    assert instance.get_runs_count() == 0


def test_refresh_of_a_cadence_runs_the_views_job_and_reports_each_view(
    fixture_project_dir: Path, catalog: AnalyticsCatalog, defs: Definitions,
    fixture_sources: ConnectionSettings, fixture_views: None, cli_env: dict[str, str],
) -> None:
    cli_env["ANALYTICS_PROJECT_DIR"] = str(fixture_project_dir)
    schema = meta_schema(catalog.project)
    weekly = cadence_models(catalog, "weekly", own_schedule=False)
    before = last_log_id(fixture_sources, schema)
    result = subprocess.run([ANALYTICS, "refresh", "--cadence", "weekly"], env=cli_env, cwd=REPO,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # Unit tests are for development and CI; a refresh runs only the data tests (checks).
    assert "fx_brand_weekly_names_missing_brands" not in result.stdout + result.stderr
    rows = run_sql(fixture_sources, f"select model, action from {schema}.refresh_log"
                                    " where id > %s", (before,))
    assert {str(model) for model, _ in rows} == weekly
    for model, action in rows:
        line = next(li for li in result.stdout.splitlines() if f" {model} " in li)
        assert str(action) in line
    runs = DagsterInstance.from_config(cli_env["DAGSTER_HOME"]).get_runs()
    assert len(runs) == 1 and runs[0].tags[REFRESH_TAG] == "true"
    assert runs[0].job_name == "refresh_views"


def test_a_refresh_starts_from_the_previous_runs_parse(
    fixture_project_dir: Path, fixture_sources: ConnectionSettings, fixture_views: None,
    cli_env: dict[str, str],
) -> None:
    # The definitions' parse renders profiles.yml with other PG* values than the runs use, and
    # dbt re-parses everything when those differ; each run leaves its own parse for the next.
    cli_env["ANALYTICS_PROJECT_DIR"] = str(fixture_project_dir)
    # The shared parse, as if made where PGHOST pointed elsewhere.
    parse = subprocess.run([str(dbt_executable()), "parse"], cwd=fixture_project_dir,
                           env={**cli_env, "PGHOST": "/elsewhere", "DBT_TARGET_PATH": "target/dagster"},
                           capture_output=True, text=True, timeout=300, check=False)
    assert parse.returncode == 0, parse.stdout + parse.stderr
    outputs = []
    for _ in range(2):
        result = subprocess.run([ANALYTICS, "refresh", "--cadence", "weekly"], env=cli_env,
                                cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        outputs.append(result.stdout + result.stderr)
    assert "Unable to do partial parsing because profile has changed" in outputs[0]
    assert "Unable to do partial parsing" not in outputs[1], outputs[1][-3000:]
    assert (fixture_project_dir / "target" / "dagster" / "partial_parse.msgpack").is_file()
