"""One view fails at refresh, on data only: the others go on, the failure is on record.

A copy of the project whose mv_sku_velocity divides by zero for a product named `poison` (the
model's own SQL wrapped, so it follows any change to the model) is built on its own small
database (demo data S/10); then a `poison` product starts selling and the whole mart is
refreshed through Dagster, in-process, as `analytics refresh` does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance

from orchestration.cli import refresh
from orchestration.core.settings import ConnectionSettings
from orchestration.defs.catalog import load_catalog
from orchestration.defs.definitions import definitions_for
from tests.python.reliability.conftest import (
    MART_SELECTOR,
    MART_VIEWS,
    Mart,
    copy_project,
    fresh_database,
    load_demo,
)

FAILING = "mv_sku_velocity"
DOWNSTREAM = "mv_product_intelligence"


def poisoned_copy(directory: Path) -> Path:
    copy_project(directory)
    model = directory / "models" / "marts" / "retail" / f"{FAILING}.sql"
    model.write_text(
        "select * from (\n" + model.read_text() + "\n) as checked\n"
        "where 1 / (case when product_id = 'poison' then 0 else 1 end) = 1\n")
    return directory


@pytest.fixture(scope="module")
def failing_mart(
    pg_settings: ConnectionSettings, database_factory: list[ConnectionSettings],
    tmp_path_factory: pytest.TempPathFactory,
) -> Mart:
    settings = fresh_database(pg_settings, database_factory, "analytics_reliability_failure")
    load_demo(settings, "S/10")
    work = tmp_path_factory.mktemp("failure")
    mart = Mart(settings=settings, work_dir=work, project_dir=poisoned_copy(work / "project"))
    mart.dbt(["build", "--select", MART_SELECTOR])
    return mart


def test_a_failing_view_keeps_its_rows_and_only_its_dependants_are_skipped(
    failing_mart: Mart, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mart = failing_mart
    mart.sql("""
        insert into retail_raw.inventory_snapshots
            (id, dispensary_id, product_id, brand_name, category, captured_at, price_rec,
             quantity_available)
        select max(id) + 1, min(dispensary_id), 'poison', 'Poison', 'Flower',
               now() - interval '2 hours', 10, 9 from retail_raw.inventory_snapshots
        union all
        select max(id) + 2, min(dispensary_id), 'poison', 'Poison', 'Flower',
               now() - interval '1 hour', 10, 5 from retail_raw.inventory_snapshots
    """)
    before = mart.fingerprints()
    first = mart.last_log_id()
    for name, value in {**mart.env(), "DBT_TARGET_PATH": str(tmp_path / "target")}.items():
        monkeypatch.setenv(name, value)
    catalog = load_catalog(mart.project_dir)
    instance = DagsterInstance.ephemeral()
    report = refresh.run_refresh(definitions_for(catalog), catalog, list(MART_VIEWS), instance)

    # Dagster: the run failed, the failing view and its dependant were not materialized.
    assert not report.success
    outcomes = {view.model: view for view in report.views}
    assert outcomes[FAILING].status == "not built"
    assert outcomes[DOWNSTREAM].status == "not built"
    independent = set(MART_VIEWS) - {FAILING, DOWNSTREAM}
    assert {name for name, view in outcomes.items() if view.status == "built"} == independent
    # mv_daily_sales_estimates is refreshed incrementally and rebuilds nothing downstream, so
    # the failing view plays no part in its refresh; the others are refreshed concurrently.
    assert outcomes["mv_daily_sales_estimates"].action == "refresh_incremental"
    assert all(outcomes[name].action == "refresh_concurrently"
               for name in independent - {"mv_daily_sales_estimates"})
    assert any(FAILING in error for error in report.errors), report.errors
    # The run planned every view, materialized the independent ones, and its step failure names
    # the failing view (dbt's error, as the materialization raised it).
    def keys_of(event_type: DagsterEventType) -> set[AssetKey]:
        return {event.dagster_event.asset_key  # type: ignore[union-attr, misc]
                for event in instance.all_logs(report.run_id, of_type=event_type)}

    planned = keys_of(DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
    materialized = keys_of(DagsterEventType.ASSET_MATERIALIZATION)
    assert planned - materialized == {catalog.keys[FAILING], catalog.keys[DOWNSTREAM]}
    failures = instance.all_logs(report.run_id, of_type=DagsterEventType.STEP_FAILURE)
    assert len(failures) == 1
    message = str(failures[0].dagster_event.step_failure_data.error)  # type: ignore[union-attr]
    assert f"{FAILING} (refresh_swap of" in message, message
    assert "the previous view is still in place" in message

    # The refresh log: the error of the failing view; the dependant never started.
    logged = {str(row[0]): row for row in mart.log_since(first)}
    assert set(logged) == set(MART_VIEWS) - {DOWNSTREAM}
    _, action, status, error = logged[FAILING]
    assert (action, status) == ("refresh_swap", "error")
    assert "division by zero" in str(error)
    assert all(logged[name][2] == "success" for name in independent)

    # The failing view and its dependant still serve their previous rows.
    after = mart.fingerprints()
    assert after[FAILING] == before[FAILING]
    assert after[DOWNSTREAM] == before[DOWNSTREAM]
    # The poison sales reached daily sales through its invalidation log.
    assert after["mv_daily_sales_estimates"] != before["mv_daily_sales_estimates"]
    assert mart.scalar("select count(*) from analytics.mv_daily_sales_estimates"
                       " where product_id = 'poison'") == 1
