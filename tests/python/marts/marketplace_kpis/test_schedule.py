"""The marketplace KPI mart's schedule: its two views share one daily schedule at 01:00
America/Bogota (06:00 UTC all year), no other schedule refreshes them, and one run of it
refreshes exactly those two views.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dagster import AssetKey, DagsterInstance, Definitions

from orchestration.core.project import meta_schema
from orchestration.defs.catalog import AnalyticsCatalog, load_catalog
from orchestration.defs.definitions import definitions_for
from orchestration.defs.schedules import TIMEZONE_ENV
from tests.python.databases import query
from tests.python.marts.marketplace_kpis.conftest import MART_VIEWS as VIEWS
from tests.python.marts.marketplace_kpis.conftest import BuiltMart

MART = "marketplace_kpis"
JOB = "refresh_marketplace_kpis_daily_0_1_x_x_x_america_bogota"


@pytest.fixture(scope="module")
def catalog() -> AnalyticsCatalog:
    with pytest.MonkeyPatch.context() as patch:
        # The mart's zone is its own: the default zone must play no part.
        patch.setenv(TIMEZONE_ENV, "Asia/Tokyo")
        return load_catalog()


@pytest.fixture(scope="module")
def defs(catalog: AnalyticsCatalog) -> Definitions:
    return definitions_for(catalog)


def keys(catalog: AnalyticsCatalog) -> set[AssetKey]:
    return {catalog.keys[view] for view in VIEWS}


def next_tick(defs: Definitions, after: datetime) -> datetime:
    from dagster._utils.schedules import cron_string_iterator

    schedule = defs.resolve_schedule_def(f"{JOB}_schedule")
    ticks = cron_string_iterator(after.timestamp(), schedule.cron_schedule,
                                 schedule.execution_timezone)
    return next(ticks).astimezone(UTC)


def test_both_views_share_one_schedule_named_after_the_mart(
    defs: Definitions, catalog: AnalyticsCatalog
) -> None:
    plans = [plan for plan in catalog.plans if plan.mart == MART]
    assert [(plan.job_name, plan.models) for plan in plans] == [(JOB, VIEWS)]
    schedule = defs.resolve_schedule_def(f"{JOB}_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 1 * * *",
                                                                     "America/Bogota")
    assert defs.resolve_job_def(JOB).asset_layer.selected_asset_keys == keys(catalog)


@pytest.mark.parametrize("after, expected", [
    (datetime(2026, 12, 1, 12, 0, tzinfo=UTC), datetime(2026, 12, 2, 6, 0, tzinfo=UTC)),
    # 00:59 in Bogotá: the tick is a minute later; and in July too (Bogotá has no DST).
    (datetime(2026, 7, 1, 5, 59, tzinfo=UTC), datetime(2026, 7, 1, 6, 0, tzinfo=UTC)),
    # 01:00 in Bogotá is 06:00 UTC, whatever day it is in UTC.
    (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), datetime(2027, 1, 1, 6, 0, tzinfo=UTC)),
])
def test_the_next_tick_is_0600_utc(defs: Definitions, after: datetime,
                                   expected: datetime) -> None:
    assert next_tick(defs, after) == expected


def test_no_other_schedule_refreshes_the_views(defs: Definitions, catalog: AnalyticsCatalog
                                               ) -> None:
    others = [s for s in defs.schedules or [] if s.name != f"{JOB}_schedule"]
    assert others, "the other marts have schedules"
    for schedule in others:
        selected = defs.resolve_job_def(schedule.job_name).asset_layer.selected_asset_keys
        assert not selected & keys(catalog), schedule.name


def test_a_run_of_the_mart_refreshes_exactly_its_two_views(
    defs: Definitions, catalog: AnalyticsCatalog, marketplace_mart: BuiltMart,
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = marketplace_mart.settings
    monkeypatch.setenv("PGDATABASE", settings.dbname)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path_factory.mktemp("marketplace_run")))
    log = f"{meta_schema(catalog.project)}.refresh_log"
    before = query(settings, f"select max(id) from {log}")[0][0]
    result = defs.resolve_job_def(JOB).execute_in_process(instance=DagsterInstance.ephemeral())
    assert result.success
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert materialized == keys(catalog)
    refreshed = query(settings, f"select model, status from {log} where id > %s", (before,))
    assert sorted(refreshed) == [(view, "success") for view in VIEWS]
