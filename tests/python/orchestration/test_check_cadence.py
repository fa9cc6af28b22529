"""Checks with a cadence of their own (`meta.check_cadence` on a dbt test).

The fixture has two daily tests that warn on its rows: one on an hourly view
(fx_snapshot_counts) and one on the source the hourly views read (inventory_snapshots). They
must stay out of the hourly runs, Dagster's plan and dbt's selection alike, and run in the
mart's daily job although that job does not refresh the hourly views.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from dagster import AssetCheckKey, DagsterInstance, Definitions

from orchestration.cli.refresh import run_checks, selected_models
from orchestration.core.project import ProjectConfigError, node_meta
from orchestration.core.settings import ConnectionSettings
from orchestration.defs.catalog import AnalyticsCatalog
from orchestration.defs.check_cadence import (
    CHECK_CADENCE_METADATA,
    cadence_checks,
    dbt_test_cadence,
    is_due,
)
from orchestration.defs.dbt_assets import (
    DbtBuildConfig,
    build_args,
    checks_for,
    skipped_cadence_tests,
)
from orchestration.defs.schedules import RefreshPlan, refresh_plans, with_check_plans
from tests.python.orchestration.conftest import HOURLY_JOB, HourlyRun

DAILY_JOB = "refresh_retail_daily"


def daily_tests(catalog: AnalyticsCatalog) -> set[str]:
    """The fixture's tests whose config says daily, straight from the manifest."""
    return {node["name"] for node in catalog.manifest["nodes"].values()
            if node["resource_type"] == "test" and node_meta(node).get("check_cadence") == "daily"}


def job_checks(defs: Definitions, job_name: str) -> set[AssetCheckKey]:
    job = defs.resolve_job_def(job_name)
    return {key for data in job.asset_layer.data for key in data.assets_def.check_keys}


def all_checks(defs: Definitions) -> dict[str, AssetCheckKey]:
    return {key.name: key for key in defs.resolve_asset_graph().asset_check_keys}


def test_the_fixture_has_a_daily_test_on_an_hourly_view_and_on_its_source(
    catalog: AnalyticsCatalog, defs: Definitions
) -> None:
    names = daily_tests(catalog)
    assert len(names) == 2
    checks = all_checks(defs)
    hourly = {catalog.keys[m.name] for m in catalog.models.values() if m.cadence == "hourly"}
    on_views = {n for n in names if checks[n].asset_key in hourly}
    assert on_views and names - on_views, "one on an hourly view, one on a source"
    graph = defs.resolve_asset_graph()
    for name in names:
        spec = graph.get_check_spec(checks[name])
        assert spec.metadata[CHECK_CADENCE_METADATA] == "daily"
        assert "daily" in (spec.description or "")


def test_the_hourly_job_plans_no_daily_check_and_the_daily_job_plans_them_alone(
    catalog: AnalyticsCatalog, defs: Definitions
) -> None:
    names = daily_tests(catalog)
    hourly = {k.name for k in job_checks(defs, HOURLY_JOB)}
    assert hourly, "the hourly views keep their other checks"
    assert not hourly & names
    daily_job = defs.resolve_job_def(DAILY_JOB)
    assert names <= {k.name for k in job_checks(defs, DAILY_JOB)}
    daily_models = {catalog.keys[m.name] for m in catalog.models.values()
                    if m.cadence == "daily" and not m.has_own_schedule}
    assert daily_job.asset_layer.selected_asset_keys >= daily_models
    # The daily job checks the hourly view without refreshing it.
    checked = {all_checks(defs)[n].asset_key for n in names}
    assert not checked & set(daily_job.asset_layer.selected_asset_keys)
    assert not names & {k.name for k in job_checks(defs, "refresh_retail_weekly")}


def test_runs_without_a_cadence_leave_them_out_and_refresh_views_offers_them(
    catalog: AnalyticsCatalog, defs: Definitions
) -> None:
    names = daily_tests(catalog)
    keys = set(catalog.keys.values())
    assets_defs = list({defs.resolve_assets_def(k) for k in keys})
    assert not names & {k.name for k in checks_for(assets_defs, keys)}, "the sensor's runs"
    assert not names & {k.name for k in checks_for(assets_defs, keys, "hourly")}
    assert names <= {k.name for k in checks_for(assets_defs, keys, "daily")}
    assert names <= {k.name for k in job_checks(defs, "refresh_views")}


