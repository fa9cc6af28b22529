"""The seller insights mart's sources holding scale S demo data, loaded once per session in a
database of its own.

The mart's source schemas are fixed (`surplus`, `surplus_truth`), so its tests use their own
database on the session's server instead of sharing tables with other tests. The load is
anchored at the start of the current hour: the history runs up to it and the future bundles
(14 days) after it, so views counting from now() see past and future bundles.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from orchestration.core.database import connect
from orchestration.core.settings import ConnectionSettings
from orchestration.demo_data.engine import LoadReport
from orchestration.demo_data.marts import load_mart
from tests.python.databases import query
from tests.python.marts.built_marts import (
    BuiltMart,
    LoadedSources,
    build_mart,
    one,
    own_database,
)

__all__ = ["BuiltMart", "LoadedSources", "one", "query"]

MART = "seller_insights"
DATABASE = "analytics_seller_insights_tests"
SCALE = "S"
SEED = 1
ANCHOR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def load(settings: ConnectionSettings, seed: int = SEED) -> LoadReport:
    """Scale S of `seed`, anchored at ANCHOR (migrating first)."""
    return load_mart(settings, MART, SCALE, seed=seed, anchor=ANCHOR)


@pytest.fixture(scope="session")
def seller_insights_settings(pg_settings: ConnectionSettings) -> Iterator[ConnectionSettings]:
    """A fresh database for the mart, dropped at the end of the session."""
    with own_database(pg_settings, DATABASE) as settings:
        yield settings


@pytest.fixture(scope="session")
def seller_insights_s(seller_insights_settings: ConnectionSettings) -> LoadedSources:
    """Scale S, seed SEED, anchored at ANCHOR: migrated and loaded once; tests only read it
    (a test that writes hostile rows does so in a transaction it rolls back, or in a
    database of its own)."""
    return LoadedSources(settings=seller_insights_settings, load=load(seller_insights_settings))


# --- the mart built on S (the views' tests) -------------------------------------------------

MART_SELECTOR = "+path:models/marts/seller_insights"
MART_VIEWS = (
    "seller_weekly_sales_vs_posted",
    "seller_sell_through_rate",
    "seller_category_distribution",
    "seller_time_window_distribution",
    "seller_forecast_inputs",
    "seller_forecast_vs_posted",
    "seller_forecast_vs_posted_weekly",
    "seller_graph_points",
)
# A stand-in forecast for the views' tests when no forecast has run on the database yet: the
# future bundles of the even sellers (so some sellers have graph 5 and some do not), each
# forecast to sell 60 % of what was posted. The forecast itself is tested on its own.
STAND_IN_FORECAST = """
    insert into seller_forecast.forecast_output
        (bundle_id, seller_id, window_start, predicted_sales, posted_qty,
         predicted_no_show_prob, confidence, rationale)
    select bundle_id, seller_id, window_start, round(total_qty * 0.6, 2), total_qty,
           0.1000, 0.5000, 'Stand-in forecast of the views'' tests.'
    from surplus.bundles
    where window_start > now() + interval '1 hour' and seller_id % 2 = 0
      and window_end >= window_start and total_qty >= 0
      and not exists (select from seller_forecast.forecast_output)"""


@pytest.fixture(scope="session")
def seller_insights_mart(seller_insights_s: LoadedSources,
                         tmp_path_factory: pytest.TempPathFactory) -> BuiltMart:
    """`dbt build` of the mart on scale S, once per session (with STAND_IN_FORECAST when the
    forecast table is empty); tests only read the views."""
    with connect(seller_insights_s.settings) as conn, conn.cursor() as cur:
        cur.execute(STAND_IN_FORECAST)
    return build_mart(seller_insights_s, MART_SELECTOR,
                      tmp_path_factory.mktemp("seller_insights_dbt"))
