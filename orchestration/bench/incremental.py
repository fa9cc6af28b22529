"""The chain of one cadence with an incremental model in it: its cost after new data against a
full refresh of the same chain, measured side by side in one run.

A mart whose plug-in sets `BenchSpec.incremental` (an `IncrementalSpec`) and whose chain (the
views of that cadence, e.g. hourly) holds a `refresh_strategy='incremental'` model gets this
section. Every run's clock is pinned with the setting `analytics.as_of` (PGOPTIONS for dbt, a
session setting for SQL), which windows and the materialization's log consumption read, so
runs stand where the data does, whenever the data was loaded:

* `full`: at the data's end (clock0), what the chain costs without the strategy:
  * `computed` (the denominators of the targets): each chain model's SQL computed in full
    with its indexes, as a rebuild builds it (`CREATE TABLE AS` for the incremental model,
    `CREATE MATERIALIZED VIEW ... WITH DATA` for the others; then its indexes, ANALYZE and
    count; rolled back), one model after the other;
  * `dbt`: `dbt run -s <chain> --full-refresh` through the materialization, readers on every
    view: the incremental model rebuilt (build, copies of every view on it, swap), the others
    rebuilt or swapped as configured. It also leaves every relation built at clock0, so the
    steps below start from a known state.
* three steps, each followed by `dbt run -s <chain>` (as `analytics refresh --cadence` runs it),
  readers on every view during the run (the availability section's machinery):
  * `new_hour`: the simulator appends the next hour (`analytics demo-data --advance 1h`: new
    crawls, late ones included, committed as any write is); the clock moves to the new end;
  * `late_batch`: the plug-in writes a batch of source rows dated a week back (the clock stays);
  * `midnight`: no new data; the clock moves past the next UTC midnight (by
    `IncrementalSpec.after_midnight`): the days that left the window are dropped.
  Per step, from the refresh log: each chain model's action and seconds (an incremental one's
  slices, rows deleted and inserted), the incremental model's step against its full
  computation (`step_vs_full`), the chain's sum against the full chain's (`chain_vs_full`);
  the readers' errors and maximum latency; the views on the incremental table (transitively)
  keep their OIDs and still return rows (`dependants_intact`); and the proof:
  `<meta>.mv_incremental_differences(table)` (a full recomputation at the run's clock,
  EXCEPT ALL both ways) returns 0 rows missing and 0 extra.

The chain's other views (materialized views) are rebuilt whole each run whatever changed;
their share of a step (`others_seconds`) bounds what the chain can reach
(`best_chain_vs_full`: the chain's ratio were the incremental step free).

The section appends to the mart's sources (an hour, a late batch) and leaves the chain built at
the last pinned clock, past the data's end: run it last.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestration.bench import availability, data, machine, refresh_log
from orchestration.bench.context import BenchContext, BenchError
from orchestration.bench.mart import Mart, View
from orchestration.bench.refresh_cost import index_definitions, rebuild_round
from orchestration.bench.spec import DashboardQuery, IncrementalSpec
from orchestration.bench.stats import ratio
from orchestration.core.marts import MartPlugin

# The setting that pins the refresh clock of the views and of the materialization's log.
CLOCK_SETTING = "analytics.as_of"
STEPS = ("new_hour", "late_batch", "midnight")
# The refresh log's note on a view recreated because a view it reads was rebuilt or swapped.
RECREATED = "dependant recreated on the rebuilt "

_DEPENDANTS = """
    with recursive dependants(oid) as (
        select r.ev_class
        from pg_depend d
        join pg_rewrite r on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
        where d.refclassid = 'pg_class'::regclass and d.refobjid = %(table)s::regclass
          and r.ev_class <> d.refobjid
        union
        select r.ev_class
        from dependants t
        join pg_depend d on d.refclassid = 'pg_class'::regclass and d.refobjid = t.oid
        join pg_rewrite r on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
        where r.ev_class <> d.refobjid
    )
    select format('%%I.%%I', n.nspname, c.relname), c.oid::bigint, c.relkind
    from dependants t
    join pg_class c on c.oid = t.oid
    join pg_namespace n on n.oid = c.relnamespace
    order by 1
