"""Dashboard queries on the views against the same questions over the raw tables.

Each query runs `view_runs` times on its view (after warm-up) and `raw_runs` times over the
raw tables (see `spec.DashboardQuery`: the query with its view inlined, or its `raw_sql` when
it reaches the view through a function of the mart); the speed-up is the ratio of the
medians. EXPLAIN (FORMAT JSON) of the view query says whether it reads through an index (the
planner inlines a SQL function's body, so its index nodes show); the rows of both are compared.

Two floors say what is reachable at all:
* the answer itself: the query's result rows, stored in a temporary table, read back whole
  (`answer_floor_ms`, `view_runs` times): what returning exactly the answer costs, with no
  search at all. `best_speedup` = raw median / the faster of that and the view query: a raw
  query that takes less than 100 times the cost of returning its own answer (an index
  look-up) cannot be made 100x faster by any view. (`round_trip_ms`, `select 1`, is the floor
  of any query at all.)
* a view query that the planner reads with a sequential scan is run again with
  `enable_seqscan = off`: the index it then uses shows the view has one for the question,
  `index_plan_ms` whether that plan would have been any faster, and `pages` why not.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Any

from orchestration.bench.context import BenchContext, Cursor
from orchestration.bench.mart import Mart
from orchestration.bench.queries import normalise_rows
from orchestration.bench.spec import DashboardQuery
from orchestration.bench.stats import median, ratio, summary

INDEX_NODES = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")


def _plan_nodes(plan: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield plan
    for child in plan.get("Plans", []) or []:
        yield from _plan_nodes(child)


def index_usage(cur: Cursor, sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
    cur.execute("explain (format json) " + sql, params)
    row = cur.fetchone()
    assert row is not None
    document = json.loads(row[0]) if isinstance(row[0], str) else row[0]
    nodes = list(_plan_nodes(document[0]["Plan"]))
    index_nodes = [n for n in nodes if n.get("Node Type") in INDEX_NODES]
    return {
        "uses_index": bool(index_nodes),
        "index_nodes": [f"{n['Node Type']} on {n.get('Index Name')}" for n in index_nodes],
        "node_types": [str(n.get("Node Type")) for n in nodes],
    }


def index_plan(cur: Cursor, sql: str, params: Mapping[str, Any], runs: int) -> dict[str, Any]:
    """With sequential scans disabled: the index nodes of the plan and its timings (ms)."""
    cur.execute("set enable_seqscan = off")
    try:
        nodes = index_usage(cur, sql, params)["index_nodes"]
        times = _warm_times(cur, sql, params, runs)
    finally:
        cur.execute("reset enable_seqscan")
    return {"index_nodes_if_seqscan_off": nodes,
            "index_plan_ms": summary(times, scale=1000.0, digits=3)}


def relation_pages(cur: Cursor, regclass: str) -> int:
    cur.execute("select pg_relation_size(%s::regclass) / current_setting('block_size')::int",
                (regclass,))
    row = cur.fetchone()
    assert row is not None
    return int(row[0])


def answer_floor_times(cur: Cursor, sql: str, params: Mapping[str, Any], runs: int) -> list[float]:
    """Seconds to read `sql`'s result rows back from a temporary table holding just them."""
    cur.execute("create temporary table bench_answer as " + sql, params)
    try:
        return _warm_times(cur, "select * from bench_answer", {}, runs)
    finally:
        cur.execute("drop table bench_answer")


def round_trip_times(cur: Cursor, runs: int) -> list[float]:
    """Seconds of `select 1` on this connection: the floor of any query's latency."""
    return _warm_times(cur, "select 1", {}, runs)


def _warm_times(cur: Cursor, sql: str, params: Mapping[str, Any], runs: int) -> list[float]:
    """Seconds of each of `runs` executions of `sql`, after three untimed ones."""
    for _ in range(3):
        _time(cur, sql, params)
    return [_time(cur, sql, params)[0] for _ in range(runs)]


def _time(cur: Cursor, sql: str, params: Mapping[str, Any]) -> tuple[float, list[tuple[Any, ...]]]:
    started = time.perf_counter()
    cur.execute(sql, params)
    rows = cur.fetchall()
    return time.perf_counter() - started, rows


def measure_query(cur: Cursor, mart: Mart, query: DashboardQuery, params: Mapping[str, Any],
                  view_runs: int, raw_runs: int) -> dict[str, Any]:
    view_sql = query.on_view(mart)
    raw_sql = query.on_raw(mart)
    for _ in range(3):
        _, view_rows = _time(cur, view_sql, params)
    view_times = [_time(cur, view_sql, params)[0] for _ in range(view_runs)]
    raw_times: list[float] = []
    raw_rows: list[tuple[Any, ...]] = []
    for _ in range(raw_runs):
        seconds, raw_rows = _time(cur, raw_sql, params)
        raw_times.append(seconds)
    view_ms = summary(view_times, scale=1000.0, digits=3)
    raw_ms = summary(raw_times, scale=1000.0, digits=1)
    answer_floor = answer_floor_times(cur, view_sql, params, view_runs)
    usage = index_usage(cur, view_sql, params)
    if not usage["uses_index"]:
        usage.update(index_plan(cur, view_sql, params, view_runs))
        usage["pages"] = relation_pages(cur, mart.view(query.view).regclass)
    return {
        "question": query.question,
        "view": query.view,
        "rows": len(view_rows),
        "view_ms": view_ms,
        "raw_ms": raw_ms,
        "speedup": ratio(median(raw_times), median(view_times), digits=1),
        "answer_floor_ms": summary(answer_floor, scale=1000.0, digits=3),
        "best_speedup": ratio(median(raw_times), min(median(answer_floor), median(view_times)),
                              digits=1),
        **usage,
        "same_rows_as_raw": normalise_rows(view_rows) == normalise_rows(raw_rows),
        "sql": " ".join(query.sql.split()),
        **({"raw_sql": " ".join(query.raw_sql.split())} if query.raw_sql is not None else {}),
    }


def measure(ctx: BenchContext, mart: Mart, queries: list[DashboardQuery],
            params: Mapping[str, Any], *, view_runs: int, raw_runs: int) -> dict[str, Any]:
    ctx.say(f"dashboard: {len(queries)} queries, {view_runs} runs on the views, "
            f"{raw_runs} over the raw tables")
    results: dict[str, Any] = {}
    conn = ctx.connect(autocommit=True, application_name="analytics-bench-dashboard")
    try:
        with conn.cursor() as cur:
            cur.execute("set statement_timeout = '30min'")
            round_trips = round_trip_times(cur, view_runs)
            ctx.say(f"  round trip (select 1): p50 {median(round_trips) * 1000:.3f} ms")
            for query in queries:
                result = measure_query(cur, mart, query, params, view_runs, raw_runs)
                results[query.name] = result
                ctx.say(f"  {query.name}: p50 {result['view_ms']['p50']} ms, p95 "
                        f"{result['view_ms']['p95']} ms, raw {result['raw_ms']['p50']} ms, "
                        f"x{result['speedup']} (answer floor {result['answer_floor_ms']['p50']} ms, "
                        f"best x{result['best_speedup']}), index {result['uses_index']}")
    finally:
        conn.close()
    return {
        "view_runs": view_runs,
        "raw_runs": raw_runs,
        "parameters": dict(params),
        "round_trip_ms": summary(round_trips, scale=1000.0, digits=3),
        "raw_method": ("the same query with the view replaced by its defining SQL, upstream views "
                       "inlined: it reads only the source tables"),
        "queries": results,
    }
