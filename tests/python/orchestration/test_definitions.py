"""The Dagster definitions: loadable, one asset per model, schedules derived from cadences."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, DagsterRun, DefaultScheduleStatus, Definitions, FreshnessPolicy
from dagster._core.utils import make_new_run_id
from dagster._utils.tags import TagConcurrencyLimitsCounter

from orchestration.core.paths import DAGSTER_YAML
from orchestration.core.project import (
    ModelInfo,
    ProjectConfigError,
    is_asset_model,
    model_info,
    models,
    node_meta,
)
from orchestration.defs.catalog import AnalyticsCatalog, load_catalog
from orchestration.defs.definitions import defs as project_defs
from orchestration.defs.freshness import FRESHNESS_WINDOWS
from orchestration.defs.schedules import DEFAULT_CRONS, MART_TAG, TIMEZONE_ENV, refresh_plans

REPO = Path(__file__).resolve().parents[3]


def manifest_models(catalog: AnalyticsCatalog) -> dict[str, dict[str, object]]:
    """Model nodes straight from the manifest, without the code under test reading them."""
    return {
        node["name"]: node
        for node in catalog.manifest["nodes"].values()
        if is_asset_model(node)
    }


def job_keys(defs: Definitions, job_name: str) -> set[AssetKey]:
    return set(defs.resolve_job_def(job_name).asset_layer.selected_asset_keys)


def test_project_definitions_load_with_every_model_as_an_asset() -> None:
    defs = project_defs()
    Definitions.validate_loadable(defs)
    catalog = load_catalog()
    asset_keys = set(defs.resolve_asset_graph().get_all_asset_keys())
    assert set(catalog.keys.values()) <= asset_keys
    assert set(catalog.keys) == set(manifest_models(catalog))


def test_dagster_definitions_validate_from_the_repository_root(tmp_path: Path) -> None:
    dagster = Path(sys.executable).parent / "dagster"
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    result = subprocess.run([str(dagster), "definitions", "validate"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=180, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Validation successful" in output


def test_every_fixture_model_is_an_asset_grouped_by_mart(
    defs: Definitions, catalog: AnalyticsCatalog
) -> None:
    nodes = manifest_models(catalog)
    assert nodes, "the fixture project has models"
    specs = {spec.key: spec for spec in defs.resolve_all_asset_specs()}
    for name, node in nodes.items():
        spec = specs[catalog.keys[name]]
        fqn = node["fqn"]
        assert isinstance(fqn, list)
        assert spec.group_name == fqn[2]  # models/marts/<mart>/...
        cadence = node_meta(node).get("cadence")
        assert spec.metadata["analytics/cadence"].value == cadence
        assert spec.tags["analytics/cadence"] == cadence
        unique_key = node["config"]["unique_key"]  # type: ignore[index]
        keys = [unique_key] if isinstance(unique_key, str) else unique_key
        assert spec.metadata["analytics/unique_key"].value == ", ".join(keys)
        assert spec.description == node["description"]
        window = FRESHNESS_WINDOWS[str(cadence)]
        assert spec.freshness_policy == FreshnessPolicy.time_window(
            fail_window=window.fail_after, warn_window=window.warn_after
        )


def test_freshness_windows_match_the_cadences() -> None:
    assert FRESHNESS_WINDOWS["hourly"].fail_after == timedelta(hours=1, minutes=30)
    assert FRESHNESS_WINDOWS["daily"].fail_after == timedelta(hours=26)
    assert FRESHNESS_WINDOWS["weekly"].fail_after == timedelta(days=8)


def test_dbt_tests_are_asset_checks_including_source_tests(
    defs: Definitions, catalog: AnalyticsCatalog
) -> None:
    tests = [n for n in catalog.manifest["nodes"].values() if n["resource_type"] == "test"]
    check_keys = defs.resolve_asset_graph().asset_check_keys
    assert {t["name"] for t in tests} <= {key.name for key in check_keys}
    source_tests = {t["name"] for t in tests
                    if all(n.startswith("source.") for n in t["depends_on"]["nodes"])}
    assert source_tests, "the fixture tests a source column"
    model_keys = set(catalog.keys.values())
    assert {k.name for k in check_keys if k.asset_key not in model_keys} == source_tests


@pytest.mark.parametrize("cadence", sorted(DEFAULT_CRONS))
def test_each_cadence_schedule_selects_exactly_its_models(
    defs: Definitions, catalog: AnalyticsCatalog, cadence: str
) -> None:
    expected = {
        catalog.keys[name]
        for name, node in manifest_models(catalog).items()
        if node_meta(node).get("cadence") == cadence
        and "schedule_cron" not in node_meta(node)
        and "schedule_timezone" not in node_meta(node)
    }
    schedule = defs.resolve_schedule_def(f"refresh_retail_{cadence}_schedule")
    assert schedule.cron_schedule == DEFAULT_CRONS[cadence]
    assert schedule.execution_timezone == "UTC"
    assert schedule.default_status == DefaultScheduleStatus.RUNNING
    assert job_keys(defs, schedule.job_name) == expected


def test_a_model_with_its_own_cron_and_time_zone_gets_its_own_schedule(
    defs: Definitions, catalog: AnalyticsCatalog
) -> None:
    overridden = {
        name: node_meta(node)
        for name, node in manifest_models(catalog).items()
        if "schedule_cron" in node_meta(node)
    }
    assert overridden, "the fixture overrides one model's schedule"
    for name, meta in overridden.items():
        plan = next(p for p in catalog.plans if name in p.models)
        assert plan.job_name == "refresh_retail_daily_0_1_x_x_x_america_bogota"
        schedule = defs.resolve_schedule_def(plan.schedule_name)
        assert schedule.cron_schedule == meta["schedule_cron"]
        assert schedule.execution_timezone == meta["schedule_timezone"]
        assert schedule.default_status == DefaultScheduleStatus.RUNNING
        assert job_keys(defs, schedule.job_name) == {catalog.keys[name]}
        cadence_schedule = f"refresh_retail_{meta['cadence']}_schedule"
        assert catalog.keys[name] not in job_keys(
            defs, defs.resolve_schedule_def(cadence_schedule).job_name)


def test_the_default_time_zone_comes_from_the_environment(
    catalog: AnalyticsCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TIMEZONE_ENV, "America/Bogota")
    plans = refresh_plans(catalog.models)
    for plan in plans:
        own = [catalog.models[m].schedule_timezone for m in plan.models]
        assert plan.timezone == (own[0] if own[0] else "America/Bogota")
    monkeypatch.setenv(TIMEZONE_ENV, "Mars/Olympus")
    with pytest.raises(ProjectConfigError, match="Mars/Olympus"):
        refresh_plans(catalog.models)


def test_bad_cadence_or_cron_in_meta_is_refused(catalog: AnalyticsCatalog) -> None:
    node = dict(next(iter(manifest_models(catalog).values())))
    for meta, message in (({"cadence": "hourlyy"}, "hourlyy"),
                          ({"cadence": "daily", "schedule_cron": "at noon"}, "at noon"),
                          ({"cadence": "daily", "schedule_timezone": "Nowhere/City"}, "Nowhere")):
        broken = {**node, "config": {**node["config"], "meta": meta}}  # type: ignore[dict-item]
        with pytest.raises(ProjectConfigError, match=message):
            model_info(broken)
    assert models({"nodes": {}}) == {}


def test_plans_are_per_mart_and_shared_own_schedules_share_one(catalog: AnalyticsCatalog) -> None:
    base = next(iter(catalog.models.values()))

    def model(name: str, mart: str, cadence: str, cron: str | None = None,
              zone: str | None = None) -> ModelInfo:
        return replace(base, name=name, mart=mart, cadence=cadence, schedule_cron=cron,
                       schedule_timezone=zone)

    found = {m.name: m for m in (
        model("a", "shop", "hourly"), model("b", "shop", "hourly"), model("c", "kpis", "hourly"),
        model("d", "kpis", "daily", "0 1 * * *", "America/Bogota"),
        model("e", "kpis", "daily", "0 1 * * *", "America/Bogota"),
        model("f", "kpis", "daily", "0 1 * * *", "UTC"), model("g", "kpis", "daily"),
    )}
    plans = {p.job_name: (p.models, p.cron, p.timezone) for p in refresh_plans(found, "UTC")}
    assert plans == {
        "refresh_shop_hourly": (("a", "b"), "0 * * * *", "UTC"),
        "refresh_kpis_hourly": (("c",), "0 * * * *", "UTC"),
        "refresh_kpis_daily": (("g",), "0 2 * * *", "UTC"),
        "refresh_kpis_daily_0_1_x_x_x_america_bogota": (("d", "e"), "0 1 * * *", "America/Bogota"),
        "refresh_kpis_daily_0_1_x_x_x_utc": (("f",), "0 1 * * *", "UTC"),
    }


def test_the_run_queue_keeps_one_run_per_mart_and_lets_marts_overlap(
    defs: Definitions, catalog: AnalyticsCatalog
) -> None:
    """The shipped dagster.yaml's limits, as Dagster's run queue applies them to our jobs' tags."""
    limits = yaml.safe_load(DAGSTER_YAML.read_text())["concurrency"]["runs"]["tag_concurrency_limits"]
    plan = catalog.plans[0]
    tags = defs.resolve_job_def(plan.job_name).tags
    running = DagsterRun(job_name=plan.job_name, run_id=make_new_run_id(), tags=tags)
    counter = TagConcurrencyLimitsCounter(limits, [running])
    same_mart = DagsterRun(job_name=plan.job_name, run_id=make_new_run_id(), tags=tags)
    other_mart = DagsterRun(job_name="refresh_kiosk_hourly", run_id=make_new_run_id(),
                            tags={**tags, MART_TAG: "kiosk"})
    assert counter.is_blocked(same_mart)
    assert not counter.is_blocked(other_mart)
