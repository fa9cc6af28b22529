"""Which demo-data scale a mart's sources hold, and loading another one.

Each load by the demo-data engine is recorded per mart in `public.analytics_demo_loads`
(scale, seed, period); the bench reloads a mart only when the scale or seed asked for differs
from that record. A mart's data size is the row count of its simulator's probe table; in the
results it is named after that table (`data[<table>]`, `scaling.points[][<table>]`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from orchestration.bench.context import BenchContext, BenchError
from orchestration.core.marts import MartPlugin
from orchestration.core.migrations import migrate
from orchestration.demo_data.engine import BASE_SCALES, LOADS_TABLE, Simulator, load, parse_scale


@dataclass(frozen=True)
class LoadedData:
    size_key: str
    scale: str | None
    seed: int | None
    ends_at: datetime | None
    rows: int

    def as_dict(self) -> dict[str, Any]:
        age = None
        if self.ends_at is not None:
            age = round((datetime.now(UTC) - self.ends_at).total_seconds() / 3600, 2)
        return {"scale": self.scale, "seed": self.seed,
                "ends_at": self.ends_at.isoformat() if self.ends_at else None,
                "data_age_hours": age, self.size_key: self.rows}


def scale_name(scale: str) -> str:
    """The canonical name of a scale (`m/4` -> `M/4`); ValueError for an unknown one."""
    return parse_scale(scale).name


def scale_order(scale: str) -> tuple[int, float]:
    """A key ordering scales by size whatever the mart: S < M/4 < M/2 < M < L."""
    parsed = parse_scale(scale)
    return BASE_SCALES.index(parsed.base), 1.0 / parsed.divisor


def simulator(plugin: MartPlugin) -> Simulator:
    if plugin.simulator is None:
        raise BenchError(f"the {plugin.name} mart has no demo-data simulator to bench it on")
    return plugin.simulator


def size_key(plugin: MartPlugin) -> str:
    """The name of the data-size figure: the probe table's own name."""
    return simulator(plugin).probe_table.rpartition(".")[2]


def read_schemas(plugin: MartPlugin) -> tuple[str, ...]:
    """The source schema the views read: the simulator's first (what a user would have)."""
    return simulator(plugin).source_schemas[:1]


def loaded(ctx: BenchContext, plugin: MartPlugin) -> LoadedData:
    """What the demo-data engine last loaded into the mart's sources (scale None if unknown)."""
    probe = simulator(plugin).probe_table
    with ctx.cursor() as cur:
        cur.execute("select to_regclass(%s) is not null, to_regclass(%s) is not null",
                    (probe, LOADS_TABLE))
        row = cur.fetchone()
        has_probe, has_record = (bool(row[0]), bool(row[1])) if row else (False, False)
        rows = 0
        if has_probe:
            cur.execute(f"select count(*) from {probe}")
            counted = cur.fetchone()
            rows = int(counted[0]) if counted else 0
        record = None
        if has_record and rows:
            cur.execute(f"select scale, seed, ends_at from {LOADS_TABLE} where mart = %s",
                        (plugin.name,))
            record = cur.fetchone()
    if record is None:
        return LoadedData(size_key(plugin), None, None, None, rows)
    return LoadedData(size_key(plugin), str(record[0]), int(record[1]), record[2], rows)


def ensure_scale(ctx: BenchContext, plugin: MartPlugin, scale: str, seed: int, *,
                 force: bool = False) -> dict[str, Any]:
    """Load `scale` unless it (with `seed`) is what the mart holds; what happened, as a dict."""
    wanted = parse_scale(scale)
    probe = simulator(plugin).probe_table
    migrate(ctx.settings)
    before = loaded(ctx, plugin)
    if not force and before.scale == wanted.name and before.seed == seed:
        ctx.say(f"{plugin.name}: scale {wanted.name} (seed {seed}) already loaded: "
                f"{before.rows:,} rows in {probe}")
        return {"reloaded": False, "load_seconds": 0.0, "previous": before.as_dict(),
                "probe_table": probe, **loaded(ctx, plugin).as_dict()}
    what = "nothing" if before.scale is None else f"scale {before.scale} seed {before.seed}"
    ctx.say(f"{plugin.name}: loading scale {wanted.name} (seed {seed}); it holds {what}")
    started = time.perf_counter()
    load(ctx.settings, plugin.name, simulator(plugin), wanted, seed, ctx.console)
    seconds = time.perf_counter() - started
    after = loaded(ctx, plugin)
    ctx.say(f"{plugin.name}: loaded scale {wanted.name} in {seconds:.1f} s: "
            f"{after.rows:,} rows in {probe}")
    return {"reloaded": True, "load_seconds": round(seconds, 2), "previous": before.as_dict(),
            "probe_table": probe, **after.as_dict()}
