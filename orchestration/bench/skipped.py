"""What a run costs a view when nothing changed: the views that skip unchanged refreshes.

A view configured with `skip_refresh_when_unchanged` is not refreshed when no relation it
reads changed since its last refresh: the materialization logs a `skip` (note "unchanged: ...",
skip_reason `unchanged`) and only checks. What a skip executes for the view, in the
materialization's macros: the meta tables' version check, the refresh log's start row (and
its commit), the view's description, the change markers of every relation it reads (read
when the change triggers are checked before the locks, and again after them, with the change
rows compacted), the lock, the log's skip row, the view's comments and grants, then the
model's post-hooks (such as a function created beside the view).

Measured: one `dbt run -s marts.<mart>` brings every view up to date first (refreshing what
changed), then `runs` more runs in which nothing changed, each writing dbt's debug log as
JSON to a directory of its own (emptied first). Per view, medians over those runs:

* `sql_seconds`, the target's figure: the sum of the statements dbt ran for the model (each
  `SQLQueryStatus` event's elapsed time, from sending the statement to its result);
* `statements`, and the slowest few of the last run with the start of their SQL;
* `log_span_seconds`: its refresh-log row from start to finish (the checks with dbt's work
  between them, without the post-hooks);
* `node_seconds`: dbt's execution time for the model (its SQL, its Jinja and dbt's own work).

`run_sql_seconds` is the statements of the run outside any model (dbt's catalog queries, the
on-run hooks). A view that did not skip in a measured run is listed with what it did and why
(`skipped: false`, the refresh log's note).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from orchestration.bench import refresh_log
from orchestration.bench.context import BenchContext
from orchestration.bench.mart import Mart
from orchestration.bench.stats import median

SKIP_ACTION = "skip"
UNCHANGED = "unchanged"
_LEADING_COMMENT = re.compile(r"^\s*/\*.*?\*/\s*", re.DOTALL)
SLOWEST = 5


def statement_text(sql: str) -> str:
    """A statement without dbt's leading comment, on one line, cut to 120 characters."""
    return " ".join(_LEADING_COMMENT.sub("", sql).split())[:120]


def statements_by_node(lines: Iterable[str]) -> tuple[dict[str, list[tuple[float, str]]],
                                                       list[float]]:
    """From dbt's JSON log lines: each node's statements (seconds, SQL) by unique id, and the
    seconds of the statements run outside any node. A statement's SQL is the last one logged
    on the thread that reports its status."""
    last_sql: dict[str, str] = {}
    by_node: dict[str, list[tuple[float, str]]] = {}
    outside: list[float] = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        info = event.get("info") or {}
        data = event.get("data") or {}
        thread = str(info.get("thread", ""))
        if info.get("name") == "SQLQuery":
            last_sql[thread] = str(data.get("sql", ""))
        elif info.get("name") == "SQLQueryStatus":
            seconds = float(data.get("elapsed") or 0.0)
            node = (data.get("node_info") or {}).get("unique_id")
            if node:
                by_node.setdefault(str(node), []).append(
                    (seconds, statement_text(last_sql.get(thread, ""))))
            else:
                outside.append(seconds)
    return by_node, outside


def node_seconds(lines: Iterable[str]) -> dict[str, float]:
    """dbt's execution time per node (`NodeFinished` events) from its JSON log lines."""
    found: dict[str, float] = {}
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict) or (event.get("info") or {}).get("name") != "NodeFinished":
            continue
        data = event.get("data") or {}
        node = (data.get("node_info") or {}).get("unique_id")
        seconds = (data.get("run_result") or {}).get("execution_time")
        if node and seconds is not None:
            found[str(node)] = float(seconds)
    return found


