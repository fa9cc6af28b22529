"""The benchmark from start to end: data, build, measurements, targets, report.

Scaling points smaller than the benchmark's scale are measured first and larger ones last, so
the data is loaded once per scale and the benchmark's own scale is measured in between. Each
section that fails is recorded under `errors` and the others still run.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from orchestration.bench import (
    availability,
    dashboard,
    data,
    machine,
    overhead,
    queries,
    refresh_cost,
    scaling,
    targets,
)
from orchestration.bench.build import build_mart
from orchestration.bench.context import BenchContext
from orchestration.bench.mart import Mart, compile_mart
from orchestration.bench.report import write_json

SECTIONS = ("refresh_cost", "dashboard", "availability", "orchestration_overhead")
MART = "retail"


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
    profile: bool
    explain: bool
    dbt_contrast: bool
    sections: list[str]


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
        ctx.say(f"[red]{name} failed:[/red] {message}")
        (ctx.work_dir / f"error-{name}.txt").write_text(traceback.format_exc(), encoding="utf-8")
        results.setdefault("errors", {})[name] = message
        return None
    results[name] = value
    return value


def _bench_scale_point(results: dict[str, Any], scale: str) -> dict[str, Any] | None:
    refresh = results.get("refresh_cost")
    if not isinstance(refresh, dict) or "total" not in refresh:
        return None
    build = results.get("build") or {}
    fresh = build.get("actions") == ["create"]
    return {
        "scale": scale,
        "inventory_snapshots": results["data"]["inventory_snapshots"],
        "load_seconds": results["data"].get("load_seconds"),
        "build_wall_seconds": build.get("wall_seconds"),
        "build_sql_seconds": build.get("sql_seconds") if fresh else None,
        "whole_refresh_seconds": refresh["total"]["concurrent_seconds"],
        "floor_seconds": refresh["total"]["floor_seconds"],
        "views_refresh_seconds": {n: v["concurrent_seconds"] for n, v in refresh["views"].items()},
        "views_floor_seconds": {n: v["floor_seconds"] for n, v in refresh["views"].items()},
        "from": "the refresh_cost section",
    }


def run_bench(ctx: BenchContext, options: BenchOptions, json_path: Path | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    chosen = plan(options)
    results: dict[str, Any] = {
        "bench_version": 1,
        "mart": MART,
        "scale": chosen.scale,
        "quick": options.quick,
        "options": {**asdict(options), "skip": list(options.skip)},
        "plan": asdict(chosen),
        "machine": machine.collect(ctx),
    }
    ctx.say(f"benchmark of the {MART} mart at scale {chosen.scale}"
            f"{' (quick)' if options.quick else ''}; work directory {ctx.work_dir}")
    mart: Mart = compile_mart(ctx, MART)
    results["views"] = mart.names

    bench_size = data.scale_size(chosen.scale)
    before = [p for p in chosen.scaling_points if data.scale_size(p) < bench_size]
    after = [p for p in chosen.scaling_points if data.scale_size(p) > bench_size]
    points: list[dict[str, Any]] = []
    for point in before:
        measured = _guard(results, f"scaling_{point}", ctx,
                          lambda p=point: scaling.measure_point(ctx, mart, p, options.seed,
                                                                chosen.scaling_reps))
        if measured:
            points.append(measured)
        results.pop(f"scaling_{point}", None)

    results["data"] = data.ensure_scale(ctx, chosen.scale, options.seed, force=options.reload)
    results["build"] = build_mart(ctx, mart, fresh=bool(results["data"]["reloaded"]))
    found = queries.queries_for(mart)
    params = queries.pick_parameters(ctx, mart)
    results["parameters"] = params
    ctx.say("parameters: " + queries.describe_parameters(params))

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
    if "orchestration_overhead" in chosen.sections:
        _guard(results, "orchestration_overhead", ctx,
               lambda: overhead.measure(ctx, mart, dbt_contrast=chosen.dbt_contrast))

    if chosen.scaling:
        if chosen.scale in chosen.scaling_points:
            here = _bench_scale_point(results, chosen.scale)
            if here is not None:
                points.append(here)
        for point in after:
            measured = _guard(results, f"scaling_{point}", ctx,
                              lambda p=point: scaling.measure_point(ctx, mart, p, options.seed,
                                                                    chosen.scaling_reps))
            if measured:
                points.append(measured)
            results.pop(f"scaling_{point}", None)
        points.sort(key=lambda p: p["inventory_snapshots"])
        results["scaling"] = {"enabled": True, "points": points, **scaling.fit(points),
                              "method": "sum over the views of the median concurrent refresh "
                                        "(REFRESH CONCURRENTLY + count), warm, after a rebuild "
                                        "of the mart at each scale"}
        if after:
            results["scaling"]["note"] = (f"the server now holds scale {after[-1]}, not "
                                          f"{chosen.scale}")
    else:
        results["scaling"] = {"enabled": False, "slope": None, "points": []}

    results["targets"] = targets.evaluate(results)
    results["targets_tally"] = targets.tally(results["targets"])
    results["machine"]["load_average_at_end"] = machine.load_average()
    results["duration_seconds"] = round(time.perf_counter() - started, 1)
    if json_path is not None:
        write_json(results, json_path)
        ctx.say(f"results written to {json_path}")
    return results
