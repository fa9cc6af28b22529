"""A snapshot of what the project's code location defines: a new mart, view, test, job or
schedule shows up as a reviewable diff of `snapshots/definitions.json`.

After an intended change: `ANALYTICS_UPDATE_SNAPSHOTS=1 pytest tests/python/orchestration/
test_definitions_snapshot.py`, then review and commit the diff.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from dagster import Definitions

from orchestration.defs.check_cadence import CHECK_CADENCE_METADATA
from orchestration.defs.definitions import defs as project_defs
from orchestration.defs.schedules import TIMEZONE_ENV

SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "definitions.json"


def describe(defs: Definitions) -> dict[str, Any]:
    graph = defs.resolve_asset_graph()
    specs = sorted(defs.resolve_all_asset_specs(), key=lambda s: s.key.to_user_string())
    return {
        "assets": {
            spec.key.to_user_string(): {
                "group": spec.group_name,
                "kind": "observable source" if graph.get(spec.key).is_observable
                else "materializable",
                "upstream": sorted(k.to_user_string() for k in graph.get(spec.key).parent_keys),
                "checks": sorted(c.name for c in graph.asset_check_keys if c.asset_key == spec.key),
                "cadence": spec.tags.get("analytics/cadence"),
            }
            for spec in specs
        },
        "jobs": {
            job.name: sorted(k.to_user_string()
                             for k in defs.resolve_job_def(job.name).asset_layer.selected_asset_keys)
            for job in sorted(defs.jobs or [], key=lambda j: j.name)
        },
        "schedules": {
            s.name: {"job": s.job_name, "cron": s.cron_schedule, "timezone": s.execution_timezone}
            for s in sorted(defs.schedules or [], key=lambda s: s.name)
        },
        "check_cadences": {
            f"{key.asset_key.to_user_string()}:{key.name}": cadence
            for key in sorted(graph.asset_check_keys, key=lambda k: k.to_user_string())
            if (cadence := (graph.get_check_spec(key).metadata or {}).get(CHECK_CADENCE_METADATA))
        },
        # Checks a job runs without refreshing their asset (e.g. a mart's daily checks of its
        # hourly views, in its daily job).
        "checks_without_their_asset": {
            job.name: found for job in sorted(defs.jobs or [], key=lambda j: j.name)
            if (found := checks_only(defs, job.name))
        },
        "sensors": sorted(s.name for s in defs.sensors or []),
        "pools": sorted({pool for node in defs.resolve_all_job_defs()
                         for op in node.nodes_in_topological_order
                         if (pool := getattr(op.definition, "pool", None))}),
    }


def checks_only(defs: Definitions, job_name: str) -> list[str]:
    """The job's checks of views it does not refresh, or with a check cadence (source tests run
    with the views reading their source, which are never refreshed)."""
    graph = defs.resolve_asset_graph()
    layer = defs.resolve_job_def(job_name).asset_layer
    return sorted(key.to_user_string() for data in layer.data for key in data.assets_def.check_keys
                  if key.asset_key not in layer.selected_asset_keys
                  and (key.asset_key in graph.materializable_asset_keys
                       or CHECK_CADENCE_METADATA in (graph.get_check_spec(key).metadata or {})))


def test_the_definitions_match_the_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TIMEZONE_ENV, raising=False)
    current = json.dumps(describe(project_defs()), indent=2, sort_keys=True) + "\n"
    if os.environ.get("ANALYTICS_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(current)
    expected = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    diff = "".join(difflib.unified_diff(expected.splitlines(True), current.splitlines(True),
                                        str(SNAPSHOT), "current definitions"))
    assert not diff, f"the definitions changed (update with ANALYTICS_UPDATE_SNAPSHOTS=1):\n{diff}"
