"""The forecast runs through Dagster between the dbt views: `analytics demo` runs it once after
its build, with `analytics refresh`'s code (a selection that spans it), and refreshes every
view it reaches, on the S data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import AssetKey

from orchestration.cli import _run_python_assets
from orchestration.core.database import connect
from orchestration.core.settings import ConnectionSettings
from tests.python.marts.seller_insights.conftest import BuiltMart, one, query

FORECAST = "seller_forecast.forecast_output"
# Each view the forecast reaches, in lineage order (how a test puts the shared views back).
READERS = ("analytics.seller_forecast_vs_posted", "analytics.seller_forecast_vs_posted_weekly",
           "analytics.seller_graph_points")
FUTURE_BUNDLES = """
    select count(*) from analytics.seller_forecast_inputs i
    where i.window_start > now()"""


@pytest.fixture
def empty_forecast(seller_insights_mart: BuiltMart, monkeypatch: pytest.MonkeyPatch,
                   tmp_path: Path) -> Iterator[ConnectionSettings]:
    """The session's S database with an empty forecast table, the commands pointed at it; the
    forecast rows and the views that read them are put back afterwards for the other tests."""
    settings = seller_insights_mart.settings
    for name, value in settings.libpq_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(f"create temporary table saved as select * from {FORECAST}")
        cur.execute("select * from saved")
        saved = cur.fetchall()
        cur.execute(f"delete from {FORECAST}")
    yield settings
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(f"delete from {FORECAST}")
        if saved:
            cur.executemany(f"insert into {FORECAST} values ({', '.join(['%s'] * len(saved[0]))})",
                            saved)
    with connect(settings, autocommit=True) as conn, conn.cursor() as cur:
        for view in READERS:
            cur.execute(f"refresh materialized view concurrently {view}")


def test_demo_runs_the_forecast_once_and_refreshes_every_view_it_reaches(
    empty_forecast: ConnectionSettings,
) -> None:
    settings = empty_forecast
    report = _run_python_assets(settings)
    future = one(settings, FUTURE_BUNDLES)[0]
    written = one(settings, f"select count(*) from {FORECAST}")[0]
    assert future > 0 and written == future
    # One Dagster run of the views around the forecast, the forecast in it (it spans it: the
    # input view upstream, the forecast views downstream; which selections do is
    # test_lineage.py's), its rows in the run's report.
    assert report is not None and report.success, report
    outcomes = {v.model: v for v in report.views}
    forecast = outcomes[AssetKey(["seller_forecast", "forecast_output"]).to_user_string()]
    assert forecast.action == "forecast" and forecast.rows == written
    assert outcomes["seller_forecast_vs_posted"].rows == written
    # The views downstream read the new forecast: the rows the forecast wrote, per bundle and
    # per week, and graph 5 of the compatibility view.
    assert one(settings, "select count(*) from analytics.seller_forecast_vs_posted")[0] == written
    assert query(settings, f"""
        select seller_id, sum(predicted_sales) from {FORECAST} group by 1
        except
        select seller_id, sum(predicted_sales) from analytics.seller_forecast_vs_posted_weekly
        group by 1""") == []
    assert one(settings, """
        select sum(y) from analytics.seller_graph_points
        where graph_type = 5 and series_name = 'forecast'""")[0] == one(
        settings, f"select sum(predicted_sales) from {FORECAST}")[0]
