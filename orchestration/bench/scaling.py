"""How the mart's refresh time grows with the data: S, M/4, M/2, M (and L on request).

At each scale: load it, build the mart, then the whole-mart refresh time = the sum over the
views of the median concurrent refresh (REFRESH CONCURRENTLY + count, as the materialization
runs it), plus the sum of the views' floors. The slope of log(time) against log(data size) (the
rows of the mart's probe table, see `data`) by least squares says how it grows: 1 is linear.
"""

from __future__ import annotations

from typing import Any

from orchestration.bench import data
from orchestration.bench.build import build_mart
from orchestration.bench.context import BenchContext
from orchestration.bench.mart import Mart
from orchestration.bench.refresh_cost import (
    execution_ms,
    index_definitions,
    is_table,
    rebuild_round,
    refresh_round,
)
from orchestration.bench.stats import loglog_slope, median
from orchestration.core.marts import MartPlugin

BASE_POINTS = ("S", "M/4", "M/2", "M")


def points(up_to: str) -> list[str]:
    """The scales measured, smallest first: S, M/4, M/2, M, and L when up_to is L."""
    chosen = list(BASE_POINTS)
    if data.scale_name(up_to) == "L":
        chosen.append("L")
    return chosen


def mart_refresh(ctx: BenchContext, mart: Mart, reps: int) -> dict[str, Any]:
    """Whole-mart concurrent refresh time (sum of per-view medians) and sum of floors. An
    incremental table (no REFRESH) counts its full recomputation (the rebuild round): what
    grows with the data."""
    per_view: dict[str, float] = {}
    floors: dict[str, float] = {}
    conn = ctx.connect(autocommit=True, application_name="analytics-bench-scaling")
    try:
        with conn.cursor() as cur:
            for view in mart.views:
                if is_table(cur, view):
                    indexes = index_definitions(cur, view)
                    per_view[view.name] = round(median(
                        [rebuild_round(cur, view, indexes, table=True)["total"]
                         for _ in range(reps)]), 4)
                else:
                    refresh_round(cur, view, concurrently=True)  # warm-up
                    per_view[view.name] = round(median(
                        [refresh_round(cur, view, concurrently=True)["total"]
                         for _ in range(reps)]), 4)
                floors[view.name] = round(execution_ms(cur, view.compiled_sql)[0] / 1000.0, 4)
    finally:
        conn.close()
    return {"whole_refresh_seconds": round(sum(per_view.values()), 4),
            "floor_seconds": round(sum(floors.values()), 4),
            "views_refresh_seconds": per_view, "views_floor_seconds": floors}


def measure_point(ctx: BenchContext, plugin: MartPlugin, mart: Mart, scale: str, seed: int,
                  reps: int) -> dict[str, Any]:
    ctx.say(f"scaling: the {plugin.name} mart at scale {scale}")
    loaded = data.ensure_scale(ctx, plugin, scale, seed)
    build = build_mart(ctx, mart, fresh=True, sources=data.read_schemas(plugin))
    refresh = mart_refresh(ctx, mart, reps)
    key = data.size_key(plugin)
    ctx.say(f"  scale {scale}: {loaded[key]:,} rows in {loaded['probe_table']}, whole refresh "
            f"{refresh['whole_refresh_seconds']:.2f} s (floors {refresh['floor_seconds']:.2f} s)")
    return {"scale": data.scale_name(scale), key: loaded[key],
            "load_seconds": loaded["load_seconds"], "build_wall_seconds": build["wall_seconds"],
            "build_sql_seconds": build["sql_seconds"], **refresh}


def fit(results: list[dict[str, Any]], size_key: str) -> dict[str, Any]:
    """Log-log slopes of the points' times against their data size (`size_key`)."""
    xs = [float(p[size_key]) for p in results]
    slope = loglog_slope(xs, [float(p["whole_refresh_seconds"]) for p in results])
    floor_slope = loglog_slope(xs, [float(p["floor_seconds"]) for p in results])
    built = [p for p in results if p.get("build_sql_seconds")]
    build_slope = loglog_slope([float(p[size_key]) for p in built],
                               [float(p["build_sql_seconds"]) for p in built])
    return {
        "slope": round(slope, 3) if slope is not None else None,
        "floor_slope": round(floor_slope, 3) if floor_slope is not None else None,
        "build_slope": round(build_slope, 3) if build_slope is not None else None,
    }
