"""The seller insights mart's bench: the seller app's reads (queries.py), for the seller with
most posted units, and the forecast's own section (`forecast`: fit and run time, accuracy on
the last held-out week and against the simulator's truth, at the bench's scale), run first so
the forecast views hold a real forecast when the other sections read them.

Each query is the SQL of queries.py with its view written `{source}` (the bench runs it on the
view, and over the source tables with the view's query inlined).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from orchestration.bench.spec import SOURCE, BenchSpec, DashboardQuery, ViewReader
from orchestration.marts.seller_insights import queries as q

GRAPHS = "seller_graph_points"
WEEKLY = "seller_weekly_sales_vs_posted"
SELL_THROUGH = "seller_sell_through_rate"
CATEGORIES = "seller_category_distribution"
WINDOWS = "seller_time_window_distribution"
FORECAST = "seller_forecast_vs_posted"
FORECAST_WEEKLY = "seller_forecast_vs_posted_weekly"
# Weeks of the sales-vs-posted graph the app shows.
WEEKS = 12


def on_source(query: str, view: str) -> str:
    """`query` with its view (`analytics.<view>`, as queries.py names it) written `{source}`."""
    qualified = f"{q.SCHEMA}.{view}"
    if query.count(qualified) != 1:
        raise ValueError(f"the query must read {qualified} exactly once: {query}")
    return query.replace(qualified, SOURCE)


QUERIES: tuple[DashboardQuery, ...] = (
    DashboardQuery("seller_graphs", "Every point of one seller's five graphs (the app's page)",
                   GRAPHS, on_source(q.SELLER_GRAPHS, GRAPHS)),
    DashboardQuery("weekly_sales_vs_posted", f"A seller's sales and posted units, last {WEEKS} "
                   "weeks", WEEKLY, on_source(q.WEEKLY_SALES_VS_POSTED, WEEKLY)),
    DashboardQuery("sell_through", "A seller's sell-through and unsold shares", SELL_THROUGH,
                   on_source(q.SELL_THROUGH, SELL_THROUGH)),
    DashboardQuery("category_distribution", "A seller's sales per category", CATEGORIES,
                   on_source(q.CATEGORY_DISTRIBUTION, CATEGORIES)),
    DashboardQuery("time_window_distribution", "A seller's sales per pickup start time", WINDOWS,
                   on_source(q.TIME_WINDOW_DISTRIBUTION, WINDOWS)),
    DashboardQuery("upcoming_forecast", "A seller's future bundles with their forecast",
                   FORECAST, on_source(q.UPCOMING_FORECAST, FORECAST)),
    DashboardQuery("forecast_weeks", "A seller's predicted sales and posted units per coming "
                   "week", FORECAST_WEEKLY, on_source(q.FORECAST_WEEKS, FORECAST_WEEKLY)),
)


def pick_parameters(views: ViewReader) -> dict[str, Any]:
    """The seller with most posted units (ties by id): the app's busiest page."""
    seller = views.first(f"select seller_id from {views.relation(SELL_THROUGH)}"
                         " order by posted_units desc, seller_id limit 1")
    return {"seller_id": seller, "weeks": WEEKS}


def describe(params: Mapping[str, Any]) -> str:
    return f"seller {params['seller_id']} (most posted units), last {params['weeks']} weeks"


def forecast_section(ctx: Any, mart: Any) -> dict[str, Any]:
    """The forecast run once on the built mart (its views then read a real forecast): fit and
    run time, the held-out week against both baselines, the written forecast against the truth.
    Imported here, not at the top: loading the plug-in must not import numpy."""
    from orchestration.marts.seller_insights.forecast import figures

    ctx.say("forecast: one run as the daily job's Python step does it")
    with contextlib.closing(ctx.connect()) as conn:
        return figures.measure(conn)


BENCH = BenchSpec(queries=QUERIES, pick_parameters=pick_parameters, describe=describe,
                  sections={"forecast": forecast_section})
