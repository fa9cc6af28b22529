"""What refreshing each view costs, warm, against its floor.

Per view, `reps` rounds of (in this order, so every concurrent refresh starts from the fresh
heap a plain refresh leaves):

* floor: the defining query alone, no write: `EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON)` of the
  compiled SQL, its 'Execution Time';
* concurrent: what the materialization runs for `refresh_concurrently`, in one transaction:
  `REFRESH MATERIALIZED VIEW CONCURRENTLY` then the `count(*)` it logs as rows_after;
* plain: the same with a plain `REFRESH` (what dbt-postgres's built-in runs);
* rebuild: what a rebuild builds before its swap: `CREATE MATERIALIZED VIEW <name>__mv_bench
  ... WITH DATA`, each index of the live view, the count; rolled back, so nothing stays. The
  swap itself (drop, rename, dependants) is catalog work and not timed here.

What each index costs: its `CREATE INDEX` on the rebuild's fresh copy (`index_build`, per
index: seconds, share of the floor, size). A swap or rebuild pays every index's build in full;
a concurrent refresh pays index maintenance only for the rows its diff deletes and inserts
(`concurrent_breakdown`), so the build time is what an index adds to a refresh that rewrites
every row, and an upper bound otherwise.

The refresh a view gets in production is the one its `refresh_strategy` config names:
`concurrently` (the default) or `swap` (build a new copy and swap it in: the rebuild figure).
`configured` is that figure, per view. The whole mart is also refreshed `mart_runs` times
through the materialization (`dbt run -s marts.<mart>`, as configured). From its refresh log:
the sum of the views' durations, and the span from the first view's start to the last view's
end, which is the whole-mart refresh (dbt's threads refresh independent views side by side, so
the sum can exceed the span).

An incremental model (`refresh_strategy='incremental'`, a table: no REFRESH) has no concurrent
or plain figure: its rounds are the floor and the rebuild (`CREATE TABLE ... AS` its full
SQL, its indexes, the count, rolled back: its full recomputation), and its `configured`
figure is its own run through the materialization (`refresh_incremental`, from the whole-mart
runs' refresh log: with no new data it consumes nothing, so this is the run's fixed cost; the
`incremental` section measures it after new data). The totals of concurrent and plain leave
it out (`total.left_out`).

With `breakdown`, one more concurrent refresh per view runs with `pg_stat_statements.track =
all`, which records the statements Postgres runs inside REFRESH CONCURRENTLY: the duplicate
check, the diff (a full join of old and new rows), ANALYZE, DELETE and INSERT (index
maintenance included). What they leave of the total is the fill: the query writing the new
rows to a temporary table. With `explain`, the defining query's plan with buffers is kept.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from orchestration.bench import refresh_log, sources
from orchestration.bench.context import BenchContext, Cursor, timed_execute
from orchestration.bench.mart import Mart, View
from orchestration.bench.spec import quote_ident
from orchestration.bench.stats import median, ratio, summary

_INDEXDEF = re.compile(r"^CREATE (UNIQUE )?INDEX \S+ ON (?:ONLY )?\S+ (USING .*)$", re.DOTALL)
SCRATCH_SUFFIX = "__mv_bench"

_STEP_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("duplicate_check", re.compile(r"^\s*SELECT newdata\.\*.*EXISTS", re.DOTALL | re.IGNORECASE)),
    ("diff", re.compile(r"^\s*INSERT INTO pg_temp.*FULL JOIN", re.DOTALL | re.IGNORECASE)),
    ("analyze", re.compile(r"^\s*ANALYZE", re.IGNORECASE)),
    ("delete", re.compile(r"^\s*DELETE FROM", re.IGNORECASE)),
    ("insert", re.compile(r"^\s*INSERT INTO (?!pg_temp)", re.IGNORECASE)),
)


def execution_ms(cur: Cursor, sql: str) -> tuple[float, float]:
    """(execution, planning) milliseconds of `sql` run under EXPLAIN ANALYZE without timing."""
    cur.execute("explain (analyze, timing off, summary on, format json) " + sql)
    row = cur.fetchone()
    assert row is not None
    plan = row[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    top = plan[0]
    return float(top["Execution Time"]), float(top.get("Planning Time", 0.0))


def explain_buffers(cur: Cursor, sql: str) -> str:
    cur.execute("explain (analyze, buffers, format text) " + sql)
    return "\n".join(str(row[0]) for row in cur.fetchall())


def refresh_round(cur: Cursor, view: View, concurrently: bool) -> dict[str, float]:
    """One refresh as the materialization runs it: refresh and count in one transaction."""
    word = "concurrently " if concurrently else ""
    started = time.perf_counter()
    cur.execute("begin")
    refresh = timed_execute(cur, f"refresh materialized view {word}{view.qualified}")
    count = timed_execute(cur, f"select count(*) from {view.qualified}")
    commit = timed_execute(cur, "commit")
    return {"refresh": refresh, "count": count, "commit": commit,
            "total": time.perf_counter() - started}


def index_definitions(cur: Cursor, view: View) -> list[tuple[str, str]]:
    cur.execute("select i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)"
                " from pg_index i where i.indrelid = %s::regclass order by 1", (view.regclass,))
    return [(str(name), str(definition)) for name, definition in cur.fetchall()]


def index_sizes(cur: Cursor, view: View) -> dict[str, int]:
    """Bytes of each index of the view, by the name `index_definitions` gives it."""
    cur.execute("select i.indexrelid::regclass::text, pg_relation_size(i.indexrelid)"
                " from pg_index i where i.indrelid = %s::regclass", (view.regclass,))
    return {str(name): int(size) for name, size in cur.fetchall()}


def index_build(rebuild: list[dict[str, Any]], indexes: list[tuple[str, str]], floor: float,
                sizes: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Per index: its build on the rebuild's copy (median seconds), against the view's floor."""
    built = {}
    for name, definition in indexes:
        seconds = median([float(r["per_index"][name]) for r in rebuild])
        built[name] = {"seconds": round(seconds, 4), "vs_floor": ratio(seconds, floor, digits=3),
                       "bytes": sizes.get(name), "unique": definition.startswith("CREATE UNIQUE"),
                       "definition": definition}
    return built


