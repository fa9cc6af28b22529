"""Which demo-data scale the server holds, and loading another one.

`analytics demo-data` records each load in `retail_truth.simulation` (scale, seed, period);
the bench reloads only when the scale or seed asked for differs from that record.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from orchestration import demo_data, migrations
from orchestration.bench.context import BenchContext


@dataclass(frozen=True)
class LoadedData:
    scale: str | None
    seed: int | None
    ends_at: datetime | None
    snapshots: int

    def as_dict(self) -> dict[str, Any]:
        age = None
        if self.ends_at is not None:
            age = round((datetime.now(UTC) - self.ends_at).total_seconds() / 3600, 2)
        return {"scale": self.scale, "seed": self.seed,
                "ends_at": self.ends_at.isoformat() if self.ends_at else None,
                "data_age_hours": age, "inventory_snapshots": self.snapshots}


def scale_name(scale: str) -> str:
    """The canonical name of a scale (`m/4` -> `M/4`); ValueError for an unknown one."""
    return str(demo_data.scale_spec(scale).name)


def scale_size(scale: str) -> int:
    """A size to order scales by: store products times days."""
    spec = demo_data.scale_spec(scale)
    return int(spec.stores * spec.products_per_store * spec.days)


def loaded(ctx: BenchContext) -> LoadedData:
    """What `analytics demo-data` last loaded into this server (scale None if unknown)."""
    with ctx.cursor() as cur:
        cur.execute("select to_regclass('retail_raw.inventory_snapshots') is not null,"
                    " to_regclass('retail_truth.simulation') is not null")
        row = cur.fetchone()
        has_snapshots, has_record = (bool(row[0]), bool(row[1])) if row else (False, False)
        snapshots = 0
        if has_snapshots:
            cur.execute("select count(*) from retail_raw.inventory_snapshots")
            counted = cur.fetchone()
            snapshots = int(counted[0]) if counted else 0
        if not has_record or snapshots == 0:
            return LoadedData(None, None, None, snapshots)
        cur.execute("select scale, seed, ends_at from retail_truth.simulation"
                    " order by loaded_at desc limit 1")
        record = cur.fetchone()
    if record is None:
        return LoadedData(None, None, None, snapshots)
    return LoadedData(str(record[0]), int(record[1]), record[2], snapshots)


def ensure_scale(ctx: BenchContext, scale: str, seed: int, *, force: bool = False) -> dict[str, Any]:
    """Load `scale` unless it (with `seed`) is what the server holds; what happened, as a dict."""
    wanted = scale_name(scale)
    migrations.migrate(ctx.settings)
    before = loaded(ctx)
    if not force and before.scale == wanted and before.seed == seed:
        ctx.say(f"scale {wanted} (seed {seed}) already loaded: {before.snapshots:,} snapshots")
        return {"reloaded": False, "load_seconds": 0.0, "previous": before.as_dict(),
                **loaded(ctx).as_dict()}
    what = "nothing" if before.scale is None else f"scale {before.scale} seed {before.seed}"
    ctx.say(f"loading scale {wanted} (seed {seed}); the server holds {what}")
    started = time.perf_counter()
    demo_data.load(ctx.settings, demo_data.scale_spec(wanted), seed=seed, console=ctx.console)
    seconds = time.perf_counter() - started
    after = loaded(ctx)
    ctx.say(f"loaded scale {wanted} in {seconds:.1f} s: {after.snapshots:,} snapshots")
    return {"reloaded": True, "load_seconds": round(seconds, 2), "previous": before.as_dict(),
            **after.as_dict()}
