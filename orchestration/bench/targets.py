"""The issue's targets (defined at scale M), evaluated on any run: met, not met, or not
measured (None).

An item can also be out of reach, with the measurement that proves it: a query whose bare
answer, read back from a temporary table, already takes longer than the p95 allowance cannot
meet it (`answer_floor_ms`, see `dashboard`); a raw query faster than 100 times reading back
its bare answer cannot be beaten 100x (`best_speedup`); a small view the planner reads whole
although it has the index needs no index when the index plan (sequential scans disabled)
measures no faster; an hourly run whose
first SQL statement starts after the whole overhead allowance, although dbt started from the
previous run's parse, cannot add less: Python, Dagster and dbt start in new processes first.
`met_where_reachable` then says whether every other item is met.

The incremental targets apply to a mart with an `incremental` section (a chain holding a
`refresh_strategy='incremental'` model), per step (a new hour, a late batch, midnight): the
incremental model's run <= 0.05x its full computation, the chain's <= 0.1x the full chain's,
0 read errors and max read latency <= 50 ms during the run, every view on the table kept (same
OID, rows), and 0 rows differing from a full recomputation.

With a replica (the `replica` section), the materialization's runs (as configured, and every
view swapped) must leave the dashboard readers on the replica without an error and the replica
at most 5 s behind the primary. The chain's ratio is out of reach
when the chain's other views (rebuilt whole each run) alone exceed it (`best_chain_vs_full`).

Two figures apply to some views only: a view configured with `skip_refresh_when_unchanged`
must skip a run in which nothing changed in at most 0.2 s of SQL (`skipped_refresh`; the
target is left out for a mart with no such view), and each view's indexes, built on a fresh
copy, take at most what the refresh allowance leaves above the floor (1.5 - 1 = 0.5x the
floor: what a swap or rebuild adds; informational, since a concurrent refresh maintains
indexes only for the rows it changes).

The thresholds are the issue's, the same for every mart; a mart whose figure differs says so
in its `BenchSpec.thresholds` (by target id), and the evaluation uses that one.
"""

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
INDEX_USE = 1.0
SKIPPED_REFRESH_SQL_SECONDS = 0.2
# The incremental chain (issue 17), after new data, against a full refresh of the same chain.
INCREMENTAL_STEP_VS_FULL = 0.05
INCREMENTAL_CHAIN_VS_FULL = 0.1
# Readers on a streaming replica while the primary refreshes (issue 18).
REPLICA_LAG_SECONDS = 5.0
# The replica section's runs of the materialization; its `plain_refresh` is dbt-postgres's.
REPLICA_RUNS = ("as_configured", "swap_every_view")
# What the refresh allowance leaves above the floor: the indexes a swap or rebuild builds.
INDEX_BUILD_VS_FLOOR = REFRESH_VS_FLOOR - 1.0
THRESHOLDS: dict[str, float] = {
    "refresh_vs_floor": REFRESH_VS_FLOOR,
    "whole_refresh_vs_floor": REFRESH_VS_FLOOR,
    "read_errors": READ_ERRORS,
    "read_max_latency_ms": READ_MAX_MS,
    "dashboard_p95_ms": DASHBOARD_P95_MS,
    "dashboard_speedup": DASHBOARD_SPEEDUP,
    "orchestration_overhead_seconds": OVERHEAD_SECONDS,
    "scaling_slope": SCALING_SLOPE,
    "dashboard_index_use": INDEX_USE,
    "skipped_refresh_sql_seconds": SKIPPED_REFRESH_SQL_SECONDS,
    "index_build_vs_floor": INDEX_BUILD_VS_FLOOR,
    "incremental_step_vs_full": INCREMENTAL_STEP_VS_FULL,
    "incremental_chain_vs_full": INCREMENTAL_CHAIN_VS_FULL,
    "incremental_read_errors": READ_ERRORS,
    "incremental_read_max_latency_ms": READ_MAX_MS,
    "incremental_dependants_intact": 1.0,
    "incremental_rows_differing": 0.0,
    "replica_read_errors": READ_ERRORS,
    "replica_replay_lag_seconds": REPLICA_LAG_SECONDS,
}


