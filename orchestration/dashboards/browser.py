"""Open the dashboards in headless Chromium (Debian's, through Playwright) and read what rendered.

Used by the dashboards' tests and by the bench. A dashboard counts as loaded when every chart
has received its data and no chart shows a spinner; each chart's query answer (row count,
error) is read from the responses Superset's page receives, its error from the page itself.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

CHART_HOLDER = ".dashboard-component-chart-holder"
SPINNER = f"{CHART_HOLDER} .loading, {CHART_HOLDER} [data-test='loading-indicator']"
CHART_ERROR = f"{CHART_HOLDER} [role='alert'], {CHART_HOLDER} .ant-alert-error"
DATA_PATHS = ("/api/v1/chart/data", "/superset/explore_json/")


class DashboardLoadError(AssertionError):
    """A dashboard did not finish loading; the message names it and what is missing."""


@dataclass
class ChartAnswer:
    chart_id: int
    rows: int
    error: str | None
    seconds: float
    digest: str  # of the rows received: two loads showed the same data if equal
    sql: str  # the query Superset ran for it


@dataclass
class DashboardLoad:
    slug: str
    seconds: float
    names: dict[int, str]  # the dashboard's charts: id -> title
    charts: dict[int, ChartAnswer] = field(default_factory=dict)
    errors_on_screen: list[str] = field(default_factory=list)


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise DashboardLoadError("headless Chromium is needed: apt-get install -y chromium")
    return found


@contextmanager
def logged_in(base_url: str, user: str, password: str) -> Iterator[Any]:
    """A Playwright page logged in to Superset."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"{base_url}/login/")
            page.fill("input[name='username'], #username", user)
            page.fill("input[name='password'], #password", password)
            page.keyboard.press("Enter")
            page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
            yield page
        finally:
            browser.close()


def _chart_id(request: Any) -> int | None:
    """The chart a data request is for: in its JSON body, or, for Superset's older charts
    (a world map) that post a form, in the URL's `form_data`."""
    try:
        body = json.loads(request.post_data or "{}")
    except ValueError:
        body = {}
    form_data = body.get("form_data") if isinstance(body, dict) else None
    if not form_data:
        from_url = parse_qs(urlsplit(request.url).query).get("form_data", ["{}"])[0]
        try:
            form_data = json.loads(from_url)
        except ValueError:
            return None
    slice_id = (form_data or {}).get("slice_id")
    return int(slice_id) if slice_id else None


def _answer(response: Any, chart_id: int, started: float) -> ChartAnswer:
    payload = response.json() if response.ok else {}
    results = payload.get("result") or [payload]
    rows = sum(int(result.get("rowcount") or 0) for result in results)
    errors = [result.get("error") for result in results if result.get("error")]
    if not response.ok:
        errors.append(f"HTTP {response.status}: {response.text()[:300]}")
    data = json.dumps([result.get("data") for result in results], sort_keys=True, default=str)
    return ChartAnswer(
        chart_id, rows, "; ".join(errors) or None, time.perf_counter() - started,
        hashlib.sha256(data.encode()).hexdigest()[:16],
        "\n".join(str(result.get("query") or "") for result in results).strip(),
    )


def chart_ids(page: Any, base_url: str, slug: str) -> dict[int, str]:
    """The dashboard's charts: id -> title."""
    answer = page.request.get(f"{base_url}/api/v1/dashboard/{slug}/charts")
    if not answer.ok:
        raise DashboardLoadError(f"dashboard {slug!r}: {answer.status} {answer.text()[:300]}")
    return {chart["id"]: chart["slice_name"] for chart in answer.json()["result"]}


def load_dashboard(
    page: Any, base_url: str, slug: str, *, query: str = "", timeout: float = 90.0
) -> DashboardLoad:
    """Open a dashboard, wait for every chart's data and the last spinner to go."""
    expected = chart_ids(page, base_url, slug)
    load = DashboardLoad(slug, 0.0, expected)
    started = time.perf_counter()

    def on_response(response: Any) -> None:
        if any(path in response.url for path in DATA_PATHS):
            chart_id = _chart_id(response.request)
            if chart_id is not None:
                load.charts[chart_id] = _answer(response, chart_id, started)

    page.on("response", on_response)
    try:
        page.goto(f"{base_url}/superset/dashboard/{slug}/{query}")
        while time.perf_counter() - started < timeout:
            page.wait_for_timeout(100)
            if set(expected) <= set(load.charts) and page.locator(SPINNER).count() == 0:
                break
        else:
            missing = sorted(expected[chart] for chart in set(expected) - set(load.charts))
            raise DashboardLoadError(f"dashboard {slug!r}: no data after {timeout:.0f} s for {missing}")
        load.seconds = time.perf_counter() - started
        load.errors_on_screen = [text for text in page.locator(CHART_ERROR).all_inner_texts() if text.strip()]
    finally:
        page.remove_listener("response", on_response)
    return load


def csrf_headers(page: Any, base_url: str) -> dict[str, str]:
    """What Superset's API wants with a POST from the logged-in page."""
    token = page.request.get(f"{base_url}/api/v1/security/csrf_token/").json()["result"]
    return {"X-CSRFToken": token, "Referer": base_url}


def dashboard_id(page: Any, base_url: str, slug: str) -> int:
    return int(page.request.get(f"{base_url}/api/v1/dashboard/{slug}").json()["result"]["id"])


def filter_state_query(page: Any, base_url: str, slug: str, data_mask: dict[str, Any]) -> str:
    """`?native_filters_key=…` for a dashboard with these native filter values set."""
    dashboard = dashboard_id(page, base_url, slug)
    answer = page.request.post(
        f"{base_url}/api/v1/dashboard/{dashboard}/filter_state",
        data={"value": json.dumps(data_mask)}, headers=csrf_headers(page, base_url),
    )
    if not answer.ok:
        raise DashboardLoadError(f"filter state: {answer.status} {answer.text()[:300]}")
    return f"?native_filters_key={answer.json()['key']}"


def screenshot(page: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
