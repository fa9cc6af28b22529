"""`analytics status`: the views from mv_status with cadence and staleness from the manifest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console

from orchestration.cli.status import collect, render, view_statuses
from orchestration.core.settings import ConnectionSettings
from orchestration.defs.catalog import AnalyticsCatalog
from tests.python.orchestration.conftest import HourlyRun

REPO = Path(__file__).resolve().parents[3]


def test_status_lists_the_refreshed_views_with_their_figures(
    hourly_run: HourlyRun, catalog: AnalyticsCatalog, fixture_sources: ConnectionSettings
) -> None:
    statuses = {s.model: s for s in collect(fixture_sources, catalog.project, catalog.models)}
    assert set(catalog.models) <= set(statuses), "every view is listed, built or not"
    for model, action, status, rows, _ in hourly_run.log_rows:
        view = statuses[str(model)]
        assert view.exists and view.populated
        assert view.cadence == catalog.models[str(model)].cadence
        assert view.rows == rows
        assert view.total_bytes and view.indexes
        assert view.stale is False
        assert view.last_success_at is not None
        assert status == "success" and view.last_action is not None and action is not None
    console = Console(width=200, record=True)
    console.print(render(list(statuses.values())))
    text = console.export_text()
    for model in (str(row[0]) for row in hourly_run.log_rows):
        assert catalog.models[model].relation in text


def test_staleness_follows_the_cadence(catalog: AnalyticsCatalog) -> None:
    now = datetime(2026, 1, 5, 12, tzinfo=UTC)
    model = next(m for m in catalog.models.values() if m.cadence == "daily")
    row = {
        "schema_name": model.schema, "relation_name": model.alias, "model": model.name,
        "exists": True, "populated": True, "row_count": 10, "total_bytes": 8192,
        "index_names": ["i"], "unique_key": "id", "last_action": "refresh", "last_status":
        "success", "last_started_at": now, "last_finished_at": now,
        "last_duration_seconds": 1.0, "last_error": None, "last_success_at": now,
    }
    models = {model.name: model}

    def stale(**changes: object) -> bool | None:
        return view_statuses([{**row, **changes}], models, now)[0].stale

    assert stale(last_success_at=now - timedelta(hours=25)) is False
    assert stale(last_success_at=now - timedelta(hours=27)) is True
    assert stale(populated=False) is True
    no_cadence = {model.name: replace(model, cadence=None)}
    assert view_statuses([row], no_cadence, now)[0].stale is None
    missing = view_statuses([], models, now)[0]
    assert (missing.exists, missing.stale) == (False, True)


def test_an_incremental_table_is_named_so_with_its_last_slices(catalog: AnalyticsCatalog) -> None:
    now = datetime(2026, 1, 5, 12, tzinfo=UTC)
    model = next(iter(catalog.models.values()))
    row = {
        "schema_name": model.schema, "relation_name": model.alias, "model": model.name,
        "exists": True, "populated": True, "row_count": 10, "total_bytes": 8192,
        "index_names": ["i"], "unique_key": "id", "last_action": "refresh_incremental",
        "last_status": "success", "last_started_at": now, "last_finished_at": now,
        "last_duration_seconds": 0.1, "last_error": None, "last_success_at": now,
        "kind": "incremental table", "last_slices": 1234,
    }
    console = Console(width=300, record=True)
    console.print(render(view_statuses([row], {model.name: model}, now), now))
    text = console.export_text()
    assert f"{model.relation} (incremental table)" in text
    assert "refresh_incremental (1,234 slices)" in text
    console = Console(width=300, record=True)
    console.print(render(view_statuses([{**row, "kind": "materialized view"}],
                                       {model.name: model}, now), now))
    assert "(incremental table)" not in console.export_text()


def test_status_json_from_the_command_line(
    hourly_run: HourlyRun, fixture_project_dir: Path, catalog: AnalyticsCatalog
) -> None:
    env = {**os.environ, "ANALYTICS_PROJECT_DIR": str(fixture_project_dir)}
    result = subprocess.run([str(Path(sys.executable).parent / "analytics"), "status", "--json"],
                            env=env, cwd=REPO, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    views = {v["model"]: v for v in report["views"]}
    for model, _, _, rows, _ in hourly_run.log_rows:
        assert views[str(model)]["rows"] == rows
        assert views[str(model)]["cadence"] == catalog.models[str(model)].cadence
        assert views[str(model)]["stale"] is False
        assert views[str(model)]["state"] == "fresh"
        assert views[str(model)]["build_command"] is None
    declared = [v for v in report["views"] if not v["orphaned"]]
    assert {v["model"] for v in declared} == set(catalog.models)
    summary = report["summary"]
    assert summary["expected"] == len(catalog.models) == summary["existing"] + summary["missing"]
    assert summary["existing"] == sum(1 for v in declared if v["exists"])
    assert summary["orphaned"] == len(report["views"]) - len(declared)
    assert summary["total_rows"] == sum(v["rows"] or 0 for v in declared if v["exists"])