def thresholds(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """The issue's thresholds with a mart's own figures over them; ValueError for an unknown id."""
    unknown = sorted(set(overrides or {}) - set(THRESHOLDS))
    if unknown:
        raise ValueError(f"unknown target id(s) {', '.join(unknown)}: the targets are "
                         f"{', '.join(THRESHOLDS)}")
    return {**THRESHOLDS, **{k: float(v) for k, v in (overrides or {}).items()}}


def _target(
    key: str,
    text: str,
    threshold: float,
    comparison: str,
    details: Mapping[str, float | None],
    worst: Callable[[list[float]], float],
    informational: bool = False,
    out_of_reach: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    def ok(value: float | None) -> bool | None:
        if value is None:
            return None
        return value <= threshold if comparison == "<=" else value >= threshold

    measured = [v for v in details.values() if v is not None]
    value = worst(measured) if measured else None
    per_item: dict[str, dict[str, Any]] = {name: {"value": v, "met": ok(v)} for name, v in details.items()}
    unreachable = {name: why for name, why in (out_of_reach or {}).items()
                   if per_item.get(name, {}).get("met") is False}
    for name, why in unreachable.items():
        per_item[name]["out_of_reach"] = why
    met = None if not details or any(v is None for v in details.values()) else all(
        item["met"] for item in per_item.values())
    return {"id": key, "target": text, "threshold": threshold, "comparison": comparison,
            "value": value, "met": met, "details": per_item, "informational": informational,
            "out_of_reach": unreachable,
            "met_where_reachable": None if met is None else all(
                item["met"] or "out_of_reach" in item for item in per_item.values())}


def p95_out_of_reach(queries: Mapping[str, Any],
                     allowance: float = DASHBOARD_P95_MS) -> dict[str, str]:
    """Queries whose bare answer alone takes longer than the allowance to read back (p95)."""
    found = {}
    for name, q in queries.items():
        floor = (q.get("answer_floor_ms") or {}).get("p95")
        if floor is not None and floor > allowance:
            found[name] = (f"its {q.get('rows')} rows alone, read back from a temporary table, "
                           f"take {floor} ms at p95 (the view query: "
                           f"{(q.get('view_ms') or {}).get('p95')} ms): no query returning "
                           f"this answer meets {allowance:g} ms")
    return found


def speedup_out_of_reach(queries: Mapping[str, Any],
                         speedup: float = DASHBOARD_SPEEDUP) -> dict[str, str]:
    """Queries whose raw median is under `speedup` times reading back their bare answer."""
    return {name: (f"raw {q['raw_ms']['p50']} ms is only {q['best_speedup']}x the fastest "
                   f"measured return of its answer (its rows read back from a temporary table: "
                   f"{q.get('answer_floor_ms', {}).get('p50')} ms; the view: "
                   f"{q.get('view_ms', {}).get('p50')} ms): no view can be "
                   f"{speedup:g}x faster")
            for name, q in queries.items()
            if q.get("best_speedup") is not None and q["best_speedup"] < speedup}


def index_out_of_reach(queries: Mapping[str, Any]) -> dict[str, str]:
    """View queries read by a sequential scan whose index plan (seq scans off) is no faster."""
    found = {}
    for name, q in queries.items():
        index_ms = (q.get("index_plan_ms") or {}).get("p50")
        view_ms = (q.get("view_ms") or {}).get("p50")
        if q.get("index_nodes_if_seqscan_off") and index_ms is not None and view_ms is not None \
                and index_ms >= view_ms:
            found[name] = (f"{q.get('pages')} pages: with seq scans off it uses "
                           f"{', '.join(q['index_nodes_if_seqscan_off'])} and takes {index_ms} ms, "
                           f"against {view_ms} ms for the planner's sequential scan")
    return found


def overhead_out_of_reach(overhead: Mapping[str, Any],
                          allowance: float = OVERHEAD_SECONDS) -> dict[str, str]:
    """The hourly run when its start-up alone, before any SQL, exceeds the allowance."""
    before = overhead.get("seconds_to_first_dbt_node")
    if before is None or before <= allowance or overhead.get("full_reparse") is not False:
        return {}
    return {"hourly": (f"the run's first SQL statement starts {before} s after the command "
                       f"(Python and Dagster start-up {overhead.get('seconds_to_dbt')} s, then dbt's "
                       f"start-up and its parse from the previous run's): no run in new processes "
                       f"adds less than that")}


def chain_out_of_reach(steps: Mapping[str, Any],
                       allowance: float = INCREMENTAL_CHAIN_VS_FULL) -> dict[str, str]:
    """Steps whose chain, were its incremental model's run free, would still exceed the
    allowance: the other views are rebuilt whole each run."""
    found = {}
    for name, step in steps.items():
        best = step.get("best_chain_vs_full")
        if best is not None and best > allowance:
            others = {n: v.get("seconds") for n, v in (step.get("views") or {}).items()
                      if n not in (step.get("incremental_models") or ())}
            listed = ", ".join(f"{n} {seconds} s" for n, seconds in others.items())
            found[name] = (f"the chain's other views alone ({listed})"
                           f" are {best}x the full chain: rebuilt whole each run (their rows"
                           " carry the refresh time), they leave no room under "
                           f"{allowance:g}x whatever the incremental step costs")
    return found


def _incremental_targets(section: Mapping[str, Any],
                         limit: Mapping[str, float]) -> list[dict[str, Any]]:
    steps = {n: s for n, s in (section.get("steps") or {}).items() if isinstance(s, Mapping)}
    if not steps:
        return []

    def differing(step: Mapping[str, Any]) -> float | None:
        found = step.get("proof") or {}
        if found.get("rows_missing") is None or found.get("rows_extra") is None:
            return None
        return float(found["rows_missing"] + found["rows_extra"])

    models = ", ".join(section.get("incremental_models") or []) or "the incremental model"
    return [
        _target("incremental_step_vs_full",
                f"{models}: its run after new data <= {limit['incremental_step_vs_full']:g}x"
                " its full computation",
                limit["incremental_step_vs_full"], "<=",
                {n: s.get("step_vs_full") for n, s in steps.items()}, max),
        _target("incremental_chain_vs_full",
                f"the {section.get('cadence')} chain after new data <= "
                f"{limit['incremental_chain_vs_full']:g}x a full refresh of the chain",
                limit["incremental_chain_vs_full"], "<=",
                {n: s.get("chain_vs_full") for n, s in steps.items()}, max,
                out_of_reach=chain_out_of_reach(
                    {n: {**s, "incremental_models": section.get("incremental_models")}
                     for n, s in steps.items()}, limit["incremental_chain_vs_full"])),
        _target("incremental_read_errors",
                f"{limit['incremental_read_errors']:g} read errors during the incremental runs",
                limit["incremental_read_errors"], "<=",
                {n: (s.get("readers") or {}).get("errors") for n, s in steps.items()}, max),
        _target("incremental_read_max_latency_ms",
                f"max read latency <= {limit['incremental_read_max_latency_ms']:g} ms during the"
                " incremental runs",
                limit["incremental_read_max_latency_ms"], "<=",
                {n: (s.get("readers") or {}).get("max_latency_ms") for n, s in steps.items()},
                max),
        _target("incremental_dependants_intact",
                "every view on the incremental table kept (same OID) and returning rows",
                limit["incremental_dependants_intact"], ">=",
                {n: (None if (s.get("dependants") or {}).get("ok") is None
                     else float(bool(s["dependants"]["ok"]) and bool(s.get("table_oid_kept"))))
                 for n, s in steps.items()}, min),
        _target("incremental_rows_differing",
                "rows differing from a full recomputation (mv_incremental_differences) <= "
                f"{limit['incremental_rows_differing']:g}",
                limit["incremental_rows_differing"], "<=",
                {n: differing(s) for n, s in steps.items()}, max),
    ]


def _replica_targets(section: Mapping[str, Any],
                     limit: Mapping[str, float]) -> list[dict[str, Any]]:
    runs = {n: section[n] for n in REPLICA_RUNS if isinstance(section.get(n), Mapping)}
    if not runs:
        return []
    return [
        _target("replica_read_errors",
                f"{limit['replica_read_errors']:g} dashboard read errors on the replica while the"
                " primary refreshes the mart",
                limit["replica_read_errors"], "<=",
                {n: r.get("total_errors") for n, r in runs.items()}, max),
        _target("replica_replay_lag_seconds",
                f"replica replay lag <= {limit['replica_replay_lag_seconds']:g} s during the"
                " refreshes",
                limit["replica_replay_lag_seconds"], "<=",
                {n: (r.get("replay_lag") or {}).get("max_seconds") for n, r in runs.items()},
                max),
    ]


def _section(results: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    section = results.get(name)
    return section if isinstance(section, Mapping) and "error" not in section else {}


def evaluate(results: Mapping[str, Any],
             overrides: Mapping[str, float] | None = None) -> list[dict[str, Any]]:
    """Every target on one mart's results, with the mart's own thresholds (`overrides`)."""
    limit = thresholds(overrides)
    refresh = _section(results, "refresh_cost")
    views = refresh.get("views", {})
    concurrent = _section(_section(results, "availability"), "concurrent").get("views", {})
    queries = _section(results, "dashboard").get("queries", {})
    overhead = results.get("orchestration_overhead") or {}
    scaling = results.get("scaling") or {}
    total = refresh.get("total", {})
    targets = [
        _target("refresh_vs_floor",
                "each view's refresh (concurrent, or swap where configured) <= "
                f"{limit['refresh_vs_floor']:g}x its floor",
                limit["refresh_vs_floor"], "<=",
                {n: v.get("configured_vs_floor") for n, v in views.items()}, max),
        _target("whole_refresh_vs_floor",
                "whole mart refresh through the materialization (elapsed) <= "
                f"{limit['whole_refresh_vs_floor']:g}x the sum of floors",
                limit["whole_refresh_vs_floor"], "<=",
                {"mart": total.get("materialization_vs_floor")} if total else {}, max),
        _target("read_errors",
                f"{limit['read_errors']:g} read errors on every view during the concurrent refresh",
                limit["read_errors"], "<=", {n: v.get("errors") for n, v in concurrent.items()},
                max),
        _target("read_max_latency_ms",
                f"max read latency <= {limit['read_max_latency_ms']:g} ms on every view during "
                "the refresh",
                limit["read_max_latency_ms"], "<=",
                {n: v.get("latency_ms", {}).get("max") for n, v in concurrent.items()}, max),
        _target("dashboard_p95_ms",
                f"dashboard p95 <= {limit['dashboard_p95_ms']:g} ms on the views",
                limit["dashboard_p95_ms"], "<=",
                {n: q.get("view_ms", {}).get("p95") for n, q in queries.items()}, max,
                out_of_reach=p95_out_of_reach(queries, limit["dashboard_p95_ms"])),
        _target("dashboard_speedup",
                f"dashboard >= {limit['dashboard_speedup']:g}x faster than raw",
                limit["dashboard_speedup"], ">=",
                {n: q.get("speedup") for n, q in queries.items()}, min,
                out_of_reach=speedup_out_of_reach(queries, limit["dashboard_speedup"])),
        _target("orchestration_overhead_seconds",
                f"orchestration overhead <= {limit['orchestration_overhead_seconds']:g} s",
                limit["orchestration_overhead_seconds"], "<=",
                {overhead.get("cadence") or "hourly": overhead.get("overhead_seconds")}, max,
                out_of_reach=overhead_out_of_reach(overhead,
                                                   limit["orchestration_overhead_seconds"])),
        _target("scaling_slope",
                f"scaling slope (log-log, time vs data size) <= {limit['scaling_slope']:g}",
                limit["scaling_slope"], "<=",
                {"mart": scaling.get("slope")} if scaling.get("enabled") else {}, max),
        _target("dashboard_index_use", "every dashboard query on a view reads through an index",
                limit["dashboard_index_use"], ">=",
                {n: float(bool(q.get("uses_index"))) for n, q in queries.items()}, min,
                informational=True, out_of_reach=index_out_of_reach(queries)),
        _target("index_build_vs_floor",
                f"the indexes of each view build in <= {limit['index_build_vs_floor']:g}x its floor"
                " (what a swap or rebuild adds)",
                limit["index_build_vs_floor"], "<=",
                {n: v.get("rebuild_indexes_vs_floor") for n, v in views.items()
                 if v.get("indexes")}, max, informational=True),
    ]
    targets += _incremental_targets(_section(results, "incremental"), limit)
    targets += _replica_targets(_section(results, "replica"), limit)
    skipping = _section(results, "skipped_refresh").get("views") or {}
    if skipping:
        targets.append(_target(
            "skipped_refresh_sql_seconds",
            "a run in which nothing changed skips each view with skip_refresh_when_unchanged in "
            f"<= {limit['skipped_refresh_sql_seconds']:g} s of SQL",
            limit["skipped_refresh_sql_seconds"], "<=",
            {n: v.get("sql_seconds") for n, v in skipping.items()}, max))
    return targets


def wholly_out_of_reach(target: Mapping[str, Any]) -> bool:
    """Missed, and every item of it out of reach (nothing of it is reachable)."""
    details = target.get("details") or {}
    return target.get("met") is False and bool(details) and all(
        "out_of_reach" in item for item in details.values())


def tally(targets: list[dict[str, Any]]) -> dict[str, int]:
    scored = [t for t in targets if not t["informational"]]
    missed = [t for t in scored if t["met"] is False]
    return {"met": sum(1 for t in scored if t["met"] is True),
            "met_where_reachable": sum(1 for t in missed if t.get("met_where_reachable")
                                       and not wholly_out_of_reach(t)),
            "out_of_reach": sum(1 for t in missed if wholly_out_of_reach(t)),
            "not_met": sum(1 for t in missed if not t.get("met_where_reachable")),
            "not_measured": sum(1 for t in scored if t["met"] is None)}
