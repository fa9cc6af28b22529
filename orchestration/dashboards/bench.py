"""How long each dashboard takes to load in a browser, every chart rendered, Superset's cache off.

Run against a serving Superset (`make dashboards`) on the data to measure (scale M for the
reference figures): `analytics dashboards bench --json bench/results/M-dashboards.json`.
"""

from __future__ import annotations

import statistics
from typing import Any

from orchestration.dashboards import browser

GOAL_SECONDS = 2.0


def bench_dashboard(page: Any, base_url: str, slug: str, runs: int) -> dict[str, Any]:
    """`runs` loads after one that warms the browser's own caches (scripts, fonts)."""
    names = browser.chart_ids(page, base_url, slug)
    browser.load_dashboard(page, base_url, slug)
    loads = [browser.load_dashboard(page, base_url, slug) for _ in range(runs)]
    median = sorted(loads, key=lambda load: load.seconds)[len(loads) // 2]
    slowest = max(median.charts.values(), key=lambda answer: answer.seconds)
    return {
        "charts": len(names),
        "load_seconds": [round(load.seconds, 3) for load in loads],
        "load_seconds_median": round(statistics.median(load.seconds for load in loads), 3),
        "goal_seconds": GOAL_SECONDS,
        "met": statistics.median(load.seconds for load in loads) <= GOAL_SECONDS,
        "slowest_chart": names[slowest.chart_id],
        "slowest_chart_seconds": round(slowest.seconds, 3),
        "slowest_chart_rows": slowest.rows,
        "slowest_chart_sql": slowest.sql,
        "errors": [answer.error for answer in median.charts.values() if answer.error],
    }


def bench_dashboards(base_url: str, user: str, password: str, slugs: list[str],
                     runs: int = 3) -> dict[str, Any]:
    with browser.logged_in(base_url, user, password) as page:
        return {slug: bench_dashboard(page, base_url, slug, runs) for slug in slugs}