def scratch_index_sql(definition: str, scratch: str) -> str:
    match = _INDEXDEF.match(definition)
    if match is None:
        raise ValueError(f"unexpected index definition: {definition}")
    return f"create {'unique ' if match.group(1) else ''}index on {scratch} {match.group(2)}"


def relation_kind(cur: Cursor, view: View) -> str:
    """The view's relkind in the database: 'm' (materialized view), 'r' (a table: an
    incremental model), '' when it does not exist."""
    cur.execute("select relkind from pg_class where oid = to_regclass(%s)", (view.regclass,))
    row = cur.fetchone()
    return str(row[0]) if row else ""


def is_table(cur: Cursor, view: View) -> bool:
    return relation_kind(cur, view) in ("r", "p")


def rebuild_round(cur: Cursor, view: View, indexes: list[tuple[str, str]], *,
                   table: bool = False) -> dict[str, Any]:
    """Build the view (a table when `table`) under a scratch name with its indexes and count
    it; roll back."""
    scratch = f"{quote_ident(view.schema)}.{quote_ident(view.identifier[:50] + SCRATCH_SUFFIX)}"
    create_sql = (f"create table {scratch} as\n{view.compiled_sql}" if table
                  else f"create materialized view {scratch} as\n{view.compiled_sql}\nwith data")
    started = time.perf_counter()
    cur.execute("begin")
    try:
        create = timed_execute(cur, create_sql)
        per_index = {name: timed_execute(cur, scratch_index_sql(definition, scratch))
                     for name, definition in indexes}
        count = timed_execute(cur, f"select count(*) from {scratch}")
    finally:
        cur.execute("rollback")
    return {"create": create, "indexes": sum(per_index.values()), "per_index": per_index,
            "count": count, "total": time.perf_counter() - started}


def _pgss_ready(cur: Cursor) -> str | None:
    """Set up pg_stat_statements for this session; None when ready, else why not."""
    try:
        cur.execute("create extension if not exists pg_stat_statements")
        cur.execute("set pg_stat_statements.track = 'all'")
        cur.execute("set pg_stat_statements.track_utility = on")
        cur.execute("select 1 from pg_stat_statements limit 1")
        cur.fetchall()
    except Exception as error:  # any failure only costs the breakdown
        if not cur.connection.autocommit:
            cur.connection.rollback()
        return f"pg_stat_statements unavailable: {str(error).strip().splitlines()[0]}"
    return None


