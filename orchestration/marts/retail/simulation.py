"""The retail mart's simulated crawler: what scale S, M and L mean and the generator's values.

A crawler's database (the multi-store catalogue) is simulated inside Postgres by the SQL in
`demo_data/` (scratch schema `retail_sim`): each store product has a demand rate (its velocity
tier), a par level and a restock period; demand follows a store clock (hour of day, weekday,
daily shocks) bent by one of 16 demand curves; a restock fills the shelf up to the par level;
demand finding an empty shelf is lost. `retail_raw` gets what the crawler saw, `retail_truth`
what really happened. Pseudo-random numbers are hashes of (seed, ids), never random(). The
model in full: docs/retail-mart.md.

Time: the simulation starts at the UTC midnight `days` days before the anchor's date
(`starts_at`) and ends at the anchor (`ends_at`); `retail_truth.simulation` and
`public.analytics_demo_loads` record both. Each store lives on its own LOCAL calendar days (its
state's IANA zone, daylight saving time included): it starts at its first local midnight, its
shoppers follow LOCAL_HOUR_WEIGHTS in its local hours, and the truth counts its local days.

Advancing (`analytics demo-data --advance 1h`): the generator runs again from the recorded start
to the new end, restricted to what is new since the previous end (`from_us`), and inserts it.
Nothing in the rows of a period depends on where the simulation ends (stores stop being crawled,
products are introduced and delisted relative to the start), so a load to T advanced by 1 h
holds the same rows as a load to T + 1 h. Late crawls: 03_timeline.sql.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchestration.demo_data.engine import Scale, Simulator

# Shoppers by local hour (0-23) in each store's own time zone.
LOCAL_HOUR_WEIGHTS = (
    0.10, 0.06, 0.04, 0.03, 0.03, 0.04, 0.08, 0.20, 0.45, 0.70, 0.90, 1.00,
    1.10, 1.05, 1.05, 1.15, 1.35, 1.50, 1.45, 1.20, 0.90, 0.55, 0.30, 0.18,
)
# Snapshot ids are visit number * 4096 + the product's rank in its store.
MAX_PRODUCTS_PER_STORE = 4096


@dataclass(frozen=True)
class ScaleSpec:
    """How big the simulated crawl is."""

    name: str
    stores: int
    products_per_store: int
    days: int
    catalog_products: int
    brands: int

    @property
    def store_products(self) -> int:
        return self.stores * self.products_per_store


SCALES: dict[str, ScaleSpec] = {
    # Tests: a few hundred thousand snapshots in seconds.
    "S": ScaleSpec("S", stores=20, products_per_store=100, days=60, catalog_products=300,
                   brands=30),
    # Benchmarks: 10M+ snapshots over 120 days.
    "M": ScaleSpec("M", stores=100, products_per_store=500, days=120, catalog_products=1500,
                   brands=80),
    # Four times M: twice the stores, twice the menu.
    "L": ScaleSpec("L", stores=200, products_per_store=1000, days=120, catalog_products=3000,
                   brands=150),
}


def scale_spec(scale: Scale) -> ScaleSpec:
    """The crawl of a scale; a fraction (M/4) has that fraction of the stores."""
    base = SCALES[scale.base]
    if scale.divisor == 1:
        return base
    return replace(base, name=scale.name, stores=max(1, round(base.stores / scale.divisor)))


def describe(scale: Scale) -> str:
    spec = scale_spec(scale)
    return f"{spec.stores} stores x {spec.products_per_store} products, {spec.days} days"


def start_of(ends_at: datetime, scale: Scale) -> datetime:
    """The simulation's start for a load ending at `ends_at`: the UTC midnight `days` days
    before its date (an advance keeps the start its load recorded)."""
    return datetime.combine(ends_at.date() - timedelta(days=scale_spec(scale).days),
                            datetime.min.time(), tzinfo=UTC)


def generator_params(scale: Scale, seed: int, ends_at: datetime) -> dict[str, object]:
    """The values of a full load to `ends_at`."""
    return advance_params(scale, seed, start_of(ends_at, scale), None, ends_at)


def advance_params(
    scale: Scale, seed: int, starts_at: datetime, from_at: datetime | None, ends_at: datetime
) -> dict[str, object]:
    """The values of a run from `starts_at` to `ends_at` writing what is new since `from_at`
    (everything when None: a full load)."""
    spec = scale_spec(scale)
    if spec.products_per_store >= MAX_PRODUCTS_PER_STORE:
        raise ValueError(f"at most {MAX_PRODUCTS_PER_STORE - 1} products per store (ids)")
    if ends_at < starts_at + timedelta(days=spec.days):
        raise ValueError(f"the simulation ends at {ends_at}, before its start + {spec.days} days")
    microsecond = timedelta(microseconds=1)
    return {
        "n_stores": spec.stores,
        "per_store": spec.products_per_store,
        "n_catalog": max(spec.catalog_products, spec.products_per_store),
        "n_brands": spec.brands,
        "days": spec.days,
        # Local days simulated: every day up to the end's, and one more (see 03_timeline.sql).
        "span_days": math.ceil((ends_at - starts_at) / timedelta(days=1)) + 1,
        "start_date": starts_at.date(),
        "start_ts": starts_at,
        "end_us": (ends_at - starts_at) // microsecond,
        # A full load writes everything: "from" far before the start.
        "from_us": -(2**62) if from_at is None else (from_at - starts_at) // microsecond,
        "local_hour_weights": list(LOCAL_HOUR_WEIGHTS),
    }


SIMULATOR = Simulator(
    sql_dir=Path(__file__).resolve().parent / "demo_data",
    source_schemas=("retail_raw", "retail_truth"),
    scratch_schema="retail_sim",
    probe_table="retail_raw.inventory_snapshots",
    params=generator_params,
    advance_params=advance_params,
    describe=describe,
    bulk_tables=(
        "retail_raw.inventory_snapshots",
        "retail_raw.product_visibility_events",
        "retail_truth.stock_events",
        "retail_truth.daily_product_truth",
    ),
    # The publishing sessions sort the snapshots by id in memory.
    publish_settings={"work_mem": "2GB"},
)