def _run_figures(mart: Mart, log_file: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One measured run: per view (of those that skip unchanged refreshes) what it did and cost."""
    lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines() \
        if log_file.exists() else []
    by_node, outside = statements_by_node(lines)
    executed = node_seconds(lines)
    logged = {row["model"]: row for row in rows}
    views: dict[str, Any] = {}
    for view in mart.skipping_unchanged():
        statements = by_node.get(view.unique_id, [])
        row = logged.get(view.name) or {}
        started, finished = row.get("started_at"), row.get("finished_at")
        views[view.name] = {
            "action": row.get("action"),
            "skip_reason": row.get("skip_reason"),
            "note": row.get("note"),
            "skipped": row.get("action") == SKIP_ACTION and row.get("skip_reason") == UNCHANGED,
            "sql_seconds": round(sum(seconds for seconds, _ in statements), 4),
            "statements": len(statements),
            "slowest": [{"seconds": round(seconds, 4), "sql": sql}
                        for seconds, sql in sorted(statements, reverse=True)[:SLOWEST]],
            "log_span_seconds": (round((finished - started).total_seconds(), 4)
                                 if started is not None and finished is not None else None),
            "node_seconds": (round(executed[view.unique_id], 4)
                             if view.unique_id in executed else None),
        }
    return {"views": views, "run_sql_seconds": round(sum(outside), 4),
            "run_statements": len(outside)}


def _median_of(runs: list[dict[str, Any]], name: str, key: str) -> float | None:
    values = [float(r["views"][name][key]) for r in runs if r["views"][name].get(key) is not None]
    return round(median(values), 4) if values else None


def measure(ctx: BenchContext, mart: Mart, runs: int) -> dict[str, Any]:
    views = mart.skipping_unchanged()
    method = ("a `dbt run` of the mart in which no source changed (after one that brought every "
              "view up to date): per view, the sum of the statements dbt ran for it (its JSON "
              "debug log's SQLQueryStatus elapsed times), median over the runs")
    if not views:
        ctx.say("skipped refresh: no view of the mart has skip_refresh_when_unchanged")
        return {"method": method, "runs": 0, "views": {},
                "note": "no view of the mart has skip_refresh_when_unchanged"}
    ctx.say(f"skipped refresh: {', '.join(v.name for v in views)}; one run to bring them up to "
            f"date, then {runs} in which nothing changed")
    ctx.dbt(["run", "-s", mart.selector()])
    measured: list[dict[str, Any]] = []
    for number in range(1, runs + 1):
        log_dir = ctx.work_dir / f"dbt-logs-unchanged-{number}"
        # dbt appends to its log file: an earlier bench's run there would be counted too.
        shutil.rmtree(log_dir, ignore_errors=True)
        first = refresh_log.max_id(ctx, mart)
        run = ctx.dbt(["run", "-s", mart.selector(), "--log-format-file", "json",
                       "--log-level-file", "debug"], log_path=log_dir)
        rows = _log_rows(ctx, mart, first)
        figures = _run_figures(mart, log_dir / "dbt.log", rows)
        figures["wall_seconds"] = round(run.seconds, 3)
        measured.append(figures)
    result_views: dict[str, Any] = {}
    for view in views:
        last = measured[-1]["views"][view.name]
        result_views[view.name] = {
            "skipped": all(r["views"][view.name]["skipped"] for r in measured),
            "actions": sorted({str(r["views"][view.name]["action"]) for r in measured}),
            "notes": sorted({str(r["views"][view.name]["note"]) for r in measured
                             if r["views"][view.name]["note"]}),
            "sql_seconds": _median_of(measured, view.name, "sql_seconds"),
            "runs_sql_seconds": [r["views"][view.name]["sql_seconds"] for r in measured],
            "statements": last["statements"],
            "slowest": last["slowest"],
            "log_span_seconds": _median_of(measured, view.name, "log_span_seconds"),
            "node_seconds": _median_of(measured, view.name, "node_seconds"),
        }
        ctx.say(f"  {view.name}: {'/'.join(result_views[view.name]['actions'])}, SQL "
                f"{result_views[view.name]['sql_seconds']} s in {last['statements']} statements"
                f" (log span {result_views[view.name]['log_span_seconds']} s, dbt node "
                f"{result_views[view.name]['node_seconds']} s)")
    return {
        "method": method,
        "command": f"dbt run -s {mart.selector()}",
        "runs": runs,
        "views": result_views,
        "run_sql_seconds": round(median([r["run_sql_seconds"] for r in measured]), 4),
        "wall_seconds": round(median([r["wall_seconds"] for r in measured]), 3),
    }


def _log_rows(ctx: BenchContext, mart: Mart, after_id: int) -> list[dict[str, Any]]:
    """The refresh log's rows of a run, with each row's note and skip reason."""
    rows = refresh_log.rows_since(ctx, mart, after_id)
    with ctx.cursor() as cur:
        cur.execute(f"select id, note, skip_reason from {mart.meta_schema}.refresh_log"
                    " where id > %s", (after_id,))
        extra = {int(row[0]): {"note": row[1], "skip_reason": row[2]} for row in cur.fetchall()}
    return [{**row, **extra.get(int(row["id"]), {})} for row in rows]
