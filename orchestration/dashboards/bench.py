"""How long each dashboard takes to load in a browser, every chart rendered, Superset's cache off,
and how much of it is the views: each chart's query timed again in Postgres as the reader role.

Run against a serving Superset (`make dashboards`) on the data to measure (scale M for the
reference figures): `analytics dashboards bench --json bench/results/M-dashboards.json`.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from orchestration.core.database import connect
from orchestration.core.settings import ConnectionSettings
from orchestration.dashboards import browser
from orchestration.dashboards.reader_login import READER_ROLE

GOAL_SECONDS = 2.0
SQL_RUNS = 3


def sql_milliseconds(settings: ConnectionSettings, statement: str) -> float:
    """The median time of a chart's query in Postgres, run as the role the dashboards use."""
    timings = []
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(f"set role {READER_ROLE}")
        for _ in range(SQL_RUNS):
            started = time.perf_counter()
            cur.execute(statement)
            cur.fetchall()
            timings.append((time.perf_counter() - started) * 1000)
        conn.rollback()
    return statistics.median(timings)


def bench_dashboard(page: Any, base_url: str, slug: str, runs: int,
                    settings: ConnectionSettings) -> dict[str, Any]:
    """`runs` loads after one that warms the browser's own caches (scripts, fonts)."""
    browser.load_dashboard(page, base_url, slug)
    loads = [browser.load_dashboard(page, base_url, slug) for _ in range(runs)]
    median = statistics.median(load.seconds for load in loads)
    last = loads[-1].charts
    sql_ms = {chart: sql_milliseconds(settings, answer.sql) for chart, answer in last.items() if answer.sql}
    slowest = max(sql_ms, key=lambda chart: sql_ms[chart])
    return {
        "charts": len(loads[-1].names),
        "load_seconds": [round(load.seconds, 3) for load in loads],
        "load_seconds_median": round(median, 3),
        "goal_seconds": GOAL_SECONDS,
        "met": median <= GOAL_SECONDS,
        "last_chart_answered_seconds": round(max(a.seconds for a in last.values()), 3),
        "sql_ms_total": round(sum(sql_ms.values()), 1),
        "slowest_query_chart": loads[-1].names[slowest],
        "slowest_query_ms": round(sql_ms[slowest], 1),
        "slowest_query_sql": last[slowest].sql,
        "errors": [answer.error for answer in last.values() if answer.error],
    }


def bench_dashboards(base_url: str, user: str, password: str, slugs: list[str],
                     settings: ConnectionSettings, runs: int = 3) -> dict[str, Any]:
    with browser.logged_in(base_url, user, password) as page:
        return {slug: bench_dashboard(page, base_url, slug, runs, settings) for slug in slugs}