def _pgss_snapshot(cur: Cursor) -> dict[tuple[int, bool], tuple[int, float, int, str]]:
    cur.execute("select queryid, toplevel, calls, total_exec_time, rows, query"
                " from pg_stat_statements where userid = current_user::regrole"
                " and dbid = (select oid from pg_database where datname = current_database())")
    return {(int(q or 0), bool(t)): (int(c), float(ms), int(r), str(text))
            for q, t, c, ms, r, text in cur.fetchall()}


def concurrent_breakdown(cur: Cursor, view: View) -> dict[str, Any]:
    """One concurrent refresh with the statements Postgres runs inside it timed."""
    before = _pgss_snapshot(cur)
    timing = refresh_round(cur, view, concurrently=True)
    after = _pgss_snapshot(cur)
    steps: dict[str, float] = {name: 0.0 for name, _ in _STEP_PATTERNS}
    steps["other"] = 0.0
    changed = {"rows_deleted": 0, "rows_inserted": 0}
    for key, (calls, ms, rows, text) in after.items():
        old_calls, old_ms, old_rows, _ = before.get(key, (0, 0.0, 0, ""))
        if key[1] or calls == old_calls:
            continue
        step = next((name for name, pattern in _STEP_PATTERNS if pattern.search(text)), "other")
        steps[step] += (ms - old_ms) / 1000.0
        if step == "delete":
            changed["rows_deleted"] += rows - old_rows
        elif step == "insert":
            changed["rows_inserted"] += rows - old_rows
    nested = sum(steps.values())
    return {
        "refresh_seconds": round(timing["refresh"], 4),
        "fill_seconds": round(max(timing["refresh"] - nested, 0.0), 4),
        **{f"{name}_seconds": round(value, 4) for name, value in steps.items()},
        "count_seconds": round(timing["count"], 4),
        **changed,
    }


def _seconds(rounds: list[dict[str, Any]], key: str) -> list[float]:
    return [float(r[key]) for r in rounds]


