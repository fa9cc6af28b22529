"""The benchmark from start to end: per mart, data, build, measurements, targets; then the report.

The marts run one after the other, each with its plug-in's `BenchSpec`; the results hold one
section per mart (`marts.<mart>`, the shape of a one-mart file of `bench_version` 1). Within a
mart, scaling points smaller than the benchmark's scale are measured first and larger ones
last, so the data is loaded once per scale and the benchmark's own scale is measured in
between. Each section that fails is recorded under the mart's `errors` (and the run's, as
`<mart>.<section>`) and the others still run.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from orchestration.bench import (
    SECTIONS,
    availability,
    dashboard,
    data,
    incremental,
    machine,
    overhead,
    queries,
    refresh_cost,
    replica,
    scaling,
    skipped,
    targets,
)
from orchestration.bench.build import build_mart
from orchestration.bench.context import BenchContext
from orchestration.bench.mart import Mart, compile_mart
from orchestration.bench.report import write_json
from orchestration.bench.spec import BenchSpec
from orchestration.core.marts import MartError, MartPlugin, select

BENCH_VERSION = 2
# The shape of one mart's section: a whole results file before marts were plug-ins.
MART_SECTION_VERSION = 1


@dataclass(frozen=True)
class BenchOptions:
    scale: str = "S"
    seed: int = 1
    quick: bool = False
    scaling: bool | None = None
    scaling_up_to: str = "M"
    reload: bool = False
    refresh_reps: int | None = None
    view_runs: int | None = None
    raw_runs: int | None = None
    scaling_reps: int | None = None
    reader_pause_ms: float = 20.0
    profile: bool | None = None
    skip: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Plan:
    """The options with every default filled in for the scale."""

    scale: str
    refresh_reps: int
    mart_runs: int
    view_runs: int
    raw_runs: int
    scaling: bool
    scaling_points: list[str]
    scaling_reps: int
    # Runs in which nothing changed, for the views that skip unchanged refreshes.
    unchanged_runs: int
    profile: bool
    explain: bool
    dbt_contrast: bool
    sections: list[str]


def bench_marts(names: list[str] | None, project_dir: Path | None = None) -> list[MartPlugin]:
    """The marts to bench: those named (each must have a bench), else every mart with one.

    MartError (a ValueError) names the marts there are, or those with a bench."""
    plugins = select(names, project_dir)
    benched = [p for p in plugins if p.bench is not None]
    without = [p.name for p in plugins if p.bench is None]
    if names and without:
        others = ", ".join(p.name for p in select(None, project_dir) if p.bench is not None)
        raise MartError(f"no bench for mart {', '.join(map(repr, without))}: its plug-in sets no"
                        f" `bench` (marts with one: {others or 'none'})")
    if not benched:
        raise MartError("no mart's plug-in sets a `bench` (orchestration/marts/<mart>/bench.py)")
    for plugin in benched:
        if not isinstance(plugin.bench, BenchSpec):
            raise MartError(f"the {plugin.name} mart's `bench` is a {type(plugin.bench).__name__},"
                            " not an orchestration.bench.spec.BenchSpec")
        if plugin.simulator is None:
            raise MartError(f"the {plugin.name} mart has a bench but no demo-data simulator to"
                            " load its data")
        targets.thresholds(plugin.bench.thresholds)
    return benched


def plan(options: BenchOptions) -> Plan:
    scale = data.scale_name(options.scale)
    small = scale == "S" or scale.startswith("S/")
    if options.quick:
        refresh_reps, mart_runs, view_runs, raw_runs, scaling_reps = 1, 0, 20, 1, 1
    elif small:
        refresh_reps, mart_runs, view_runs, raw_runs, scaling_reps = 5, 1, 200, 5, 3
    else:
        refresh_reps, mart_runs, view_runs, raw_runs, scaling_reps = 3, 3, 100, 3, 3
    enabled = options.scaling if options.scaling is not None else (scale == "M")
    unknown = sorted(set(options.skip) - set(SECTIONS) - {"scaling"})
    if unknown:
        raise ValueError(f"--skip: unknown section(s) {', '.join(unknown)}; use {', '.join(SECTIONS)}"
                         " or scaling")
    enabled = enabled and "scaling" not in options.skip
    return Plan(
        scale=scale,
        refresh_reps=options.refresh_reps or refresh_reps,
        mart_runs=mart_runs,
        view_runs=options.view_runs or view_runs,
        raw_runs=options.raw_runs or raw_runs,
        scaling=enabled,
        scaling_points=scaling.points(options.scaling_up_to) if enabled else [],
        scaling_reps=options.scaling_reps or scaling_reps,
        unchanged_runs=1 if options.quick else 3,
        profile=options.profile if options.profile is not None else not options.quick,
        # The plans and the dbt-alone contrast are profiling evidence for M; S stays under 2 min.
        explain=options.profile if options.profile is not None else not (options.quick or small),
        dbt_contrast=not (options.quick or small),
        sections=[s for s in SECTIONS if s not in options.skip],
    )


def _guard(results: dict[str, Any], name: str, ctx: BenchContext, work: Callable[[], Any]) -> Any:
    # The machine is shared: say how busy it was when each section started.
    results.setdefault("load_average_by_section", {})[name] = machine.load_average()
    try:
        value = work()
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        ctx.say(f"[red]{results['mart']} {name} failed:[/red] {message}")
        (ctx.work_dir / f"error-{results['mart']}-{name}.txt").write_text(
            traceback.format_exc(), encoding="utf-8")
        results.setdefault("errors", {})[name] = message
        return None
    results[name] = value
    return value


def _refresh_figure(view: dict[str, Any]) -> float:
    """A view's concurrent refresh, or an incremental table's rebuild (it has no REFRESH)."""
    concurrent = view.get("concurrent_seconds")
    return float(concurrent if concurrent is not None else view["rebuild_seconds"])


def _bench_scale_point(results: dict[str, Any], scale: str, size_key: str) -> dict[str, Any] | None:
    refresh = results.get("refresh_cost")
    if not isinstance(refresh, dict) or "total" not in refresh:
        return None
    build = results.get("build") or {}
    fresh = build.get("actions") == ["create"]
    return {
        "scale": scale,
        size_key: results["data"][size_key],
        "load_seconds": results["data"].get("load_seconds"),
        "build_wall_seconds": build.get("wall_seconds"),
        "build_sql_seconds": build.get("sql_seconds") if fresh else None,
        # An incremental table counts its full recomputation, as in `scaling.mart_refresh`.
        "whole_refresh_seconds": round(sum(_refresh_figure(v) for v in refresh["views"].values()), 4),
        "floor_seconds": refresh["total"]["floor_seconds"],
        "views_refresh_seconds": {n: _refresh_figure(v) for n, v in refresh["views"].items()},
        "views_floor_seconds": {n: v["floor_seconds"] for n, v in refresh["views"].items()},
        "from": "the refresh_cost section",
    }


def _scaling_points(results: dict[str, Any], ctx: BenchContext, plugin: MartPlugin, mart: Mart,
                    scales: list[str], options: BenchOptions, reps: int) -> list[dict[str, Any]]:
    """Measure the mart at each of `scales` (each a load and a fresh build)."""
    points = []
    for point in scales:
        measured = _guard(results, f"scaling_{point}", ctx,
                          lambda p=point: scaling.measure_point(ctx, plugin, mart, p, options.seed,
                                                                reps))
        if measured:
            points.append(measured)
        results.pop(f"scaling_{point}", None)
    return points


def _measure(results: dict[str, Any], ctx: BenchContext, plugin: MartPlugin, mart: Mart,
             options: BenchOptions, chosen: Plan) -> None:
    """The sections at the benchmark's scale, on the built mart."""
    spec: BenchSpec = plugin.bench
    found = queries.queries_for(mart, spec)
    for name, section in spec.sections.items():
        _guard(results, name, ctx, lambda section=section: section(ctx, mart))
    params = queries.pick_parameters(ctx, mart, spec)
    results["parameters"] = params
    ctx.say("parameters: " + spec.describe(params))
    if "refresh_cost" in chosen.sections:
        _guard(results, "refresh_cost", ctx, lambda: refresh_cost.measure(
            ctx, mart, chosen.refresh_reps, breakdown=chosen.profile, explain=chosen.explain,
            mart_runs=chosen.mart_runs))
    if "dashboard" in chosen.sections:
        _guard(results, "dashboard", ctx, lambda: dashboard.measure(
            ctx, mart, found, params, view_runs=chosen.view_runs, raw_runs=chosen.raw_runs))
    if "availability" in chosen.sections:
        _guard(results, "availability", ctx, lambda: availability.measure(
            ctx, mart, found, params, pause=options.reader_pause_ms / 1000.0))
    refresh = results.get("refresh_cost")
    concurrent = (results.get("availability") or {}).get("concurrent") or {}
    if isinstance(refresh, dict) and "materialization" not in refresh and concurrent.get("refresh_log"):
        # No dedicated dbt runs (--quick): the one the readers watched gives the figures.
        refresh_cost.attach_materialization(refresh, refresh_cost.summarize_runs(
            mart, [(concurrent["dbt_seconds"], concurrent["refresh_log"])],
            "the availability section's dbt run (with readers)"))
    if "skipped_refresh" in chosen.sections:
        _guard(results, "skipped_refresh", ctx,
               lambda: skipped.measure(ctx, mart, chosen.unchanged_runs))
    if "orchestration_overhead" in chosen.sections:
        _guard(results, "orchestration_overhead", ctx,
               lambda: overhead.measure(ctx, mart, dbt_contrast=chosen.dbt_contrast))
    # Last: it appends to the sources and leaves the chain at a clock past the data's end.
    if "incremental" in chosen.sections and spec.incremental is not None \
            and mart.incremental_views():
        _guard(results, "incremental", ctx, lambda: incremental.measure(
            ctx, plugin, mart, spec.incremental, found, params,
            pause=options.reader_pause_ms / 1000.0, full_refresh_run=not options.quick,
            baseline_seconds=3.0 if options.quick else 15.0,
            # Quick: at S nothing leaves the window at midnight; one dbt run less.
            steps=incremental.STEPS[:2] if options.quick else incremental.STEPS))
    if "replica" in chosen.sections:
        _guard(results, "replica", ctx, lambda: replica.measure(
            ctx, plugin, mart, found, params, pause=options.reader_pause_ms / 1000.0,
            advance=_advance_for_replica(plugin, mart)))


