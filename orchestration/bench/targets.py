"""The issue's targets (defined at scale M), evaluated on any run: met, not met, or not
measured (None)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

TARGET_SCALE = "M"
REFRESH_VS_FLOOR = 1.5
READ_ERRORS = 0
READ_MAX_MS = 50.0
DASHBOARD_P95_MS = 5.0
DASHBOARD_SPEEDUP = 100.0
OVERHEAD_SECONDS = 5.0
SCALING_SLOPE = 1.1


def _target(
    key: str,
    text: str,
    threshold: float,
    comparison: str,
    details: Mapping[str, float | None],
    worst: Callable[[list[float]], float],
    informational: bool = False,
) -> dict[str, Any]:
    def ok(value: float | None) -> bool | None:
        if value is None:
            return None
        return value <= threshold if comparison == "<=" else value >= threshold

    measured = [v for v in details.values() if v is not None]
    value = worst(measured) if measured else None
    per_item = {name: {"value": v, "met": ok(v)} for name, v in details.items()}
    met = None if not details or any(v is None for v in details.values()) else all(
        item["met"] for item in per_item.values())
    return {"id": key, "target": text, "threshold": threshold, "comparison": comparison,
            "value": value, "met": met, "details": per_item, "informational": informational}


def _section(results: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    section = results.get(name)
    return section if isinstance(section, Mapping) and "error" not in section else {}


def evaluate(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    refresh = _section(results, "refresh_cost")
    views = refresh.get("views", {})
    concurrent = _section(_section(results, "availability"), "concurrent").get("views", {})
    queries = _section(results, "dashboard").get("queries", {})
    overhead = results.get("orchestration_overhead") or {}
    scaling = results.get("scaling") or {}
    total = refresh.get("total", {})
    targets = [
        _target("refresh_vs_floor",
                "each view's refresh (concurrent, or swap where configured) <= 1.5x its floor",
                REFRESH_VS_FLOOR, "<=", {n: v.get("configured_vs_floor") for n, v in views.items()}, max),
        _target("whole_refresh_vs_floor",
                "whole mart refresh through the materialization (elapsed) <= 1.5x the sum of floors",
                REFRESH_VS_FLOOR, "<=",
                {"mart": total.get("materialization_vs_floor")} if total else {}, max),
        _target("read_errors", "0 read errors on every view during the concurrent refresh",
                READ_ERRORS, "<=", {n: v.get("errors") for n, v in concurrent.items()}, max),
        _target("read_max_latency_ms", "max read latency <= 50 ms on every view during the refresh",
                READ_MAX_MS, "<=",
                {n: v.get("latency_ms", {}).get("max") for n, v in concurrent.items()}, max),
        _target("dashboard_p95_ms", "dashboard p95 <= 5 ms on the views", DASHBOARD_P95_MS, "<=",
                {n: q.get("view_ms", {}).get("p95") for n, q in queries.items()}, max),
        _target("dashboard_speedup", "dashboard >= 100x faster than raw", DASHBOARD_SPEEDUP, ">=",
                {n: q.get("speedup") for n, q in queries.items()}, min),
        _target("orchestration_overhead_seconds", "orchestration overhead <= 5 s", OVERHEAD_SECONDS,
                "<=", {"hourly": overhead.get("overhead_seconds")}, max),
        _target("scaling_slope", "scaling slope (log-log, time vs snapshots) <= 1.1", SCALING_SLOPE,
                "<=", {"mart": scaling.get("slope")} if scaling.get("enabled") else {}, max),
        _target("dashboard_index_use", "every dashboard query on a view reads through an index",
                1.0, ">=", {n: float(bool(q.get("uses_index"))) for n, q in queries.items()}, min,
                informational=True),
    ]
    return targets


def tally(targets: list[dict[str, Any]]) -> dict[str, int]:
    scored = [t for t in targets if not t["informational"]]
    return {"met": sum(1 for t in scored if t["met"] is True),
            "not_met": sum(1 for t in scored if t["met"] is False),
            "not_measured": sum(1 for t in scored if t["met"] is None)}