"""


def chain_of(mart: Mart, cadence: str) -> list[View]:
    """The views of the cadence, in DAG order."""
    return [v for v in mart.views if v.cadence == cadence]


def clock_text(clock: datetime) -> str:
    return clock.astimezone(UTC).isoformat()


def clock_env(clock: datetime) -> dict[str, str]:
    """dbt's environment with the clock pinned (added to any PGOPTIONS already set)."""
    options = os.environ.get("PGOPTIONS", "").strip()
    return {"PGOPTIONS": f"{options} -c {CLOCK_SETTING}={clock_text(clock)}".strip()}


def next_midnight(clock: datetime, after: timedelta) -> datetime:
    """The next UTC midnight after `clock`, plus `after`."""
    utc = clock.astimezone(UTC)
    return datetime.combine(utc.date() + timedelta(days=1), datetime.min.time(), UTC) + after


def data_end(ctx: BenchContext, plugin: MartPlugin) -> datetime:
    """Where the mart's simulated data ends (the crawler's clock); now when not recorded."""
    ends = data.loaded(ctx, plugin).ends_at
    return ends if ends is not None else datetime.now(UTC).replace(microsecond=0)


def dependants(ctx: BenchContext, table: View) -> dict[str, dict[str, Any]]:
    """The views reading the table, directly or through other views: OID, kind, has rows."""
    found: dict[str, dict[str, Any]] = {}
    with ctx.cursor() as cur:
        cur.execute(_DEPENDANTS, {"table": table.regclass})
        for name, oid, kind in cur.fetchall():
            found[str(name)] = {"oid": int(oid), "relkind": str(kind)}
        for name, figures in found.items():
            cur.execute(f"select exists (select 1 from {name})")
            row = cur.fetchone()
            figures["has_rows"] = bool(row and row[0])
    return found


def relation_oid(ctx: BenchContext, view: View) -> int | None:
    oid = ctx.scalar("select to_regclass(%s)::oid::bigint", (view.regclass,))
    return int(oid) if oid is not None else None


def renewed_by_the_chain(run: Mapping[str, Any], chain: list[View], table: View) -> set[str]:
    """The relations (schema.name) a chain run gave new OIDs on purpose: the chain's views
    refreshed by build-and-swap, and the views recreated as their dependants (not as the
    incremental table's: its run must recreate nothing)."""
    regclass = {v.name: v.regclass for v in chain}
    renewed = {regclass[n] for n, v in run["views"].items()
               if v["action"] in ("refresh_swap", "rebuild")}
    for row in run["other_rows"]:
        note = str(row.get("note") or "")
        if note.startswith(RECREATED) and note[len(RECREATED):] != table.name:
            renewed.add(regclass.get(row["model"], row["model"]))
    return renewed


def intact(before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]],
           renewed: set[str]) -> dict[str, Any]:
    """The dependants after a step against before it: same names, same OIDs (except those
    the chain renewed by its own swaps), rows."""
    changed = sorted(n for n in before if n not in after or after[n]["oid"] != before[n]["oid"])
    unexpected = [n for n in changed if n not in renewed]
    appeared = sorted(n for n in after if n not in before)
    empty = sorted(n for n, f in after.items() if not f["has_rows"])
    return {"ok": not (unexpected or appeared or empty) and bool(after), "views": len(after),
            "kept": sorted(n for n in before if n not in changed),
            "renewed_by_own_swap": sorted(n for n in changed if n in renewed),
            "oid_changed": unexpected, "appeared": appeared, "empty": empty}


def proof(ctx: BenchContext, mart: Mart, table: View) -> dict[str, Any]:
    """`mv_incremental_differences`: a full recomputation at the last run's clock against the
    table (rows missing, rows extra, keys left out as not consumed yet)."""
    started = time.perf_counter()
    with ctx.cursor() as cur:
        cur.execute("set statement_timeout = '30min'")
        cur.execute(f"select rows_missing, rows_extra, pending_keys from"
                    f" {mart.meta_schema}.mv_incremental_differences(%s::regclass)",
                    (table.regclass,))
        row = cur.fetchone()
    missing, extra, pending = row if row else (None, None, None)
    return {"rows_missing": missing, "rows_extra": extra, "pending_keys": pending,
            "same": missing == 0 and extra == 0,
            "seconds": round(time.perf_counter() - started, 3)}


