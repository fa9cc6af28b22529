"""The marketplace KPI mart's bench: the analytics service's four reads (queries.py), as its
API sends them, and their parameters.

Each query is the SQL of queries.py with its view written `{source}` (the bench runs it on the
view, and over the source tables with the view's query inlined): the monthly KPIs of the last
twelve months; the city ranking of the city with most advisors and the national ranking; the
top advisors of that city by each metric of TOP_ADVISOR_METRICS; the summary per city, which
aggregates every advisor of the ranking view (read whole: the question is about all of them).
The lists ask for LIMIT rows, the page of the service's advisor lists.

The ranking view is a snapshot: its offer and notification columns count the 30 days before its
refresh, and `calculado_at` is that refresh's now(). Its raw variants answer as of the same
time (`AsOfRefresh`), or no raw query run after the refresh could give the view's rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from orchestration.bench.spec import SOURCE, BenchSpec, DashboardQuery, ViewReader, quote_ident
from orchestration.marts.marketplace_kpis.queries import (
    CITY_RANKING,
    CITY_SUMMARY,
    MONTHLY_METRICS,
    MONTHLY_VIEW,
    NATIONAL_RANKING,
    RANKING_VIEW,
    TOP_ADVISOR_METRICS,
    TOP_ADVISORS,
    checked_metric,
)

if TYPE_CHECKING:
    from orchestration.bench.mart import Mart

MONTHLY = "mv_metricas_mensuales"
RANKING = "mv_ranking_asesores"
# Rows a list returns (the service's page); months in the monthly range.
LIMIT = 50
MONTHS = 12


def on_source(query: str, view: str) -> str:
    """`query` with its view (`public.<view>`, as queries.py names it) written `{source}`."""
    if query.count(view) != 1:
        raise ValueError(f"the query must read {view} exactly once: {query}")
    return query.replace(view, SOURCE)


@dataclass(frozen=True)
class AsOfRefresh(DashboardQuery):
    """A question on the ranking view whose raw variant answers as of the view's refresh: the
    view's SQL reads the refresh time as now() (the 30-day window, `calculado_at`); in the raw
    variant now() is the view's `calculado_at`, one value read from the view (an InitPlan), so
    the raw query reads the source tables over the same window and gives the view's rows."""

    def on_raw(self, mart: Mart) -> str:
        refreshed_at = f"(select calculado_at from {mart.view(self.view).qualified} limit 1)"
        return super().on_raw(mart).replace("now()", refreshed_at)


QUERIES: tuple[DashboardQuery, ...] = (
    DashboardQuery(
        "monthly_metrics_12_months",
        f"The monthly KPIs of the last {MONTHS} months, the latest first",
        MONTHLY, on_source(MONTHLY_METRICS, MONTHLY_VIEW)),
    AsOfRefresh(
        "city_ranking",
        f"The first {LIMIT} advisors of a city by city rank (the city with most advisors)",
        RANKING, on_source(CITY_RANKING, RANKING_VIEW)),
    AsOfRefresh(
        "national_ranking",
        f"The first {LIMIT} advisors of the country by national rank",
        RANKING, on_source(NATIONAL_RANKING, RANKING_VIEW)),
    *(AsOfRefresh(
        f"top_advisors_by_{metric}",
        f"The {LIMIT} advisors of a city with the highest {metric} (the city with most "
        "advisors)",
        RANKING, on_source(TOP_ADVISORS.format(metric=quote_ident(checked_metric(metric))),
                           RANKING_VIEW))
      for metric in TOP_ADVISOR_METRICS),
    AsOfRefresh(
        "city_summary",
        "Per city: advisors, active advisors, offers, winning offers, acceptance rate, "
        "average response time (every advisor of the ranking view)",
        RANKING, on_source(CITY_SUMMARY, RANKING_VIEW)),
)


def pick_parameters(views: ViewReader) -> dict[str, Any]:
    """Deterministic parameters from the views: the city with most advisors (ties by name);
    the latest month of the monthly view and the MONTHS - 1 before it; LIMIT rows a list."""
    ranking = views.relation(RANKING)
    monthly = views.relation(MONTHLY)
    city = views.first(f"select ciudad from {ranking} where ciudad is not null"
                       " group by ciudad order by count(*) desc, ciudad limit 1")
    last_month = views.first(f"select max(mes) from {monthly}")
    first_month = views.first("select (%s::date - make_interval(months => %s))::date",
                              (last_month, MONTHS - 1))
    return {"ciudad": city, "mes_desde": first_month, "mes_hasta": last_month, "limite": LIMIT}


def describe(params: Mapping[str, Any]) -> str:
    return (f"city {params['ciudad']} (most advisors), months {params['mes_desde']} to "
            f"{params['mes_hasta']}, {params['limite']} rows a list")


BENCH = BenchSpec(queries=QUERIES, pick_parameters=pick_parameters, describe=describe)
