"""Every dashboard in `dashboards/`, opened in headless Chromium on Superset over the demo's data:
every chart renders with data and no error, the first select filter changes what the charts
show, and a screenshot of each goes to docs/dashboards/ (look at them)."""

from __future__ import annotations

import os
import secrets
import signal
from pathlib import Path
from typing import Any

import pytest
from psycopg2 import sql

from orchestration.core.paths import PROJECT_DIR
from orchestration.dashboards import browser
from orchestration.dashboards.bundle import DASHBOARDS_DIR, load, repository_files
from tests.python.dashboards.conftest import Superset
from tests.python.databases import query

SCREENSHOTS = PROJECT_DIR / "docs" / "dashboards"


def _dashboards() -> dict[str, dict[str, Any]]:
    found = {}
    for file in repository_files(DASHBOARDS_DIR):
        if file.relative.startswith("dashboards/"):
            config = load(file.path(DASHBOARDS_DIR))
            found[config["slug"]] = config
    return found


DASHBOARDS = _dashboards()
DATASETS = {
    config["uuid"]: config
    for config in (load(f.path(DASHBOARDS_DIR)) for f in repository_files(DASHBOARDS_DIR)
                   if f.relative.startswith("datasets/"))
}


def _first_select_filter(dashboard: dict[str, Any]) -> dict[str, Any]:
    filters = (dashboard.get("metadata") or {}).get("native_filter_configuration") or []
    selects = [f for f in filters if f.get("filterType") == "filter_select"]
    assert selects, f"dashboard {dashboard['slug']!r} has no select filter"
    return selects[0]


def _a_value_not_shown_by_default(superset: Superset, native_filter: dict[str, Any]) -> str:
    """A value of the filter's column other than its smallest (a filter that defaults to its
    first item shows that one already)."""
    target = native_filter["targets"][0]
    dataset = DATASETS[target["datasetUuid"]]
    column = target["column"]["name"]
    values = [row[0] for row in query(superset.settings, sql.SQL(
        "select distinct {} from {}.{} where {} is not null order by 1 limit 3").format(
        sql.Identifier(column), sql.Identifier(dataset["schema"]),
        sql.Identifier(dataset["table_name"]), sql.Identifier(column)))]
    assert len(values) >= 2, f"{dataset['table_name']}.{column} has fewer than two values"
    return values[1]


@pytest.mark.parametrize("slug", sorted(DASHBOARDS))
def test_every_chart_renders_with_data_and_no_error(superset: Superset, page: Any, slug: str) -> None:
    load_ = browser.load_dashboard(page, superset.url, slug)
    names = load_.names
    browser.screenshot(page, SCREENSHOTS / f"{slug}.png")
    assert set(load_.charts) == set(names)
    errors = {names[chart]: answer.error for chart, answer in load_.charts.items() if answer.error}
    assert not errors
    assert not load_.errors_on_screen
    empty = sorted(names[chart] for chart, answer in load_.charts.items() if answer.rows == 0)
    assert not empty, f"charts without data on {slug}: {empty}"


@pytest.mark.parametrize("slug", sorted(DASHBOARDS))
def test_the_first_select_filter_changes_what_the_charts_show(
    superset: Superset, page: Any, slug: str
) -> None:
    native_filter = _first_select_filter(DASHBOARDS[slug])
    value = _a_value_not_shown_by_default(superset, native_filter)
    column = native_filter["targets"][0]["column"]["name"]
    before = browser.load_dashboard(page, superset.url, slug)
    mask = {native_filter["id"]: {
        "id": native_filter["id"],
        "extraFormData": {"filters": [{"col": column, "op": "IN", "val": [value]}]},
        "filterState": {"value": [value]},
        "ownState": {},
    }}
    after = browser.load_dashboard(
        page, superset.url, slug, query=browser.filter_state_query(page, superset.url, slug, mask)
    )
    assert not [a.error for a in after.charts.values() if a.error] and not after.errors_on_screen
    changed = [chart for chart in before.charts if before.charts[chart].digest != after.charts[chart].digest]
    assert changed, f"{native_filter['name']} = {value!r} changed no chart on {slug}"


def _sql_lab(superset: Superset, page: Any, statement: str) -> tuple[int, str]:
    database_id = page.request.get(f"{superset.url}/api/v1/database/").json()["result"][0]["id"]
    answer = page.request.post(
        f"{superset.url}/api/v1/sqllab/execute/",
        data={"database_id": database_id, "sql": statement, "runAsync": False,
              "client_id": secrets.token_hex(5), "queryLimit": 10},
        headers=browser.csrf_headers(page, superset.url),
    )
    return answer.status, answer.text()


def test_the_dashboards_connection_reads_the_views_and_not_the_raw_sources(
    superset: Superset, page: Any
) -> None:
    status, body = _sql_lab(superset, page, "select count(*) from analytics.mv_store_performance")
    assert status == 200 and '"status": "success"' in body, body[:500]
    status, body = _sql_lab(superset, page, "select * from retail_raw.inventory_snapshots limit 1")
    assert status >= 400 and "permission denied for schema retail_raw" in body, body[:500]


def test_one_sigterm_stops_superset_and_its_workers(superset: Superset) -> None:
    """Checked last (the module's order): the session's server is stopped by this test."""
    group = os.getpgid(superset.process.pid)
    os.kill(superset.process.pid, signal.SIGTERM)
    assert superset.process.wait(timeout=60) is not None
    alive = [line for line in Path("/proc").glob("[0-9]*") if _in_group(line, group)]
    assert not alive, f"processes left in the server's group: {alive}"


def _in_group(proc: Path, group: int) -> bool:
    try:
        fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z" and int(fields[2]) == group
