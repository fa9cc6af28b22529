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
        "sensors": sorted(s.name for s in defs.sensors or []),
        "pools": sorted({pool for node in defs.resolve_all_job_defs()
                         for op in node.nodes_in_topological_order
                         if (pool := getattr(op.definition, "pool", None))}),
    }


def test_the_definitions_match_the_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TIMEZONE_ENV, raising=False)
    current = json.dumps(describe(project_defs()), indent=2, sort_keys=True) + "\n"
    if os.environ.get("ANALYTICS_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(current)
    expected = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    diff = "".join(difflib.unified_diff(expected.splitlines(True), current.splitlines(True),
                                        str(SNAPSHOT), "current definitions"))
    assert not diff, f"the definitions changed (update with ANALYTICS_UPDATE_SNAPSHOTS=1):\n{diff}"