def run_clock(ctx: BenchContext, mart: Mart, table: View) -> str | None:
    """The clock the materialization recorded for the table's last run (mv_state.as_of)."""
    value = ctx.scalar(f"select as_of from {mart.meta_schema}.mv_state"
                       " where schema_name = %s and relation_name = %s",
                       (table.schema, table.identifier))
    return clock_text(value) if value is not None else None


def computed_in_full(ctx: BenchContext, chain: list[View], clock: datetime) -> dict[str, Any]:
    """Each chain model's SQL built in full with its indexes at `clock`, rolled back."""
    per_view: dict[str, Any] = {}
    conn = ctx.connect(autocommit=True, application_name="analytics-bench-incremental-full")
    try:
        with conn.cursor() as cur:
            cur.execute("set statement_timeout = '30min'")
            cur.execute("select set_config(%s, %s, false)", (CLOCK_SETTING, clock_text(clock)))
            for view in chain:
                built = rebuild_round(cur, view, index_definitions(cur, view),
                                      table=view.incremental)
                per_view[view.name] = {
                    "seconds": round(built["total"], 4),
                    "create_seconds": round(built["create"], 4),
                    "indexes_seconds": round(built["indexes"], 4),
                    "as": "create table as" if view.incremental else "create materialized view",
                }
    finally:
        conn.close()
    return {"views": per_view,
            "chain_seconds": round(sum(v["seconds"] for v in per_view.values()), 4)}


def _logged(rows: list[dict[str, Any]], chain: list[View]) -> dict[str, Any]:
    """Per chain model, the refresh log row of its own run (a view recreated as a dependant of
    another's rebuild has a row of its own, noted so); the other rows."""
    names = {v.name for v in chain}
    steps: dict[str, Any] = {}
    others: list[dict[str, Any]] = []
    for row in rows:
        recreated = str(row.get("note") or "").startswith(RECREATED)
        if row["model"] in names and row["model"] not in steps and not recreated:
            steps[row["model"]] = {
                "action": row["action"], "status": row["status"],
                "seconds": row["duration_seconds"], "rows_after": row["rows_after"],
                **{k: row[k] for k in ("slices", "rows_deleted", "rows_inserted", "note", "error")
                   if row.get(k) is not None},
            }
        else:
            others.append({"model": row["model"], "action": row["action"],
                           "note": row.get("note")})
    return {"views": steps, "other_rows": others}


def chain_run(ctx: BenchContext, mart: Mart, chain: list[View], queries: list[DashboardQuery],
              params: Mapping[str, Any], pause: float, clock: datetime, *,
              full_refresh: bool = False) -> dict[str, Any]:
    """`dbt run -s <chain>` at `clock` with readers on every view; the refresh log's figures."""
    args = ["run", "-s", *(v.name for v in chain), *(["--full-refresh"] if full_refresh else [])]

    def refresh() -> dict[str, Any]:
        first = refresh_log.max_id(ctx, mart)
        run = ctx.dbt(args, env=clock_env(clock))
        log = refresh_log.rows_since(ctx, mart, first)
        return {"command": f"dbt {' '.join(args)}", "clock": clock_text(clock),
                "dbt_seconds": round(run.seconds, 3), "refresh_log": log}

    result = availability.run_with_readers(ctx, mart, queries, params, pause, refresh)
    logged = _logged(result["refresh_log"], chain)
    missing = [v.name for v in chain if v.name not in logged["views"]]
    if missing:
        raise BenchError(f"`{result['command']}` logged no run of {', '.join(missing)}")
    return {
        "command": result["command"],
        "clock": result["clock"],
        "dbt_seconds": result["dbt_seconds"],
        "views": logged["views"],
        "other_rows": logged["other_rows"],
        "chain_seconds": round(sum(v["seconds"] or 0.0 for v in logged["views"].values()), 4),
        "span_seconds": refresh_log.span_seconds(
            [r for r in result["refresh_log"] if r["model"] in {v.name for v in chain}]),
        "readers": {
            "reads": result["total_reads"], "errors": result["total_errors"],
            "max_latency_ms": result["max_latency_ms"], "reader_pause_ms": result["reader_pause_ms"],
            "views": {n: {"reads": v["reads"], "errors": v["errors"],
                          "max_ms": v["latency_ms"].get("max"), "p99_ms": v["latency_ms"].get("p99"),
                          "error_samples": v["error_samples"], "slowest": v["slowest"][:2]}
                      for n, v in result["views"].items()},
        },
        "load_average": machine.load_average(),
    }


