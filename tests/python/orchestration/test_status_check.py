"""`analytics status --check`: which problems a view has (unit), and the command's exit code and
report against the fixture project built on the test server (integration)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance, Definitions

from orchestration.cli.health import check, check_lines, view_problems
from orchestration.cli.status import ViewStatus
from orchestration.core.project import meta_schema
from orchestration.core.settings import ConnectionSettings
from orchestration.defs.catalog import AnalyticsCatalog
from orchestration.defs.schedules import ALL_VIEWS_JOB
from tests.python.orchestration.conftest import run_sql

REPO = Path(__file__).resolve().parents[3]
ANALYTICS = str(Path(sys.executable).parent / "analytics")
NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)

HEALTHY = ViewStatus(
    relation="analytics.v", model="v", mart="m", cadence="daily", exists=True, populated=True,
    rows=10, total_bytes=8192, indexes=["v_pkey"], unique_key="id", last_action="refresh",
    last_status="success", last_started_at=NOW - timedelta(hours=1),
    last_finished_at=NOW - timedelta(hours=1), last_duration_seconds=1.0,
    last_success_at=NOW - timedelta(hours=1), stale=False, last_error=None,
)


def kinds(status: ViewStatus, *, failing: bool = True) -> list[str]:
    return [p.kind for p in view_problems(status, NOW) if p.fails or not failing]


def test_a_healthy_view_has_no_problem() -> None:
    assert view_problems(HEALTHY, NOW) == []
    skipped = replace(HEALTHY, last_action="skip")  # a skip is logged as a success
    assert view_problems(skipped, NOW) == []
    assert check([HEALTHY, skipped], NOW).healthy


def test_a_view_never_built_is_missing_and_only_missing() -> None:
    never = replace(HEALTHY, exists=False, populated=False, rows=None, last_action=None,
                    last_status=None, last_success_at=None, last_started_at=None,
                    last_finished_at=None, stale=True)
    problems = view_problems(never, NOW)
    assert [p.kind for p in problems] == ["missing"]
    assert "never built" in problems[0].message
    dropped = replace(HEALTHY, exists=False, populated=False)
    assert kinds(dropped) == ["missing"]
    assert "no longer exists" in view_problems(dropped, NOW)[0].message


def test_a_view_not_populated_fails_but_zero_rows_only_warns() -> None:
    assert kinds(replace(HEALTHY, populated=False)) == ["not_populated"]
    empty = replace(HEALTHY, rows=0)
    assert kinds(empty) == []
    assert kinds(empty, failing=False) == ["no_rows"]
    assert check([empty], NOW).healthy


def test_a_stale_view_says_since_when_and_its_cadence_limit() -> None:
    last = NOW - timedelta(hours=27)
    problems = view_problems(replace(HEALTHY, last_success_at=last, stale=True), NOW)
    assert [p.kind for p in problems] == ["stale"]
    stale = problems[0]
    assert "2026-01-04 09:00 UTC" in stale.message and "27 h ago" in stale.message
    assert "daily" in stale.message and "26 h" in stale.message
    assert stale.details["last_success_at"] == last
    assert stale.details["age_seconds"] == 27 * 3600
    assert stale.details["limit_seconds"] == 26 * 3600
    # Within the limit: fresh. Freshness is judged at `now`, not from the stored flag.
    assert kinds(replace(HEALTHY, last_success_at=NOW - timedelta(hours=25), stale=True)) == []
    hourly = replace(HEALTHY, cadence="hourly", last_success_at=NOW - timedelta(hours=2))
    assert "1 h 30 min" in view_problems(hourly, NOW)[0].message
    never = replace(HEALTHY, last_success_at=None)
    assert "never refreshed successfully" in view_problems(never, NOW)[0].message


def test_a_view_without_cadence_is_never_stale() -> None:
    assert kinds(replace(HEALTHY, cadence=None, last_success_at=NOW - timedelta(days=400))) == []
    assert kinds(replace(HEALTHY, cadence=None, last_success_at=None)) == []


def test_a_failed_last_refresh_gives_its_error_shortened() -> None:
    error = "division by zero\nCONTEXT:  " + "x " * 500
    failed = replace(HEALTHY, last_action="refresh_concurrently", last_status="error",
                     last_error=error)
    problems = view_problems(failed, NOW)
    assert [p.kind for p in problems] == ["last_refresh_failed"]
    assert "refresh_concurrently error" in problems[0].message
    assert "division by zero CONTEXT:" in problems[0].message
    assert "\n" not in problems[0].message and len(problems[0].details["error"]) <= 300
    interrupted = replace(HEALTHY, last_status="interrupted", last_error=None)
    assert kinds(interrupted) == ["last_refresh_failed"]
    # A refresh in progress is reported, not failed; a killed one turns `interrupted`.
    running = replace(HEALTHY, last_status="running", last_finished_at=None)
    assert (kinds(running), kinds(running, failing=False)) == ([], ["refreshing"])
    lines = check_lines(check([HEALTHY, failed], NOW))
    assert lines[0].startswith("FAIL analytics.v [m]: last refresh failed")
    assert lines[-1] == "unhealthy: 1 of 2 views fail the check"


@pytest.fixture(scope="module")
def built_views(
    defs: Definitions, catalog: AnalyticsCatalog, fixture_sources: ConnectionSettings,
    fixture_views: None,
) -> ConnectionSettings:
    """Every view of the fixture project refreshed once, so each is built and fresh."""
    result = defs.resolve_job_def(ALL_VIEWS_JOB).execute_in_process(
        instance=DagsterInstance.ephemeral())
    assert result.success
    return fixture_sources


@pytest.fixture
def broken(built_views: ConnectionSettings, catalog: AnalyticsCatalog) -> Iterator[tuple[str, str]]:
    """One view whose last refresh failed (a log row), one renamed away (missing); undone after."""
    failed, gone = (catalog.models[name] for name in sorted(catalog.models)[:2])
    schema = meta_schema(catalog.project)
    invocation = f"test-{uuid.uuid4()}"
    run_sql(built_views, f"""
        insert into {schema}.refresh_log
            (model, relation, action, status, finished_at, duration_seconds, invocation_id, error)
        values (%s, %s, 'refresh_concurrently', 'error', now(), 0, %s,
                'could not create unique index: key (id)=(1) is duplicated')""",
            (failed.name, failed.relation, invocation))
    run_sql(built_views, f"alter materialized view {gone.relation} rename to {gone.alias}_away")
    try:
        yield failed.relation, gone.relation
    finally:
        run_sql(built_views, f"alter materialized view {gone.schema}.{gone.alias}_away"
                             f" rename to {gone.alias}")
        run_sql(built_views, f"delete from {schema}.refresh_log where invocation_id = %s",
                (invocation,))


def status_check(fixture_project_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANALYTICS_PROJECT_DIR": str(fixture_project_dir)}
    return subprocess.run([ANALYTICS, "status", "--check", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_check_passes_on_a_built_project_and_names_each_broken_view(
    built_views: ConnectionSettings, fixture_project_dir: Path, catalog: AnalyticsCatalog,
    request: pytest.FixtureRequest,
) -> None:
    healthy = status_check(fixture_project_dir)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert healthy.stdout.splitlines()[-1].startswith(f"healthy: {len(catalog.models)} views")

    failed, gone = request.getfixturevalue("broken")
    marts = sorted({m.mart for m in catalog.models.values() if m.mart})
    text = status_check(fixture_project_dir, *(f"--mart={m}" for m in marts))
    assert text.returncode == 1, text.stdout + text.stderr
    assert "Traceback" not in text.stdout + text.stderr
    lines = text.stdout.splitlines()
    assert any(line.startswith(f"FAIL {failed} ") and "last refresh failed" in line
               and "is duplicated" in line for line in lines), text.stdout
    assert any(line.startswith(f"FAIL {gone} ") and "missing" in line for line in lines)
    assert lines[-1] == f"unhealthy: 2 of {len(catalog.models)} views fail the check"

    as_json = status_check(fixture_project_dir, "--json")
    assert as_json.returncode == 1, as_json.stdout + as_json.stderr
    report = json.loads(as_json.stdout)
    assert report["healthy"] is False
    assert sorted(report["failing"]) == sorted([failed, gone])
    views = {v["relation"]: v for v in report["views"]}
    assert len(views) == len(catalog.models)
    assert [p["kind"] for p in views[failed]["problems"]] == ["last_refresh_failed"]
    assert views[failed]["problems"][0]["status"] == "error"
    assert [p["kind"] for p in views[gone]["problems"]] == ["missing"]
    assert all(v["healthy"] for r, v in views.items() if r not in (failed, gone))


def test_an_unreachable_server_is_unhealthy_with_a_message(fixture_project_dir: Path) -> None:
    env = {**os.environ, "ANALYTICS_PROJECT_DIR": str(fixture_project_dir),
           "ANALYTICS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    result = subprocess.run([ANALYTICS, "status", "--check", "--json"], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["healthy"] is False and "cannot read" in report["error"]