def _advance_for_replica(plugin: MartPlugin, mart: Mart) -> str | None:
    """The replica section's scheduled run follows new data where the simulator can add it."""
    from orchestration.demo_data.marts import can_advance

    spec = plugin.bench.incremental
    if spec is None or not mart.incremental_views() or not can_advance(plugin):
        return None
    return spec.advance


def run_mart(ctx: BenchContext, plugin: MartPlugin, options: BenchOptions,
             chosen: Plan) -> dict[str, Any]:
    """One mart's section of the results."""
    spec: BenchSpec = plugin.bench
    size_key = data.size_key(plugin)
    results: dict[str, Any] = {
        "bench_version": MART_SECTION_VERSION,
        "mart": plugin.name,
        "scale": chosen.scale,
        "quick": options.quick,
        "options": {**asdict(options), "skip": list(options.skip)},
        "plan": asdict(chosen),
        "machine": machine.collect(ctx),
    }
    ctx.say(f"benchmark of the {plugin.name} mart at scale {chosen.scale}"
            f"{' (quick)' if options.quick else ''}; work directory {ctx.work_dir}")
    mart: Mart = compile_mart(ctx, plugin.name)
    results["views"] = mart.names

    here = data.scale_order(chosen.scale)
    before = [p for p in chosen.scaling_points if data.scale_order(p) < here]
    after = [p for p in chosen.scaling_points if data.scale_order(p) > here]
    points = _scaling_points(results, ctx, plugin, mart, before, options, chosen.scaling_reps)

    results["data"] = data.ensure_scale(ctx, plugin, chosen.scale, options.seed,
                                        force=options.reload)
    results["build"] = build_mart(ctx, mart, fresh=bool(results["data"]["reloaded"]),
                                  sources=data.read_schemas(plugin))
    _measure(results, ctx, plugin, mart, options, chosen)

    if chosen.scaling:
        if chosen.scale in chosen.scaling_points:
            point = _bench_scale_point(results, chosen.scale, size_key)
            if point is not None:
                points.append(point)
        points += _scaling_points(results, ctx, plugin, mart, after, options, chosen.scaling_reps)
        points.sort(key=lambda p: p[size_key])
        results["scaling"] = {"enabled": True, "points": points, **scaling.fit(points, size_key),
                              "method": "sum over the views of the median concurrent refresh "
                                        "(REFRESH CONCURRENTLY + count), warm, after a rebuild "
                                        "of the mart at each scale"}
        if after:
            results["scaling"]["note"] = (f"the server now holds scale {after[-1]}, not "
                                          f"{chosen.scale}")
    else:
        results["scaling"] = {"enabled": False, "slope": None, "points": []}

    results["targets"] = targets.evaluate(results, spec.thresholds)
    results["targets_tally"] = targets.tally(results["targets"])
    results["machine"]["load_average_at_end"] = machine.load_average()
    return results