def readers_baseline(ctx: BenchContext, mart: Mart, queries: list[DashboardQuery],
                     params: Mapping[str, Any], pause: float, seconds: float) -> dict[str, Any]:
    """The same readers for `seconds` with no refresh at all: the machine's own latency (a
    busy machine's scheduling delays), the control for the runs' maxima."""
    result = availability.run_with_readers(ctx, mart, queries, params, pause,
                                           lambda: time.sleep(seconds) or {})
    return {"seconds": seconds, "reads": result["total_reads"], "errors": result["total_errors"],
            "max_latency_ms": result["max_latency_ms"],
            "p99_ms": {n: v["latency_ms"].get("p99") for n, v in result["views"].items()},
            "max_ms": {n: v["latency_ms"].get("max") for n, v in result["views"].items()},
            "load_average": machine.load_average()}


def _step_figures(run: dict[str, Any], chain: list[View], full: dict[str, Any]) -> None:
    """The step's ratios against the full chain (computed in full, and the dbt full refresh)."""
    computed = full["computed"]
    incremental = [v.name for v in chain if v.incremental]
    step = sum(run["views"][n]["seconds"] or 0.0 for n in incremental)
    full_step = sum(computed["views"][n]["seconds"] for n in incremental)
    others = run["chain_seconds"] - step
    run["incremental_seconds"] = round(step, 4)
    run["others_seconds"] = round(others, 4)
    run["step_vs_full"] = ratio(step, full_step, digits=4)
    run["chain_vs_full"] = ratio(run["chain_seconds"], computed["chain_seconds"], digits=4)
    run["best_chain_vs_full"] = ratio(others, computed["chain_seconds"], digits=4)
    dbt_full = full.get("dbt")
    if dbt_full:
        run["step_vs_full_refresh_run"] = ratio(
            step, sum(dbt_full["views"][n]["seconds"] or 0.0 for n in incremental), digits=4)
        run["chain_vs_full_refresh_run"] = ratio(run["chain_seconds"], dbt_full["chain_seconds"],
                                                 digits=4)


