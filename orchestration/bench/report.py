"""The benchmark's results as rich tables and as a JSON file.

A results file holds one section per mart (`marts.<mart>`); a file of `bench_version` 1 (one
mart, before marts were plug-ins, e.g. `bench/results/M-reference.json`) is one such section
itself. `mart_sections` reads either, so old and new runs render and compare alike.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from orchestration.bench.targets import TARGET_SCALE, THRESHOLDS, wholly_out_of_reach


def mart_sections(results: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Each mart's section by mart name, from a results file of either version."""
    marts = results.get("marts")
    if isinstance(marts, Mapping):
        return {str(name): section for name, section in marts.items()}
    return {str(results.get("mart")): results}


def size_key(data: Mapping[str, Any]) -> str | None:
    """The key of the data-size figure (the probe table's name) in a `data` section."""
    probe = data.get("probe_table")
    if probe:
        return str(probe).rpartition(".")[2]
    # A version-1 file has no probe_table: its size is the one count among the keys.
    known = {"reloaded", "load_seconds", "previous", "scale", "seed", "ends_at", "data_age_hours"}
    return next((k for k, v in data.items() if k not in known and isinstance(v, int)), None)


def _limit(results: Mapping[str, Any], target_id: str) -> str:
    """A target's threshold in this section (the mart's own, if it has one), as text."""
    value = _targets_by_id(results).get(target_id, {}).get("threshold", THRESHOLDS[target_id])
    return f"{value:g}"