def _run_mart_guarded(ctx: BenchContext, plugin: MartPlugin, options: BenchOptions,
                      chosen: Plan) -> dict[str, Any]:
    """`run_mart`, or (when it stops: dbt cannot compile the mart, a view is missing ...) a
    section with only the error, so the other marts are still measured."""
    try:
        return run_mart(ctx, plugin, options, chosen)
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        ctx.say(f"[red]the {plugin.name} mart's benchmark stopped:[/red] {message}")
        (ctx.work_dir / f"error-{plugin.name}.txt").write_text(traceback.format_exc(),
                                                               encoding="utf-8")
        return {"bench_version": MART_SECTION_VERSION, "mart": plugin.name,
                "scale": chosen.scale, "quick": options.quick, "errors": {"bench": message}}


def run_bench(ctx: BenchContext, options: BenchOptions, json_path: Path | None = None,
              marts: Sequence[MartPlugin] | None = None) -> dict[str, Any]:
    """Bench each mart (default: every mart with a bench); the results, also written as JSON."""
    started = time.perf_counter()
    chosen = plan(options)
    plugins = list(marts) if marts is not None else bench_marts(None, ctx.project_dir)
    results: dict[str, Any] = {"bench_version": BENCH_VERSION, "scale": chosen.scale,
                               "quick": options.quick, "marts": {}}
    for plugin in plugins:
        mart_started = time.perf_counter()
        section = _run_mart_guarded(ctx, plugin, options, chosen)
        section["duration_seconds"] = round(time.perf_counter() - mart_started, 1)
        results["marts"][plugin.name] = section
        for name, message in (section.get("errors") or {}).items():
            results.setdefault("errors", {})[f"{plugin.name}.{name}"] = message
        if json_path is not None:
            # After each mart, so a long run keeps what it measured if a later mart fails.
            write_json(results, json_path)
    results["duration_seconds"] = round(time.perf_counter() - started, 1)
    if json_path is not None:
        write_json(results, json_path)
        ctx.say(f"results written to {json_path}")
    return results