def measure_view(cur: Cursor, view: View, reps: int, *, breakdown: bool, explain: bool,
                 log: Callable[[str], None]) -> dict[str, Any]:
    indexes = index_definitions(cur, view)
    table = is_table(cur, view)
    if not table:
        refresh_round(cur, view, concurrently=True)  # warm-up
    floors: list[float] = []
    planning: list[float] = []
    concurrent: list[dict[str, float]] = []
    plain: list[dict[str, float]] = []
    rebuild: list[dict[str, Any]] = []
    for _ in range(reps):
        execution, plan = execution_ms(cur, view.compiled_sql)
        floors.append(execution / 1000.0)
        planning.append(plan / 1000.0)
        if not table:
            concurrent.append(refresh_round(cur, view, concurrently=True))
            plain.append(refresh_round(cur, view, concurrently=False))
        rebuild.append(rebuild_round(cur, view, indexes, table=table))
    cur.execute(f"select (select count(*) from {view.qualified}),"
                " pg_total_relation_size(%s::regclass), pg_relation_size(%s::regclass)",
                (view.regclass, view.regclass))
    counted = cur.fetchone()
    assert counted is not None
    floor = median(floors)

    def timed(rounds: list[dict[str, Any]], key: str) -> float | None:
        return round(median(_seconds(rounds, key)), 4) if rounds else None

    result: dict[str, Any] = {
        "kind": "incremental table" if table else "materialized view",
        "rows": int(counted[0]),
        "total_bytes": int(counted[1]),
        "heap_bytes": int(counted[2]),
        "indexes": [name for name, _ in indexes],
        "reps": reps,
        "floor_seconds": round(floor, 4),
        "floor_planning_seconds": round(median(planning), 4),
        "concurrent_seconds": timed(concurrent, "total"),
        "concurrent_refresh_only_seconds": timed(concurrent, "refresh"),
        "concurrent_count_seconds": timed(concurrent, "count"),
        "plain_seconds": timed(plain, "total"),
        "plain_refresh_only_seconds": timed(plain, "refresh"),
        "rebuild_seconds": round(median(_seconds(rebuild, "total")), 4),
        "rebuild_create_seconds": round(median(_seconds(rebuild, "create")), 4),
        "rebuild_indexes_seconds": round(median(_seconds(rebuild, "indexes")), 4),
        "rebuild_index_seconds": {name: round(median([r["per_index"][name] for r in rebuild]), 4)
                                  for name, _ in indexes},
        "rebuild_count_seconds": round(median(_seconds(rebuild, "count")), 4),
        "index_build": index_build(rebuild, indexes, floor, index_sizes(cur, view)),
        "runs_seconds": {
            "floor": summary(floors, digits=4),
            "concurrent": summary(_seconds(concurrent, "total"), digits=4),
            "plain": summary(_seconds(plain, "total"), digits=4),
            "rebuild": summary(_seconds(rebuild, "total"), digits=4),
        },
    }
    if table:
        result["note"] = ("an incremental table: no REFRESH (no concurrent or plain figure); "
                          "rebuild = CREATE TABLE AS its full SQL + indexes + count, rolled back")
    result["concurrent_vs_floor"] = ratio(result["concurrent_seconds"], floor)
    result["concurrent_refresh_only_vs_floor"] = ratio(result["concurrent_refresh_only_seconds"], floor)
    result["plain_vs_floor"] = ratio(result["plain_seconds"], floor)
    result["rebuild_vs_floor"] = ratio(result["rebuild_seconds"], floor)
    result["rebuild_indexes_vs_floor"] = ratio(result["rebuild_indexes_seconds"], floor)
    if breakdown and not table:
        reason = _pgss_ready(cur)
        result["concurrent_breakdown"] = (
            {"error": reason} if reason else concurrent_breakdown(cur, view))
    if explain:
        result["floor_plan"] = explain_buffers(cur, view.compiled_sql)
    if table:
        log(f"  {view.name} (incremental table): floor {floor:.3f} s, rebuild "
            f"{result['rebuild_seconds']:.3f} s")
    else:
        log(f"  {view.name}: floor {floor:.3f} s, concurrent {result['concurrent_seconds']:.3f} s "
            f"({result['concurrent_vs_floor']}x), plain {result['plain_seconds']:.3f} s, "
            f"rebuild {result['rebuild_seconds']:.3f} s")
    return result


def summarize_runs(mart: Mart, runs: list[tuple[float, list[dict[str, Any]]]],
                   source: str) -> dict[str, Any]:
    """Figures of whole-mart `dbt run`s from (wall seconds, refresh log rows) of each run."""
    per_view: dict[str, list[float]] = {v.name: [] for v in mart.views}
    actions: dict[str, set[str]] = {v.name: set() for v in mart.views}
    for _, rows in runs:
        for row in rows:
            if row["model"] in per_view:
                per_view[row["model"]].append(float(row["duration_seconds"] or 0.0))
                actions[row["model"]].add(str(row["action"]))
    totals = [refresh_log.sql_seconds(rows) for _, rows in runs]
    spans = [refresh_log.span_seconds(rows) for _, rows in runs]
    return {
        "command": f"dbt run -s {mart.selector()}",
        "source": source,
        "runs": len(runs),
        "sql_seconds": round(median(totals), 4),
        "span_seconds": round(median(spans), 4),
        "runs_span_seconds": [round(t, 4) for t in spans],
        "wall_seconds": round(median([wall for wall, _ in runs]), 3),
        "runs_sql_seconds": [round(t, 4) for t in totals],
        "views_seconds": {n: round(median(v), 4) if v else None for n, v in per_view.items()},
        "views_actions": {n: sorted(a) for n, a in actions.items()},
    }


def materialization_runs(ctx: BenchContext, mart: Mart, runs: int) -> dict[str, Any]:
    """Refresh the whole mart `runs` times with `dbt run`; the refresh log's figures. Views that
    skip unchanged refreshes have their sources touched first (`sources.touch`), so each run
    refreshes them."""
    done: list[tuple[float, list[dict[str, Any]]]] = []
    touched: list[str] = []
    for _ in range(runs):
        touched = sources.touch(ctx, mart)
        first = refresh_log.max_id(ctx, mart)
        run = ctx.dbt(["run", "-s", mart.selector()])
        done.append((run.seconds, refresh_log.rows_since(ctx, mart, first)))
    figures = summarize_runs(mart, done, "dedicated runs")
    if touched:
        figures["sources_touched"] = touched
    return figures