def measure(ctx: BenchContext, plugin: MartPlugin, mart: Mart, spec: IncrementalSpec,
            queries: list[DashboardQuery], params: Mapping[str, Any], *,
            pause: float = 0.02, full_refresh_run: bool = True,
            baseline_seconds: float = 15.0, steps: tuple[str, ...] = STEPS) -> dict[str, Any]:
    """The section; `full_refresh_run`: also the chain's `dbt run --full-refresh` (the quick
    bench leaves it out: the computed full chain is the denominator either way); `steps`: which
    of STEPS to run (in that order; the quick bench leaves out midnight)."""
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        raise ValueError(f"unknown step(s) {', '.join(unknown)}; the steps are {', '.join(STEPS)}")
    from orchestration.demo_data.marts import advance_mart, can_advance

    chain = chain_of(mart, spec.cadence)
    tables = [v for v in chain if v.incremental]
    if not tables:
        raise BenchError(f"no view of the {spec.cadence} chain ({', '.join(v.name for v in chain)})"
                         " has refresh_strategy='incremental'")
    if not can_advance(plugin):
        raise BenchError(f"the {plugin.name} mart's simulator cannot advance: no new data to"
                         " measure an incremental run on")
    table = tables[0]
    # The data's end, or the table's last run if later: the clock only moves forward (a run
    # at an earlier clock than the last one is not what the strategy recomputes).
    last = run_clock(ctx, mart, table)
    clock0 = max([data_end(ctx, plugin)]
                 + ([datetime.fromisoformat(last)] if last else []))
    ctx.say(f"incremental: the {spec.cadence} chain {', '.join(v.name for v in chain)}; clock"
            f" pinned at {clock_text(clock0)} (the data's end, or the last run's clock if later)")

    ctx.say("  full: each model's SQL computed in full with its indexes (rolled back)")
    computed = computed_in_full(ctx, chain, clock0)
    ctx.say(f"    {computed['chain_seconds']:.3f} s: " + ", ".join(
        f"{n} {v['seconds']:.3f} s" for n, v in computed["views"].items()))
    full: dict[str, Any] = {
        "clock": clock_text(clock0), "computed": computed,
        "method": ("computed: each chain model's SQL at the clock, built with its indexes, "
                   "ANALYZE and count as a rebuild builds it, rolled back (CREATE TABLE AS "
                   "for the incremental model): the denominators of the targets; dbt: "
                   "`dbt run -s <chain> --full-refresh` through the materialization, whose "
                   "rebuild of the incremental model also copies every view on it")}
    if full_refresh_run:
        ctx.say("  full: dbt run -s <chain> --full-refresh (readers on every view)")
        dbt_full = chain_run(ctx, mart, chain, queries, params, pause, clock0,
                             full_refresh=True)
        ctx.say(f"    SQL {dbt_full['chain_seconds']:.3f} s (dbt {dbt_full['dbt_seconds']:.1f}"
                " s): " + ", ".join(f"{n} {v['action']} {v['seconds']} s"
                                    for n, v in dbt_full["views"].items()))
        full["dbt"] = dbt_full
    ctx.say(f"  readers alone for {baseline_seconds:g} s (no refresh): the machine's latency")
    baseline = readers_baseline(ctx, mart, queries, params, pause, baseline_seconds)
    ctx.say(f"    {baseline['reads']} reads, max {baseline['max_latency_ms']} ms")
    oid = relation_oid(ctx, table)
    before = dependants(ctx, table)
    result: dict[str, Any] = {
        "cadence": spec.cadence,
        "chain": [v.name for v in chain],
        "incremental_models": [v.name for v in tables],
        "table": table.name,
        "clock_setting": CLOCK_SETTING,
        "full": full,
        "readers_baseline": baseline,
        "dependants": {"views": before, "oids_after_full": {n: f["oid"] for n, f in before.items()}},
        "steps": {},
    }

    def step(name: str, clock: datetime, change: dict[str, Any]) -> None:
        ctx.say(f"  {name}: dbt run -s <chain> at {clock_text(clock)} (readers on every view)")
        run = chain_run(ctx, mart, chain, queries, params, pause, clock)
        run["change"] = change
        _step_figures(run, chain, full)
        run["run_clock"] = run_clock(ctx, mart, table)
        run["table_oid_kept"] = relation_oid(ctx, table) == oid
        run["dependants"] = intact(before, dependants(ctx, table),
                                   renewed_by_the_chain(run, chain, table))
        run["proof"] = proof(ctx, mart, table)
        result["steps"][name] = run
        own = run["views"][table.name]
        ctx.say(f"    {table.name} {own['action']} {own['seconds']} s ({own.get('slices')} slices,"
                f" -{own.get('rows_deleted')} +{own.get('rows_inserted')}): "
                f"{run['step_vs_full']}x its full computation; chain {run['chain_seconds']:.3f} s ="
                f" {run['chain_vs_full']}x; readers {run['readers']['errors']} errors, max"
                f" {run['readers']['max_latency_ms']} ms; dependants intact"
                f" {run['dependants']['ok']}; proof -{run['proof']['rows_missing']}"
                f" +{run['proof']['rows_extra']} ({run['proof']['seconds']} s)")

    clock = clock0
    if "new_hour" in steps:
        started = time.perf_counter()
        report = advance_mart(ctx.settings, plugin.name, spec.advance)
        clock = max(report.ends_at, clock0)
        step("new_hour", clock, {
            "what": f"`analytics demo-data --mart {plugin.name} --advance {spec.advance}`",
            "from": clock_text(report.advanced_from) if report.advanced_from else None,
            "to": clock_text(report.ends_at), "rows": report.rows,
            "seconds": round(time.perf_counter() - started, 2)})
    if "late_batch" in steps:
        with ctx.cursor(autocommit=False) as cur:
            written = spec.late_batch(cur, clock)
        step("late_batch", clock, {"what": "a late batch of source rows dated a week back",
                                   **written})
    if "midnight" in steps:
        clock = next_midnight(clock, spec.after_midnight)
        step("midnight", clock, {"what": f"no new data; the clock moved past midnight to"
                                         f" {clock_text(clock)}"})
    result["note"] = ("the sources now hold what the steps wrote; the chain was left built at"
                      f" {clock_text(clock)} (a later run at an earlier clock is not a full"
                      " recomputation: rebuild with --full-refresh)")
    return result
