"""The forecast is a Python asset between dbt models: the mart's sources -> the input view ->
the forecast (`seller_forecast.forecast_output`, a dbt source mapped to the asset) -> the
forecast views, in the definitions and in the one daily job that runs them in that order."""

from __future__ import annotations

import pytest
from dagster import AssetKey, Definitions
from dagster._core.execution.api import create_execution_plan

from orchestration.cli.refresh import around_python_assets, spanned_assets
from orchestration.defs.catalog import AnalyticsCatalog, load_catalog
from orchestration.defs.definitions import definitions_for, source_watch
from orchestration.defs.schedules import DEFAULT_CRONS

MART = "seller_insights"
INPUTS = AssetKey(["analytics", "seller_forecast_inputs"])
FORECAST = AssetKey(["seller_forecast", "forecast_output"])
VS_POSTED = AssetKey(["analytics", "seller_forecast_vs_posted"])
WEEKLY = AssetKey(["analytics", "seller_forecast_vs_posted_weekly"])
GRAPHS = AssetKey(["analytics", "seller_graph_points"])
BUNDLES = AssetKey(["surplus", "bundles"])
DAILY_JOB = f"refresh_{MART}_daily"


@pytest.fixture(scope="module")
def catalog() -> AnalyticsCatalog:
    return load_catalog()


@pytest.fixture(scope="module")
def defs(catalog: AnalyticsCatalog) -> Definitions:
    return definitions_for(catalog)


def test_the_forecast_sits_between_the_input_view_and_the_forecast_views(defs: Definitions) -> None:
    graph = defs.resolve_asset_graph()
    forecast = graph.get(FORECAST)
    assert forecast.is_materializable and not forecast.is_observable
    assert forecast.parent_keys == {INPUTS}
    assert VS_POSTED in forecast.child_keys
    assert BUNDLES in graph.get(INPUTS).parent_keys
    assert VS_POSTED in graph.get(WEEKLY).parent_keys
    specs = {spec.key: spec for spec in defs.resolve_all_asset_specs()}
    assert specs[FORECAST].group_name == MART
    assert specs[INPUTS].group_name == MART


def test_the_daily_job_runs_the_input_view_then_the_forecast_then_the_forecast_views(
    defs: Definitions,
) -> None:
    job = defs.resolve_job_def(DAILY_JOB)
    assert set(job.asset_layer.selected_asset_keys) == {INPUTS, FORECAST, VS_POSTED, WEEKLY}
    steps = create_execution_plan(job).get_steps_to_execute_in_topo_order()
    order = [{key for key in job.asset_layer.get_selected_entity_keys_for_node(step.node_handle)
              if isinstance(key, AssetKey)} for step in steps]
    # Dagster splits the mart's dbt op around the Python asset: dbt, Python, dbt.
    assert order == [{INPUTS}, {FORECAST}, {VS_POSTED, WEEKLY}]
    schedule = defs.resolve_schedule_def(f"{DAILY_JOB}_schedule")
    assert schedule.cron_schedule == DEFAULT_CRONS["daily"]


def test_the_hourly_job_leaves_the_forecast_alone(defs: Definitions) -> None:
    job = defs.resolve_job_def(f"refresh_{MART}_hourly")
    selected = set(job.asset_layer.selected_asset_keys)
    assert GRAPHS in selected and FORECAST not in selected


def test_the_forecast_table_is_no_observed_source_and_the_sensor_does_not_watch_it(
    catalog: AnalyticsCatalog, defs: Definitions,
) -> None:
    graph = defs.resolve_asset_graph()
    observed = {key for key in graph.get_all_asset_keys() if graph.get(key).is_observable}
    assert BUNDLES in observed and FORECAST not in observed
    # The sensor of these definitions: forecast_output is produced, not watched.
    watch = source_watch(catalog, lambda keys: frozenset(), frozenset({FORECAST}))
    assert "surplus.bundles" in watch.relations
    assert "seller_forecast.forecast_output" not in watch.relations
    # Without knowing it is produced, the sensor would watch it (the exclusion is what hides it).
    assert "seller_forecast.forecast_output" in source_watch(catalog, lambda keys: frozenset()
                                                             ).relations


def test_a_refresh_runs_the_forecast_only_when_it_spans_it(
    catalog: AnalyticsCatalog, defs: Definitions,
) -> None:
    assert spanned_assets(defs, {INPUTS, VS_POSTED}) == {FORECAST}
    assert spanned_assets(defs, {VS_POSTED}) == set()
    assert spanned_assets(defs, {INPUTS}) == set()
    # What `analytics demo` refreshes after its build: the input view, and every view the
    # forecast reaches (the compatibility view through the weekly one).
    assert {"seller_forecast_inputs", "seller_forecast_vs_posted",
            "seller_forecast_vs_posted_weekly", "seller_graph_points"} <= set(
        around_python_assets(defs, catalog))
    assert "seller_sell_through_rate" not in around_python_assets(defs, catalog)