def attach_materialization(section: dict[str, Any], through_dbt: dict[str, Any]) -> None:
    """Add the materialization's figures (per view and whole mart) to a refresh_cost section."""
    section["materialization"] = through_dbt
    for name, result in section["views"].items():
        result["materialization_seconds"] = through_dbt["views_seconds"].get(name)
        result["materialization_actions"] = through_dbt["views_actions"].get(name)
    totals = section["total"]
    totals["materialization_seconds"] = through_dbt["sql_seconds"]
    totals["materialization_span_seconds"] = through_dbt["span_seconds"]
    totals["materialization_vs_floor"] = ratio(through_dbt["span_seconds"], totals["floor_seconds"])
    totals["materialization_sum_vs_floor"] = ratio(through_dbt["sql_seconds"], totals["floor_seconds"])
    configure(section)


def configured_seconds(result: dict[str, Any]) -> float | None:
    """What the view's configured refresh costs: swap = the rebuild, incremental = its run
    through the materialization (None until the runs are attached), else concurrent."""
    strategy = result.get("strategy")
    if strategy == "swap":
        return result["rebuild_seconds"]
    if strategy == "incremental" or result.get("kind") == "incremental table":
        return result.get("materialization_seconds")
    return result["concurrent_seconds"]


def configure(section: dict[str, Any]) -> None:
    """Each view's configured figure and the totals (views without a figure left out)."""
    views = section["views"]
    for result in views.values():
        result["configured_seconds"] = configured_seconds(result)
        result["configured_vs_floor"] = ratio(result["configured_seconds"], result["floor_seconds"])
    totals = section["total"]
    left_out: dict[str, list[str]] = {}
    for key in ("floor_seconds", "concurrent_seconds", "concurrent_refresh_only_seconds",
                "plain_seconds", "rebuild_seconds", "configured_seconds"):
        totals[key] = round(sum(v[key] for v in views.values() if v.get(key) is not None), 4)
        missing = [n for n, v in views.items() if v.get(key) is None]
        if missing:
            left_out[key] = missing
    totals["left_out"] = left_out
    for key in ("configured", "concurrent", "plain", "rebuild"):
        totals[f"{key}_vs_floor"] = ratio(totals[f"{key}_seconds"], totals["floor_seconds"])


def measure(ctx: BenchContext, mart: Mart, reps: int, *, breakdown: bool = True,
            explain: bool = True, mart_runs: int = 1) -> dict[str, Any]:
    ctx.say(f"refresh cost: the mart through dbt x{mart_runs}, then {len(mart.views)} views,"
            f" {reps} warm rounds each")
    through_dbt = materialization_runs(ctx, mart, mart_runs) if mart_runs else None
    if through_dbt:
        ctx.say(f"  dbt run of the mart: SQL {through_dbt['sql_seconds']:.3f} s"
                f" (wall {through_dbt['wall_seconds']:.1f} s)")
    conn = ctx.connect(autocommit=True, application_name="analytics-bench-refresh")
    views: dict[str, Any] = {}
    try:
        with conn.cursor() as cur:
            for view in mart.views:
                views[view.name] = measure_view(cur, view, reps, breakdown=breakdown,
                                                explain=explain, log=ctx.say)
    finally:
        conn.close()
    for view in mart.views:
        views[view.name]["strategy"] = view.refresh_strategy
    section: dict[str, Any] = {
        "method": ("warm medians; concurrent/plain = REFRESH [CONCURRENTLY] + count(*) in one "
                   "transaction as the materialization runs them; rebuild = CREATE MATERIALIZED "
                   "VIEW ... WITH DATA (an incremental table: CREATE TABLE AS) + the view's "
                   "indexes + count(*), rolled back; floor = EXPLAIN (ANALYZE, TIMING OFF, "
                   "SUMMARY ON) Execution Time of the compiled SQL; configured = concurrent, "
                   "rebuild for swap, the refresh log's refresh_incremental for an incremental "
                   "table (a whole-mart run with no new data)"),
        "reps": reps,
        "views": views,
        "total": {},
    }
    configure(section)
    if through_dbt:
        attach_materialization(section, through_dbt)
    return section
