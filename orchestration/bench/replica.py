"""Dashboards on a streaming replica while the primary refreshes the whole mart.

Runs only when there is a replica: `ANALYTICS_READ_DATABASE_URL`, or the embedded one
(`analytics db replica start`); otherwise the section says so and measures nothing. The
dashboard readers of `availability` (one per view, each view's queries in a loop) read the
replica, and one more reader reads views whole (every row serialised, as an analyst's export:
the kind of long read that a replayed ACCESS EXCLUSIVE lock must wait for). On the primary, per
strategy:

* `as_configured`: `dbt run` of the mart as scheduled: each view by its own `refresh_strategy`
  (concurrently, swap, incremental), after new data where the simulator can add an hour and a
  row-less write to the sources of views that skip unchanged runs;
* `swap_every_view`: `dbt run --full-refresh`: every view built anew and swapped in;
* `plain_refresh`: `REFRESH MATERIALIZED VIEW` of each view (dbt-postgres's built-in
  materialization), the ACCESS EXCLUSIVE lock held for the whole refresh.

Per run: the readers' reads, errors and latency (`availability.run_with_readers`), the
exporter's, the replica's lag sampled every 100 ms (the age of the newest data it shows, and
bytes behind, over time; see `LagSampler`), the recovery conflicts the replica counted and the WAL written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg2

from orchestration.bench import availability, refresh_log, sources
from orchestration.bench.context import BenchContext
from orchestration.bench.mart import Mart
from orchestration.bench.spec import DashboardQuery
from orchestration.bench.stats import summary
from orchestration.core import database, replica
from orchestration.core.marts import MartPlugin
from orchestration.core.settings import ConnectionSettings

SAMPLE_SECONDS = 0.1
CONFLICT_COLUMNS = ("confl_tablespace", "confl_lock", "confl_snapshot", "confl_bufferpin",
                    "confl_deadlock", "confl_active_logicalslot")


def replica_settings(ctx: BenchContext) -> ConnectionSettings | None:
    """The replica the readers use: ANALYTICS_READ_DATABASE_URL, else a running embedded one."""
    if ctx.read_settings is not None:
        return ctx.read_settings
    return replica.settings() if ctx.settings.embedded else None


HEARTBEAT = "public.analytics_bench_heartbeat"


@dataclass
class LagSampler:
    """How stale the replica is, every SAMPLE_SECONDS: a heartbeat row the primary stamps with
    its clock and commits (synchronous_commit on, so it is flushed and sent at once), read back
    on the replica. The lag of a sample is the age of the newest stamp the replica shows: how
    old the newest data a dashboard can see there is. Also the WAL the primary has flushed and
    the replica not yet replayed (bytes).

    Neither `pg_stat_replication.replay_lag` nor a comparison of WAL positions is used: the
    first keeps growing while the primary writes no WAL at all (a long sort before a view's
    first row), the second counts a record only partly flushed (the last page of a long
    transaction) as lag although nothing committed is missing.
    """

    ctx: BenchContext
    replica: ConnectionSettings
    stop: threading.Event = field(default_factory=threading.Event)
    samples: list[tuple[float, float, int]] = field(default_factory=list)
    failure: str | None = None

    def prepare(self) -> None:
        """The heartbeat table, stamped once (call before waiting for the replica's replay)."""
        with self.ctx.cursor() as cur:
            cur.execute(f"create table if not exists {HEARTBEAT} (id int primary key,"
                        " at timestamptz not null)")
            self._stamp(cur)

    @staticmethod
    def _stamp(cur: Any) -> None:
        cur.execute(f"insert into {HEARTBEAT} values (1, clock_timestamp())"
                    " on conflict (id) do update set at = excluded.at")

    def run(self) -> None:
        primary = self.ctx.connect(application_name="bench-replay-lag")
        standby = self.ctx.connect(application_name="bench-replay-lag", settings=self.replica)
        started = time.perf_counter()
        try:
            self._sample(primary, standby, started)
        except psycopg2.Error as error:
            self.failure = str(error).strip()
        finally:
            primary.close()
            standby.close()

    def _sample(self, primary: Any, standby: Any, started: float) -> None:
        with primary.cursor() as on_primary, standby.cursor() as on_replica:
            on_primary.execute("set synchronous_commit = on")
            while not self.stop.is_set():
                self._stamp(on_primary)
                on_primary.execute(
                    "select pg_wal_lsn_diff(pg_current_wal_flush_lsn(), '0/0')::bigint")
                flushed = int(on_primary.fetchone()[0])  # type: ignore[index]
                on_replica.execute(
                    f"select extract(epoch from clock_timestamp() - at)::float8,"
                    f" pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint"
                    f" from {HEARTBEAT} where id = 1")
                age, replayed = on_replica.fetchone()  # type: ignore[misc]
                self.samples.append((time.perf_counter() - started, max(float(age), 0.0),
                                     max(flushed - int(replayed), 0)))
                self.stop.wait(SAMPLE_SECONDS)

    def result(self) -> dict[str, Any]:
        seconds = [lag for _, lag, _ in self.samples]
        # One point a second for the JSON: the worst sample of each second.
        series: dict[int, tuple[float, int]] = {}
        for at, lag, behind in self.samples:
            worst = series.get(int(at), (0.0, 0))
            series[int(at)] = (max(worst[0], lag), max(worst[1], behind))
        return {
            "samples": len(self.samples),
            "max_seconds": round(max(seconds, default=0.0), 3),
            "p99_seconds": summary(seconds, digits=3).get("p99"),
            "max_bytes_behind": max((b for _, _, b in self.samples), default=0),
            **({"failure": self.failure} if self.failure else {}),
            "per_second": [[second, round(lag, 3), b] for second, (lag, b) in sorted(series.items())],
            "how": f"per sample: the age of the newest heartbeat ({HEARTBEAT}, stamped and "
                   "committed on the primary every 0.1 s) the replica shows",
        }


@dataclass
class Exporter:
    """An analyst exporting views whole on the replica, one after the other, in a loop."""

    settings: ConnectionSettings
    relations: list[str]
    stop: threading.Event
    reads: list[tuple[float, float, str, str | None]] = field(default_factory=list)

    def run(self) -> None:
        conn = psycopg2.connect(**self.settings.connect_kwargs(), connect_timeout=10,
                                application_name="bench-replica-export")
        conn.autocommit = True
        turn = 0
        try:
            while not self.stop.is_set():
                relation = self.relations[turn % len(self.relations)]
                turn += 1
                started = time.perf_counter()
                try:
                    with conn.cursor() as cur:
                        # Every row serialised, as an export would, but on the server: rows
                        # fetched into Python would hold the GIL the readers' timers share.
                        cur.execute(f"select count(*), sum(length(t::text)) from {relation} as t")
                        cur.fetchall()
                    self.reads.append((started, time.perf_counter() - started, relation, None))
                except psycopg2.Error as error:
                    message = (str(error).strip().splitlines() or [repr(error)])[0]
                    self.reads.append((started, time.perf_counter() - started, relation, message))
                    if conn.closed:
                        conn = psycopg2.connect(**self.settings.connect_kwargs(),
                                                connect_timeout=10)
                        conn.autocommit = True
        finally:
            conn.close()

    def result(self, window: tuple[float, float]) -> dict[str, Any]:
        inside = [r for r in self.reads if window[0] <= r[0] + r[1] and r[0] <= window[1]]
        errors = [r for r in inside if r[3] is not None]
        return {"exports": len(inside), "errors": len(errors),
                "error_samples": sorted({r[3] for r in errors if r[3]})[:3],
                "seconds": summary([r[1] for r in inside if r[3] is None], digits=3)}


def _conflicts(settings: ConnectionSettings) -> dict[str, int]:
    with database.connect(settings, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"select {', '.join(CONFLICT_COLUMNS)} from pg_stat_database_conflicts"
                    " where datname = current_database()")
        row = cur.fetchone()
    return dict(zip(CONFLICT_COLUMNS, (int(v or 0) for v in row or ()), strict=False))


def _standby_settings(settings: ConnectionSettings) -> dict[str, str]:
    with database.connect(settings, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("select name, setting || coalesce(unit, '') from pg_settings"
                    " where name in ('hot_standby_feedback', 'max_standby_streaming_delay')")
        return {name: value for name, value in cur.fetchall()}


def _run(ctx: BenchContext, mart: Mart, readers_on: ConnectionSettings,
         queries: list[DashboardQuery], params: Mapping[str, Any], pause: float,
         refresh: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """One refresh on the primary with readers, an exporter and the lag sampler on the replica."""
    sampler = LagSampler(ctx, readers_on)
    sampler.prepare()
    replica.wait_for_replay(ctx.settings, readers_on)
    stop = threading.Event()
    exporter = Exporter(readers_on, [view.qualified for view in mart.views], stop)
    threads = [threading.Thread(target=sampler.run, daemon=True),
               threading.Thread(target=exporter.run, daemon=True)]
    conflicts_before = _conflicts(readers_on)
    wal_before = ctx.scalar("select pg_current_wal_lsn()::text")
    for thread in threads:
        thread.start()
    window: list[float] = []

    def timed_refresh() -> dict[str, Any]:
        window.append(time.perf_counter())
        try:
            return refresh()
        finally:
            window.append(time.perf_counter())

    try:
        result = availability.run_with_readers(ctx, mart, queries, params, pause, timed_refresh,
                                               read_settings=readers_on)
        result["catch_up_seconds"] = round(replica.wait_for_replay(ctx.settings, readers_on), 3)
    finally:
        stop.set()
        sampler.stop.set()
        for thread in threads:
            thread.join(timeout=600)
    conflicts_after = _conflicts(readers_on)
    result["wal_bytes"] = int(ctx.scalar("select pg_wal_lsn_diff(pg_current_wal_lsn(), %s)",
                                         (wal_before,)))
    result["replay_lag"] = sampler.result()
    result["export"] = exporter.result((window[0], window[-1]))
    result["recovery_conflicts"] = {k: conflicts_after[k] - conflicts_before.get(k, 0)
                                    for k in conflicts_after}
    return result


def _as_configured(ctx: BenchContext, plugin: MartPlugin, mart: Mart,
                   advance: str | None) -> Callable[[], dict[str, Any]]:
    def refresh() -> dict[str, Any]:
        if advance:
            from orchestration.demo_data.marts import advance_mart
            advance_mart(ctx.settings, plugin.name, advance)
        touched = sources.touch(ctx, mart)
        first = refresh_log.max_id(ctx, mart)
        run = ctx.dbt(["run", "-s", mart.selector()])
        log = refresh_log.rows_since(ctx, mart, first)
        return {"how": f"dbt run -s {mart.selector()} (each view's own refresh_strategy)"
                       + (f", after `demo-data --advance {advance}`" if advance else ""),
                **({"sources_touched": touched} if touched else {}),
                "dbt_seconds": round(run.seconds, 3),
                "actions": sorted({str(row["action"]) for row in log}),
                "sql_seconds": refresh_log.sql_seconds(log)}
    return refresh


def _swap_every_view(ctx: BenchContext, mart: Mart) -> Callable[[], dict[str, Any]]:
    def refresh() -> dict[str, Any]:
        first = refresh_log.max_id(ctx, mart)
        run = ctx.dbt(["run", "-s", mart.selector(), "--full-refresh"])
        log = refresh_log.rows_since(ctx, mart, first)
        return {"how": f"dbt run -s {mart.selector()} --full-refresh (every view built anew "
                       "and swapped in)",
                "dbt_seconds": round(run.seconds, 3),
                "actions": sorted({str(row["action"]) for row in log}),
                "sql_seconds": refresh_log.sql_seconds(log)}
    return refresh


def measure(ctx: BenchContext, plugin: MartPlugin, mart: Mart, queries: list[DashboardQuery],
            params: Mapping[str, Any], *, pause: float = 0.02, advance: str | None = None,
            strategies: tuple[str, ...] = ("as_configured", "swap_every_view", "plain_refresh"),
            ) -> dict[str, Any]:
    readers_on = replica_settings(ctx)
    if readers_on is None:
        return {"skipped": "no replica: start one with `analytics db replica start` or name one "
                           "in ANALYTICS_READ_DATABASE_URL"}
    runs: dict[str, Callable[[], dict[str, Any]]] = {
        "as_configured": _as_configured(ctx, plugin, mart, advance),
        "swap_every_view": _swap_every_view(ctx, mart),
        "plain_refresh": lambda: availability.plain_refresh(ctx, mart),
    }
    results: dict[str, Any] = {"replica": readers_on.masked_url(),
                               "standby_settings": _standby_settings(readers_on)}
    try:
        for name in strategies:
            ctx.say(f"replica: readers on the replica during {name}")
            results[name] = _run(ctx, mart, readers_on, queries, params, pause, runs[name])
            _say(ctx, name, results[name])
    finally:
        with ctx.cursor() as cur:
            cur.execute(f"drop table if exists {HEARTBEAT}")
    return results


def _say(ctx: BenchContext, name: str, run: Mapping[str, Any]) -> None:
    ctx.say(f"  {name}: {run['total_reads']} reads, {run['total_errors']} errors, max "
            f"{run['max_latency_ms']} ms; exports {run['export']['exports']} "
            f"({run['export']['errors']} errors); replica lag max "
            f"{run['replay_lag']['max_seconds']} s; conflicts "
            f"{sum(run['recovery_conflicts'].values())}")
