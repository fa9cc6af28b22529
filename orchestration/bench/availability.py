"""Can dashboards read while the mart refreshes?

One reader thread per view, each on its own connection, runs that view's dashboard queries in
a loop (with a short pause, as a dashboard would) while the whole mart refreshes:

* `concurrent`: `dbt run -s marts.<mart>`, i.e. the materialization (REFRESH CONCURRENTLY),
  after touching the sources of views that skip unchanged refreshes (`sources.touch`);
* `plain`: a plain `REFRESH MATERIALIZED VIEW` of each view in DAG order from Python, which is
  what dbt-postgres's built-in materialization runs: readers wait for each view's refresh.
  An incremental model's table has no REFRESH: it is left out (`not_refreshed`), its readers
  still read.

`run_with_readers` is the machinery: readers on every view while any refresh runs (the
`incremental` and `replica` sections reuse it for their runs). The readers read where
`ANALYTICS_READ_DATABASE_URL` points when it is set (a replica), else on the primary.

Only reads that start while the refresh runs count. Per view: reads, p50 / p99 / max latency,
errors (with samples) and the slowest reads with when they started.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg2

from orchestration.bench import refresh_log, sources
from orchestration.bench.context import BenchContext, Connection
from orchestration.bench.mart import Mart
from orchestration.bench.queries import by_view
from orchestration.bench.refresh_cost import is_table
from orchestration.bench.spec import DashboardQuery
from orchestration.bench.stats import summary
from orchestration.core.settings import ConnectionSettings


@dataclass
class _Read:
    started: float
    seconds: float
    query: str
    error: str | None = None


@dataclass
class Reader:
    """A dashboard reading one view in a loop on its own connection."""

    ctx: BenchContext
    view: str
    queries: list[tuple[str, str]]
    params: Mapping[str, Any]
    pause: float
    stop: threading.Event
    read_settings: ConnectionSettings | None = None
    reads: list[_Read] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)
    failure: str | None = None

    def _connect(self) -> Connection:
        conn = self.ctx.connect(autocommit=True, application_name=f"bench-reader-{self.view}"[:63],
                                settings=self.read_settings or self.ctx.read_settings)
        with conn.cursor() as cur:
            cur.execute("set statement_timeout = '15min'")
        return conn

    def run(self) -> None:
        try:
            conn = self._connect()
            with conn.cursor() as cur:  # warm the connection's caches; not counted
                for _, sql in self.queries:
                    cur.execute(sql, self.params)
                    cur.fetchall()
        except Exception as error:
            self.failure = str(error).strip()
            self.ready.set()
            return
        self.ready.set()
        turn = 0
        while not self.stop.is_set():
            name, sql = self.queries[turn % len(self.queries)]
            turn += 1
            started = time.perf_counter()
            try:
                with conn.cursor() as cur:
                    cur.execute(sql, self.params)
                    cur.fetchall()
                self.reads.append(_Read(started, time.perf_counter() - started, name))
            except psycopg2.Error as error:
                message = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
                self.reads.append(_Read(started, time.perf_counter() - started, name, message))
                if conn.closed:
                    try:
                        conn = self._connect()
                    except psycopg2.Error:
                        time.sleep(0.1)
            if self.pause:
                self.stop.wait(self.pause)
        conn.close()


def _view_result(reader: Reader, window: tuple[float, float]) -> dict[str, Any]:
    start, end = window
    inside = [r for r in reader.reads if start <= r.started <= end]
    ok = [r.seconds for r in inside if r.error is None]
    errors = [r for r in inside if r.error is not None]
    slowest = sorted(inside, key=lambda r: r.seconds, reverse=True)[:5]
    return {
        "reads": len(inside),
        "errors": len(errors),
        "error_samples": sorted({r.error for r in errors if r.error})[:5],
        "latency_ms": summary(ok, scale=1000.0, digits=2),
        "slowest": [{"query": r.query, "ms": round(r.seconds * 1000, 2),
                     "at_seconds": round(r.started - start, 2),
                     **({"error": r.error} if r.error else {})} for r in slowest],
        "reader_failure": reader.failure,
    }


def run_with_readers(
    ctx: BenchContext,
    mart: Mart,
    queries: list[DashboardQuery],
    params: Mapping[str, Any],
    pause: float,
    refresh: Callable[[], dict[str, Any]],
    *,
    read_settings: ConnectionSettings | None = None,
) -> dict[str, Any]:
    """Readers on every view (on `read_settings`, else where the bench's readers read) while
    `refresh` runs; its outcome with the reads of each view."""
    stop = threading.Event()
    grouped = by_view(queries)
    readers = [Reader(ctx, view.name, [(q.name, q.on_view(mart)) for q in grouped.get(view.name, [])],
                      params, pause, stop, read_settings)
               for view in mart.views if grouped.get(view.name)]
    threads = [threading.Thread(target=r.run, name=f"reader-{r.view}", daemon=True) for r in readers]
    for thread in threads:
        thread.start()
    for reader in readers:
        reader.ready.wait(timeout=120)
    time.sleep(0.2)
    origin = ctx.scalar("select clock_timestamp()")
    start = time.perf_counter()
    try:
        outcome = refresh()
    finally:
        end = time.perf_counter()
        time.sleep(0.3)
        stop.set()
        for thread in threads:
            thread.join(timeout=600)
    views = {r.view: _view_result(r, (start, end)) for r in readers}
    if outcome.get("refresh_log"):
        # When each view was refreshed, on the same clock as the reads' at_seconds.
        outcome["refresh_log"] = refresh_log.with_offsets(outcome["refresh_log"], origin)
    return {
        **outcome,
        "refresh_wall_seconds": round(end - start, 3),
        "reader_pause_ms": round(pause * 1000, 1),
        "views": views,
        "total_reads": sum(v["reads"] for v in views.values()),
        "total_errors": sum(v["errors"] for v in views.values()),
        "max_latency_ms": max((v["latency_ms"].get("max", 0.0) for v in views.values()), default=None),
    }


def measure_concurrent(ctx: BenchContext, mart: Mart, queries: list[DashboardQuery],
                       params: Mapping[str, Any], pause: float) -> dict[str, Any]:
    ctx.say(f"availability: readers on every view during `dbt run -s {mart.selector()}`")

    def refresh() -> dict[str, Any]:
        # Views that skip unchanged refreshes refresh: their sources are touched first.
        touched = sources.touch(ctx, mart)
        first = refresh_log.max_id(ctx, mart)
        run = ctx.dbt(["run", "-s", mart.selector()])
        log = refresh_log.rows_since(ctx, mart, first)
        return {
            "how": f"dbt run -s {mart.selector()} (the materialized_view materialization)",
            **({"sources_touched": touched} if touched else {}),
            "dbt_seconds": round(run.seconds, 3),
            "refresh_log": log,
            "actions": sorted({str(row["action"]) for row in log}),
            "sql_seconds": refresh_log.sql_seconds(log),
        }

    result = run_with_readers(ctx, mart, queries, params, pause, refresh)
    ctx.say(f"  concurrent: {result['total_reads']} reads, {result['total_errors']} errors, "
            f"max {result['max_latency_ms']} ms")
    return result


def measure_plain(ctx: BenchContext, mart: Mart, queries: list[DashboardQuery],
                  params: Mapping[str, Any], pause: float) -> dict[str, Any]:
    ctx.say("availability: readers on every view during plain REFRESH of each view (DAG order)")

    def refresh() -> dict[str, Any]:
        return plain_refresh(ctx, mart)

    result = run_with_readers(ctx, mart, queries, params, pause, refresh)
    ctx.say(f"  plain: {result['total_reads']} reads, {result['total_errors']} errors, "
            f"max {result['max_latency_ms']} ms")
    return result


def plain_refresh(ctx: BenchContext, mart: Mart) -> dict[str, Any]:
    """A plain REFRESH of each view in DAG order, as dbt-postgres's built-in materialization."""
    seconds: dict[str, float] = {}
    spans: dict[str, list[float]] = {}
    tables: list[str] = []
    origin = time.perf_counter()
    conn = ctx.connect(autocommit=True, application_name="analytics-bench-plain-refresh")
    try:
        with conn.cursor() as cur:
            for view in mart.views:
                if is_table(cur, view):
                    tables.append(view.name)
                    continue
                started = time.perf_counter()
                cur.execute(f"refresh materialized view {view.qualified}")
                seconds[view.name] = round(time.perf_counter() - started, 4)
                spans[view.name] = [round(started - origin, 3),
                                    round(time.perf_counter() - origin, 3)]
    finally:
        conn.close()
    return {"how": "REFRESH MATERIALIZED VIEW of each view in DAG order (dbt-postgres built-in)",
            "refresh_seconds": seconds, "refresh_spans_seconds": spans,
            "sql_seconds": round(sum(seconds.values()), 3),
            **({"not_refreshed": tables,
                "not_refreshed_why": "incremental tables: no REFRESH"} if tables else {})}


def measure(ctx: BenchContext, mart: Mart, queries: list[DashboardQuery], params: Mapping[str, Any],
            *, pause: float = 0.02) -> dict[str, Any]:
    return {
        "concurrent": measure_concurrent(ctx, mart, queries, params, pause),
        "plain": measure_plain(ctx, mart, queries, params, pause),
    }