def write_json(results: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _status(item: Mapping[str, Any]) -> str:
    """met, NOT met, n/a, or why not: out of reach (an item, or a target with no reachable
    item) / met where reachable (a target)."""
    met = item.get("met")
    if met is None:
        return "n/a"
    if met:
        return "met"
    if isinstance(item.get("out_of_reach"), str) or wholly_out_of_reach(item):
        return "out of reach"
    return "met where reachable" if item.get("met_where_reachable") else "NOT met"


def _mark(item: Mapping[str, Any]) -> Text:
    status = _status(item)
    style = {"met": "green", "n/a": "dim", "NOT met": "bold red"}.get(status, "yellow")
    return Text(status, style=style)


def _section(results: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    section = results.get(name)
    if not isinstance(section, Mapping) or "error" in section:
        return None
    return section


def _targets_by_id(results: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {t["id"]: t for t in results.get("targets", [])}


def header(results: Mapping[str, Any]) -> Text:
    machine = results.get("machine", {})
    data = results.get("data", {})
    key = size_key(data)
    size = f"{_num(data.get(key))} {key.replace('_', ' ')}, " if key else ""
    settings = machine.get("postgres_settings", {})
    lines = [
        f"Benchmark of the {results.get('mart')} mart at scale {results.get('scale')}"
        f" ({size}seed {data.get('seed')},"
        f" data {data.get('data_age_hours')} h old){' [quick]' if results.get('quick') else ''}",
        f"Machine: {machine.get('cpu_cores')} cores ({machine.get('cpu_model')}),"
        f" {machine.get('memory_gib')} GiB; PostgreSQL {machine.get('postgres_version')}"
        f" (shared_buffers {settings.get('shared_buffers')}, work_mem {settings.get('work_mem')},"
        f" max_parallel_workers_per_gather {settings.get('max_parallel_workers_per_gather')},"
        f" jit {settings.get('jit')}); load average {machine.get('load_average_at_start')}"
        f" -> {machine.get('load_average_at_end')}",
    ]
    if results.get("scale") != TARGET_SCALE:
        lines.append(f"Targets are defined at scale {TARGET_SCALE}; at other scales they are"
                     " indicative.")
    return Text("\n".join(lines))


def refresh_table(results: Mapping[str, Any]) -> Table | None:
    section = _section(results, "refresh_cost")
    if section is None:
        return None
    details = _targets_by_id(results).get("refresh_vs_floor", {}).get("details", {})
    runs = section.get("materialization", {}).get("runs")
    table = Table(title=(f"Refresh cost per view (seconds; warm, median of {section['reps']} rounds;"
                         f" dbt = the materialization's refresh log, median of {runs} runs;"
                         " whole mart: first start to last end)"))
    for column in ("view", "rows", "strategy", "floor", "concurrent", "x floor", "plain", "x floor",
                   "rebuild", "x floor", "dbt",
                   f"configured <= {_limit(results, 'refresh_vs_floor')}x floor"):
        table.add_column(column, justify="left" if column in ("view", "strategy") else "right")
    for name, view in section["views"].items():
        table.add_row(name, _num(view["rows"]), view.get("strategy", "-"), _num(view["floor_seconds"]),
                      _num(view["concurrent_seconds"]), _num(view["concurrent_vs_floor"], 2),
                      _num(view["plain_seconds"]), _num(view["plain_vs_floor"], 2),
                      _num(view["rebuild_seconds"]), _num(view["rebuild_vs_floor"], 2),
                      _num(view.get("materialization_seconds")),
                      _mark(details.get(name, {})))
    total = section["total"]
    whole = _targets_by_id(results).get("whole_refresh_vs_floor", {})
    table.add_row("[b]whole mart[/b]", "", "", _num(total["floor_seconds"]),
                  _num(total["concurrent_seconds"]), _num(total["concurrent_vs_floor"], 2),
                  _num(total["plain_seconds"]), _num(total["plain_vs_floor"], 2),
                  _num(total["rebuild_seconds"]), _num(total["rebuild_vs_floor"], 2),
                  f"{_num(total.get('materialization_span_seconds'))}"
                  f" ({_num(total.get('materialization_vs_floor'), 2)}x)",
                  _mark(whole))
    return table


def breakdown_table(results: Mapping[str, Any]) -> Table | None:
    section = _section(results, "refresh_cost")
    if section is None:
        return None
    rows = {n: v["concurrent_breakdown"] for n, v in section["views"].items()
            if isinstance(v.get("concurrent_breakdown"), Mapping)
            and "error" not in v["concurrent_breakdown"]}
    if not rows:
        return None
    table = Table(title="Inside REFRESH CONCURRENTLY (one run, pg_stat_statements; seconds)")
    columns = ("view", "floor", "fill", "dup check", "diff", "analyze", "delete", "insert",
               "count", "rows changed", "rebuild idx")
    for column in columns:
        table.add_column(column, justify="left" if column == "view" else "right")
    for name, b in rows.items():
        view = section["views"][name]
        table.add_row(name, _num(view["floor_seconds"]), _num(b["fill_seconds"]),
                      _num(b["duplicate_check_seconds"]), _num(b["diff_seconds"]),
                      _num(b["analyze_seconds"]), _num(b["delete_seconds"]),
                      _num(b["insert_seconds"]), _num(b["count_seconds"]),
                      f"-{b['rows_deleted']:,} +{b['rows_inserted']:,}",
                      _num(view["rebuild_indexes_seconds"]))
    return table


def _index_rows(results: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any],
                                                          Mapping[str, Any]]]:
    """(view, index, the index's build figures, the view's figures) for every index measured."""
    section = _section(results, "refresh_cost")
    if section is None:
        return []
    return [(name, index, built, view) for name, view in section["views"].items()
            for index, built in (view.get("index_build") or {}).items()]


def index_table(results: Mapping[str, Any]) -> Table | None:
    rows = _index_rows(results)
    if not rows:
        return None
    details = _targets_by_id(results).get("index_build_vs_floor", {}).get("details", {})
    table = Table(title=("What each index costs: CREATE INDEX on a fresh copy of the view (seconds,"
                         " median of the rebuild rounds); a swap or rebuild pays them all, a"
                         " concurrent refresh only for the rows it changes"))
    for column in ("view", "index", "size MB", "build", "x floor", "view: all indexes x floor",
                   f"<= {_limit(results, 'index_build_vs_floor')}x floor"):
        table.add_column(column, justify="left" if column in ("view", "index") else "right")
    for name, index, built, view in rows:
        table.add_row(name, index + (" (unique)" if built.get("unique") else ""),
                      _num((built.get("bytes") or 0) / 1e6, 1), _num(built.get("seconds")),
                      _num(built.get("vs_floor"), 3), _num(view.get("rebuild_indexes_vs_floor"), 2),
                      _mark(details.get(name, {})))
    return table


def skipped_table(results: Mapping[str, Any]) -> Table | None:
    section = _section(results, "skipped_refresh")
    if section is None or not section.get("views"):
        return None
    details = _targets_by_id(results).get("skipped_refresh_sql_seconds", {}).get("details", {})
    table = Table(title=(f"A run in which nothing changed (`{section.get('command')}`, median of "
                         f"{section.get('runs')}; seconds): the views that skip unchanged "
                         f"refreshes; the run's other SQL {_num(section.get('run_sql_seconds'))} s"))
    for column in ("view", "did", "SQL", "statements", "log span", "dbt node",
                   f"SQL <= {_limit(results, 'skipped_refresh_sql_seconds')} s"):
        table.add_column(column, justify="left" if column in ("view", "did") else "right")
    for name, view in section["views"].items():
        table.add_row(name, "/".join(view.get("actions") or []), _num(view.get("sql_seconds")),
                      _num(view.get("statements")), _num(view.get("log_span_seconds")),
                      _num(view.get("node_seconds")), _mark(details.get(name, {})))
    return table


def availability_table(results: Mapping[str, Any]) -> Table | None:
    section = _section(results, "availability")
    if section is None:
        return None
    concurrent = section.get("concurrent", {})
    plain = section.get("plain", {})
    title = (f"Reads during the whole-mart refresh (ms): concurrent = {concurrent.get('how')}, "
             f"{_num(concurrent.get('refresh_wall_seconds'), 1)} s; plain = blocking REFRESH, "
             f"{_num(plain.get('refresh_wall_seconds'), 1)} s")
    table = Table(title=title)
    for column in ("view", "reads", "p50", "p99", "max", "errors",
                   f"<= {_limit(results, 'read_max_latency_ms')} ms, "
                   f"{_limit(results, 'read_errors')} err",
                   "plain reads", "plain p50", "plain p99", "plain max", "plain errors"):
        table.add_column(column, justify="left" if column == "view" else "right")
    targets = _targets_by_id(results)
    latency = targets.get("read_max_latency_ms", {}).get("details", {})
    errors = targets.get("read_errors", {}).get("details", {})
    for name, view in concurrent.get("views", {}).items():
        other = plain.get("views", {}).get(name, {})
        met_values = [latency.get(name, {}).get("met"), errors.get(name, {}).get("met")]
        met = {"met": None if None in met_values else all(met_values)}
        table.add_row(name, _num(view["reads"]), _num(view["latency_ms"].get("p50"), 2),
                      _num(view["latency_ms"].get("p99"), 2), _num(view["latency_ms"].get("max"), 1),
                      _num(view["errors"]), _mark(met),
                      _num(other.get("reads")), _num(other.get("latency_ms", {}).get("p50"), 2),
                      _num(other.get("latency_ms", {}).get("p99"), 1),
                      _num(other.get("latency_ms", {}).get("max"), 1), _num(other.get("errors")))
    return table


def _replica_rows(results: Mapping[str, Any]) -> tuple[str, list[str], list[list[str]]] | None:
    """One row per run of the replica section: the readers on the replica, the export, lag."""
    section = _section(results, "replica")
    if section is None or section.get("skipped"):
        return None
    runs = [(n, r) for n, r in section.items() if isinstance(r, Mapping) and "views" in r]
    if not runs:
        return None
    settings = section.get("standby_settings") or {}
    title = ("Dashboard reads on the replica while the primary refreshes (ms; standby "
             + ", ".join(f"{k} {v}" for k, v in settings.items()) + ")")
    header_cells = ["run", "refresh s", "reads", "errors", "p99", "max", "exports",
                    "export errors", "lag max s", "MB behind max", "conflicts", "WAL MB"]
    rows = [[name, _num(run.get("refresh_wall_seconds"), 1), _num(run.get("total_reads")),
             _num(run.get("total_errors")),
             _num(max((v["latency_ms"].get("p99") or 0.0 for v in run["views"].values()),
                      default=None), 1),
             _num(run.get("max_latency_ms"), 1),
             _num((run.get("export") or {}).get("exports")),
             _num((run.get("export") or {}).get("errors")),
             _num((run.get("replay_lag") or {}).get("max_seconds"), 2),
             _num(((run.get("replay_lag") or {}).get("max_bytes_behind") or 0) / 1e6, 1),
             _num(sum((run.get("recovery_conflicts") or {}).values())),
             _num((run.get("wal_bytes") or 0) / 1e6, 0)]
            for name, run in runs]
    return title, header_cells, rows


def replica_table(results: Mapping[str, Any]) -> Table | None:
    return _rows_table(_replica_rows(results), left_columns=1)


def _rows_table(found: tuple[str, list[str], list[list[str]]] | None,
                left_columns: int) -> Table | None:
    """A (title, header, rows) triple as a rich table, its first columns aligned left."""
    if found is None:
        return None
    title, header_cells, rows = found
    table = Table(title=title)
    for index, column in enumerate(header_cells):
        table.add_column(column, justify="left" if index < left_columns else "right")
    for row in rows:
        table.add_row(*row)
    return table


def _incremental_rows(results: Mapping[str, Any]) -> tuple[str, list[str], list[list[str]]] | None:
    """The incremental section as (title, header, rows) of text, for both renderings."""
    section = _section(results, "incremental")
    if section is None or not isinstance(section.get("full"), Mapping):
        return None
    table = section.get("table")
    full = section["full"]
    computed = full.get("computed") or {}
    dbt_full = full.get("dbt") or {}
    header_cells = ["step", "new data", "clock", f"{table}", "s", "slices", "rows -/+",
                    f"x full <= {_limit(results, 'incremental_step_vs_full')}", "chain s",
                    f"x full <= {_limit(results, 'incremental_chain_vs_full')}", "best x",
                    "reads", "errors", "max ms", "dependants", "proof -/+"]
    rows: list[list[str]] = []
    full_own = (computed.get("views") or {}).get(table) or {}
    rows.append(["full: computed", "-", str(full.get("clock", ""))[:16], "create table as",
                 _num(full_own.get("seconds")), "", "", "1", _num(computed.get("chain_seconds")),
                 "1", "", "", "", "", "", ""])
    if dbt_full:
        own = (dbt_full.get("views") or {}).get(table) or {}
        readers = dbt_full.get("readers") or {}
        rows.append(["full: dbt --full-refresh", "-", str(dbt_full.get("clock", ""))[:16],
                     str(own.get("action", "")), _num(own.get("seconds")), "", "", "",
                     _num(dbt_full.get("chain_seconds")), "", "", _num(readers.get("reads")),
                     _num(readers.get("errors")), _num(readers.get("max_latency_ms"), 1), "",
                     ""])
    baseline = section.get("readers_baseline") or {}
    if baseline:
        rows.append([f"readers alone, {_num(baseline.get('seconds'), 0)} s", "-", "", "", "", "",
                     "", "", "", "", "", _num(baseline.get("reads")), _num(baseline.get("errors")),
                     _num(baseline.get("max_latency_ms"), 1), "", ""])
    for name, step in (section.get("steps") or {}).items():
        own = (step.get("views") or {}).get(table) or {}
        change = step.get("change") or {}
        new = change.get("rows")
        if isinstance(new, Mapping):
            # An advance writes several tables: the rows of the mart's probe table (its size).
            probe = (results.get("data") or {}).get("probe_table")
            new = new.get(probe) if probe in new else sum(
                v for v in new.values() if isinstance(v, int))
        readers = step.get("readers") or {}
        found = step.get("proof") or {}
        dependants = step.get("dependants") or {}
        rows.append([
            name, _num(new) if new is not None else "-", str(step.get("clock", ""))[:16],
            str(own.get("action", "")), _num(own.get("seconds")), _num(own.get("slices")),
            f"-{_num(own.get('rows_deleted'))} +{_num(own.get('rows_inserted'))}",
            _num(step.get("step_vs_full"), 4), _num(step.get("chain_seconds")),
            _num(step.get("chain_vs_full"), 3), _num(step.get("best_chain_vs_full"), 3),
            _num(readers.get("reads")), _num(readers.get("errors")),
            _num(readers.get("max_latency_ms"), 1),
            ("kept" if dependants.get("ok") and step.get("table_oid_kept") else "CHANGED")
            + f" {len(dependants.get('kept') or [])}/{dependants.get('views')}",
            f"-{_num(found.get('rows_missing'))} +{_num(found.get('rows_extra'))}",
        ])
    title = (f"Incremental {section.get('cadence')} chain ({', '.join(section.get('chain') or [])};"
             f" seconds from the refresh log; the clock pinned by {section.get('clock_setting')};"
             " full = each model's SQL computed in full with its indexes; best x = the chain's"
             " other views alone against the full chain; dependants: views on the table kept"
             " (the others renewed by the chain's own swaps))")
    return title, header_cells, rows


def incremental_table(results: Mapping[str, Any]) -> Table | None:
    return _rows_table(_incremental_rows(results), left_columns=4)


def dashboard_table(results: Mapping[str, Any]) -> Table | None:
    section = _section(results, "dashboard")
    if section is None:
        return None
    table = Table(title=(f"Dashboard queries (ms; {section['view_runs']} runs on the views, "
                         f"{section['raw_runs']} over the raw tables)"))
    for column in ("query", "view", "rows", "p50", "p95", "raw p50", "speed-up", "index",
                   "same rows", f"p95 <= {_limit(results, 'dashboard_p95_ms')}",
                   f">= {_limit(results, 'dashboard_speedup')}x"):
        table.add_column(column, justify="left" if column in ("query", "view") else "right")
    targets = _targets_by_id(results)
    p95 = targets.get("dashboard_p95_ms", {}).get("details", {})
    speed = targets.get("dashboard_speedup", {}).get("details", {})
    for name, query in section["queries"].items():
        table.add_row(name, query["view"], _num(query["rows"]), _num(query["view_ms"].get("p50"), 3),
                      _num(query["view_ms"].get("p95"), 3), _num(query["raw_ms"].get("p50"), 1),
                      _num(query["speedup"], 1), "yes" if query["uses_index"] else "[red]no[/red]",
                      "yes" if query["same_rows_as_raw"] else "[yellow]no[/yellow]",
                      _mark(p95.get(name, {})), _mark(speed.get(name, {})))
    return table


def overhead_text(results: Mapping[str, Any]) -> Text | None:
    section = results.get("orchestration_overhead")
    if not isinstance(section, Mapping):
        return None
    if section.get("overhead_seconds") is None:
        return Text(f"Orchestration overhead: not measured: {section.get('error')}", style="red")
    line = (f"Orchestration overhead of `{section['command']}`: wall {section['wall_seconds']:.2f} s"
            f" - SQL {section['sql_seconds']:.2f} s = {section['overhead_seconds']:.2f} s")
    if section.get("checks_and_hooks_seconds") is not None:
        line += (f" (data tests as asset checks and hooks {section['checks_and_hooks_seconds']:.2f} s;"
                 f" Python, Dagster and dbt start-up, parse and events "
                 f"{section['startup_and_events_seconds']:.2f} s)")
    if section.get("seconds_to_first_dbt_node") is not None:
        line += (f"; before any SQL: {section['seconds_to_dbt']:.2f} s to dbt's start (Python, Dagster),"
                 f" {section['seconds_to_first_dbt_node']:.2f} s to dbt's first node")
    if section.get("full_reparse") is not None:
        line += ("; dbt parsed the whole project again" if section["full_reparse"]
                 else "; dbt started from the previous run's parse")
    alone = section.get("dbt_run_alone")
    if alone:
        line += (f"; `{alone['command']}` alone: wall {alone['wall_seconds']:.2f} s - SQL "
                 f"{alone['sql_seconds']:.2f} s = {alone['overhead_seconds']:.2f} s")
    return Text(line)


def scaling_table(results: Mapping[str, Any]) -> Table | None:
    section = results.get("scaling")
    if not isinstance(section, Mapping) or not section.get("enabled"):
        return None
    table = Table(title=(f"Scaling: whole-mart concurrent refresh; log-log slope {section.get('slope')}"
                         f" (floors {section.get('floor_slope')}, fresh build {section.get('build_slope')})"))
    key = size_key(results.get("data") or {}) or "rows"
    for column in ("scale", key.replace("_", " "), "whole refresh s", "floors s", "fresh build s"):
        table.add_column(column, justify="left" if column == "scale" else "right")
    for point in section.get("points", []):
        table.add_row(str(point["scale"]), _num(point.get(key)),
                      _num(point["whole_refresh_seconds"], 2), _num(point["floor_seconds"], 2),
                      _num(point.get("build_sql_seconds"), 2))
    return table


def targets_table(results: Mapping[str, Any]) -> Table:
    table = Table(title=f"Targets (defined at scale {TARGET_SCALE}; this run: {results.get('scale')})")
    for column in ("target", "worst value", "threshold", "status"):
        table.add_column(column, justify="left" if column == "target" else "right")
    for target in results.get("targets", []):
        label = target["target"] + (" (informational)" if target["informational"] else "")
        table.add_row(label, _num(target["value"], 2), f"{target['comparison']} {target['threshold']:g}",
                      _mark(target))
    tally = results.get("targets_tally", {})
    table.caption = (f"{tally.get('met', 0)} met, {tally.get('met_where_reachable', 0)} met where "
                     f"reachable, {tally.get('out_of_reach', 0)} out of reach, "
                     f"{tally.get('not_met', 0)} not met, "
                     f"{tally.get('not_measured', 0)} not measured")
    return table


def out_of_reach_text(results: Mapping[str, Any]) -> Text | None:
    lines = [f"{name}: {why}" for target in results.get("targets", [])
             for name, why in (target.get("out_of_reach") or {}).items()]
    return Text("Out of reach, measured:\n  " + "\n  ".join(lines), style="yellow") if lines else None


def render(results: Mapping[str, Any]) -> RenderableType:
    """Every mart's tables, one mart after the other."""
    return Group(*(render_mart(section) for section in mart_sections(results).values()))


def render_mart(results: Mapping[str, Any]) -> RenderableType:
    """One mart's section: its header, tables, targets and errors."""
    parts: list[RenderableType] = []
    if "machine" in results:
        parts.append(header(results))
    else:
        parts.append(Text(f"Benchmark of the {results.get('mart')} mart: stopped", style="red"))
    for part in (refresh_table(results), breakdown_table(results), index_table(results),
                 availability_table(results), skipped_table(results), incremental_table(results),
                 replica_table(results),
                 dashboard_table(results), overhead_text(results), scaling_table(results),
                 targets_table(results) if "targets" in results else None,
                 out_of_reach_text(results)):
        if part is not None:
            parts.append(part)
    for name, error in (results.get("errors") or {}).items():
        parts.append(Text(f"{name} failed: {error}", style="red"))
    return Group(*parts)


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _md_table(header_cells: list[str], rows: list[list[str]]) -> list[str]:
    align = ["---" if i == 0 else "---:" for i in range(len(header_cells))]
    return [_md_row(header_cells), _md_row(align), *(_md_row(r) for r in rows), ""]


def _md_mark(item: Mapping[str, Any]) -> str:
    status = _status(item)
    return "**NOT met**" if status == "NOT met" else status


def markdown(results: Mapping[str, Any]) -> str:
    """One mart's figures and targets as Markdown tables (for bench/results/README.md); takes a
    mart's section (`mart_sections(results)[mart]`)."""
    lines: list[str] = [header(results).plain, ""]
    targets = _targets_by_id(results)
    refresh = _section(results, "refresh_cost")
    if refresh is not None:
        per_view = targets.get("refresh_vs_floor", {}).get("details", {})
        rows = [[name, _num(v["rows"]), v.get("strategy", "-"), _num(v["floor_seconds"]),
                 _num(v["concurrent_seconds"]), _num(v["concurrent_vs_floor"], 2),
                 _num(v["plain_seconds"]), _num(v["rebuild_seconds"]),
                 _num(v.get("materialization_seconds")), _md_mark(per_view.get(name, {}))]
                for name, v in refresh["views"].items()]
        total = refresh["total"]
        rows.append(["**whole mart**", "", "", _num(total["floor_seconds"]),
                     _num(total["concurrent_seconds"]), _num(total["concurrent_vs_floor"], 2),
                     _num(total["plain_seconds"]), _num(total["rebuild_seconds"]),
                     f"{_num(total.get('materialization_span_seconds'))} elapsed "
                     f"({_num(total.get('materialization_vs_floor'), 2)}x)",
                     _md_mark(targets.get("whole_refresh_vs_floor", {}))])
        lines += [f"Refresh cost (s, warm, median of {refresh['reps']})", ""]
        lines += _md_table(["view", "rows", "strategy", "floor", "concurrent", "x floor", "plain",
                            "rebuild", "dbt (log)",
                            f"<= {_limit(results, 'refresh_vs_floor')}x floor"], rows)
        steps = [[name, _num(v["floor_seconds"]), _num(b.get("fill_seconds")),
                  _num(b.get("duplicate_check_seconds")), _num(b.get("diff_seconds")),
                  _num(b.get("analyze_seconds")), _num(b.get("delete_seconds")),
                  _num(b.get("insert_seconds")), _num(b.get("count_seconds")),
                  f"{b.get('rows_inserted', 0):,} of {v['rows']:,}"]
                 for name, v in refresh["views"].items()
                 if isinstance(b := v.get("concurrent_breakdown"), Mapping) and "error" not in b]
        if steps:
            lines += ["Inside REFRESH CONCURRENTLY (s, one run, pg_stat_statements)", ""]
            lines += _md_table(["view", "floor", "fill", "dup check", "diff", "analyze", "delete",
                                "insert", "count", "rows rewritten"], steps)
    indexes = _index_rows(results)
    if indexes:
        rows = [[name, index + (" (unique)" if built.get("unique") else ""),
                 _num((built.get("bytes") or 0) / 1e6, 1), _num(built.get("seconds")),
                 _num(built.get("vs_floor"), 3), _num(view.get("rebuild_indexes_vs_floor"), 2)]
                for name, index, built, view in indexes]
        lines += ["What each index costs: CREATE INDEX on a fresh copy of the view (s, median)", ""]
        lines += _md_table(["view", "index", "size MB", "build", "x floor",
                            "view: all indexes x floor"], rows)
    availability = _section(results, "availability")
    if availability is not None:
        concurrent = availability.get("concurrent", {})
        plain = availability.get("plain", {})
        rows = []
        for name, v in concurrent.get("views", {}).items():
            other = plain.get("views", {}).get(name, {})
            rows.append([name, _num(v["reads"]), _num(v["latency_ms"].get("p50"), 2),
                         _num(v["latency_ms"].get("p99"), 2), _num(v["latency_ms"].get("max"), 1),
                         _num(v["errors"]), _num(other.get("latency_ms", {}).get("max"), 1),
                         _num(other.get("errors"))])
        lines += [f"Reads during the whole-mart refresh (ms; concurrent: `{concurrent.get('how')}`, "
                  f"{_num(concurrent.get('refresh_wall_seconds'), 1)} s; plain REFRESH "
                  f"{_num(plain.get('refresh_wall_seconds'), 1)} s)", ""]
        lines += _md_table(["view", "reads", "p50", "p99", "max", "errors", "plain: max",
                            "plain: errors"], rows)
    replica_rows = _replica_rows(results)
    if replica_rows is not None:
        title, header_cells, rows = replica_rows
        lines += [title, ""]
        lines += _md_table(header_cells, rows)
    skipping = _section(results, "skipped_refresh")
    if skipping is not None and skipping.get("views"):
        per_view = targets.get("skipped_refresh_sql_seconds", {}).get("details", {})
        rows = [[name, "/".join(v.get("actions") or []), _num(v.get("sql_seconds")),
                 _num(v.get("statements")), _num(v.get("log_span_seconds")),
                 _num(v.get("node_seconds")), _md_mark(per_view.get(name, {}))]
                for name, v in skipping["views"].items()]
        lines += [f"A run in which nothing changed (`{skipping.get('command')}`, s, median of "
                  f"{skipping.get('runs')}; the run's other SQL "
                  f"{_num(skipping.get('run_sql_seconds'))} s)", ""]
        lines += _md_table(["view", "did", "SQL", "statements", "log span", "dbt node",
                            f"SQL <= {_limit(results, 'skipped_refresh_sql_seconds')} s"], rows)
    found = _incremental_rows(results)
    if found is not None:
        title, header_cells, rows = found
        lines += [title, ""]
        lines += _md_table(header_cells, rows)
    dashboard = _section(results, "dashboard")
    if dashboard is not None:
        rows = [[name, q["view"], _num(q["view_ms"].get("p50"), 3), _num(q["view_ms"].get("p95"), 3),
                 _num(q["raw_ms"].get("p50"), 1), _num(q["speedup"], 1),
                 "yes" if q["uses_index"] else "no", "yes" if q["same_rows_as_raw"] else "no"]
                for name, q in dashboard["queries"].items()]
        lines += [f"Dashboard queries (ms; {dashboard['view_runs']} runs on the views, "
                  f"{dashboard['raw_runs']} over raw)", ""]
        lines += _md_table(["query", "view", "p50", "p95", "raw p50", "speed-up", "index",
                            "same rows"], rows)
    overhead = overhead_text(results)
    if overhead is not None:
        lines += [overhead.plain, ""]
    scaling = results.get("scaling")
    if isinstance(scaling, Mapping) and scaling.get("enabled"):
        key = size_key(results.get("data") or {}) or "rows"
        rows = [[str(p["scale"]), _num(p.get(key)), _num(p["whole_refresh_seconds"], 2),
                 _num(p["floor_seconds"], 2), _num(p.get("build_sql_seconds"), 2)]
                for p in scaling.get("points", [])]
        lines += [f"Scaling (log-log slope {scaling.get('slope')}; floors {scaling.get('floor_slope')},"
                  f" fresh build {scaling.get('build_slope')})", ""]
        lines += _md_table(["scale", key.replace("_", " "), "whole refresh s", "floors s",
                            "fresh build s"], rows)
    rows = [[t["target"] + (" (informational)" if t["informational"] else ""), _num(t["value"], 2),
             f"{t['comparison']} {t['threshold']:g}", _md_mark(t)]
            for t in results.get("targets", [])]
    lines += ["Targets", ""]
    lines += _md_table(["target", "worst value", "threshold", "status"], rows)
    unreachable = out_of_reach_text(results)
    if unreachable is not None:
        lines += ["", *("* " + line.strip() for line in unreachable.plain.splitlines()[1:])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`python -m orchestration.bench.report FILE [MART]`: a results file's Markdown tables, of
    either version (so a new run's tables diff against `bench/results/M-reference.json`'s)."""
    args = sys.argv[1:] if argv is None else argv
    if not 1 <= len(args) <= 2:
        print("usage: python -m orchestration.bench.report FILE [MART]", file=sys.stderr)
        return 2
    sections = mart_sections(json.loads(Path(args[0]).read_text(encoding="utf-8")))
    chosen = [args[1]] if len(args) == 2 else list(sections)
    unknown = [name for name in chosen if name not in sections]
    if unknown:
        print(f"{args[0]} has no mart {unknown[0]!r} (it has {', '.join(sections)})",
              file=sys.stderr)
        return 2
    print("\n\n".join(markdown(sections[name]) for name in chosen))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