def test_analytics_refresh_picks_the_checks_of_its_cadence(
    catalog: AnalyticsCatalog, defs: Definitions
) -> None:
    names = daily_tests(catalog)

    def checks(cadence: str | None) -> set[str]:
        models = selected_models(catalog, cadence=cadence, marts=["retail"])
        keys = {catalog.keys[m] for m in models}
        return {k.name for k in run_checks(defs, catalog, keys, ["retail"], cadence)}

    assert checks("hourly") and not checks("hourly") & names
    assert names <= checks("daily")
    assert not checks(None) & names


def test_an_unknown_check_cadence_is_refused() -> None:
    node = {"name": "t", "config": {"meta": {"check_cadence": "nightly"}}}
    with pytest.raises(ProjectConfigError, match="nightly"):
        dbt_test_cadence(node)
    assert dbt_test_cadence({"name": "t", "config": {}}) is None


def test_a_check_is_due_in_runs_of_its_cadence_or_slower() -> None:
    assert is_due(None, None) and is_due(None, "hourly")
    assert not is_due("daily", "hourly") and not is_due("daily", None)
    assert is_due("daily", "daily") and is_due("daily", "weekly")
    assert is_due("hourly", "hourly") and not is_due("weekly", "daily")


def test_a_mart_without_a_job_of_its_checks_cadence_gets_one_with_the_checks_alone(
    catalog: AnalyticsCatalog,
) -> None:
    base = next(iter(catalog.models.values()))
    found = {"a": replace(base, name="a", mart="shop", cadence="hourly")}
    plans = refresh_plans(found, "UTC")
    added = with_check_plans(plans, {"shop": {"daily", "hourly"}}, "UTC")
    assert [p.job_name for p in added] == ["refresh_shop_hourly", "refresh_shop_daily"]
    assert added[1] == RefreshPlan("refresh_shop_daily", "shop", "daily", "0 2 * * *", "UTC", ())


def test_the_op_excludes_the_tests_it_does_not_run(defs: Definitions, catalog: AnalyticsCatalog
                                                   ) -> None:
    base = ["build", "--exclude-resource-type", "unit_test", "--no-write-json"]
    assert build_args(DbtBuildConfig()) == base
    args = build_args(DbtBuildConfig(full_refresh=True), ["p.b", "p.a"])
    assert args == [*base, "--exclude", "p.a p.b", "--full-refresh"]
    assets_def = defs.resolve_assets_def(next(iter(catalog.keys.values())))
    daily = cadence_checks([assets_def], "daily")
    assert {k.name for k in daily} == daily_tests(catalog)
    keys = set(catalog.keys.values())
    skipped = skipped_cadence_tests(assets_def, checks_for([assets_def], keys, "hourly"),
                                    catalog.manifest)
    assert {fqn.split(".")[-1] for fqn in skipped} == daily_tests(catalog)
    assert not skipped_cadence_tests(assets_def, checks_for([assets_def], keys, "daily"),
                                     catalog.manifest)


def test_the_hourly_run_ran_no_daily_test(hourly_run: HourlyRun, catalog: AnalyticsCatalog
                                          ) -> None:
    """They warn on the fixture's rows: had dbt run them, the run would show failed checks."""
    evaluations = hourly_run.result.get_asset_check_evaluations()
    assert evaluations and all(e.passed for e in evaluations)
    assert not {e.asset_check_key.name for e in evaluations} & daily_tests(catalog)


def test_the_daily_job_runs_them_on_views_it_does_not_refresh(
    defs: Definitions, catalog: AnalyticsCatalog, hourly_run: HourlyRun,
    fixture_sources: ConnectionSettings,
) -> None:
    assert hourly_run.result.success, "the hourly views exist"
    result = defs.resolve_job_def(DAILY_JOB).execute_in_process(
        instance=DagsterInstance.ephemeral())
    assert result.success
    evaluations = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations()}
    names = daily_tests(catalog)
    assert names <= set(evaluations)
    assert not any(evaluations[n].passed for n in names), "they warn on the fixture's rows"
    built = {e.materialization.asset_key for e in result.get_asset_materialization_events()}
    assert not {evaluations[n].asset_check_key.asset_key for n in names} & built
