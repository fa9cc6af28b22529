"""The search-performance mart's simulated reports: what scale S, M and L mean, and the values
the generator's SQL (`demo_data/`, scratch schema `search_performance_sim`) gets.

Amazon publishes a Search Query Performance report per ASIN and week, Sunday to Saturday:
for each of the ASIN's top search queries, the market's totals for that query and week
(searches, impressions, clicks, cart adds, purchases: the same for every ASIN shown on it) and
the ASIN's own counts. The simulation has brands of Zipf-like popularity, each selling in a
niche; ASINs with a strength, a price and up to 50 candidate queries from their niche's pool;
the market's totals per query and week follow a seasonal curve (a Q4 peak, a few niches
peaking in summer or January); an ASIN's counts are its share of the totals, shares of all the
simulated ASINs on one query and week summing to at most 80 in a hundred. Some ASINs launch
after the first week, some stop selling; a few reports were reloaded (corrected) after their
first load. The brand catalogue has the mapping defects of a real one: old deactivated rows,
one ASIN moved to another brand, one ASIN mapped twice, a few ASINs with no active mapping.
Pseudo-random numbers are hashes of (seed, ids), never random(). What the models may rely on:
docs/demo-data.md and the tests in tests/python/marts/search_performance/.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from orchestration.demo_data.engine import Scale, Simulator

# Search queries in an ASIN's report in a week (Amazon shows the top ones).
MIN_QUERIES = 10
MAX_QUERIES = 50


@dataclass(frozen=True)
class ScaleSpec:
    """How big the simulated report history is."""

    name: str
    asins: int
    weeks: int
    brands: int


SCALES: dict[str, ScaleSpec] = {
    # Tests: some 70 thousand search query rows in a few seconds.
    "S": ScaleSpec("S", asins=150, weeks=26, brands=12),
    # Benchmarks: a year of reports, some 3 million search query rows.
    "M": ScaleSpec("M", asins=3000, weeks=52, brands=60),
    # Four times M: four times the ASINs over the same year.
    "L": ScaleSpec("L", asins=12000, weeks=52, brands=200),
}


def scale_spec(scale: Scale) -> ScaleSpec:
    """The reports of a scale; a fraction (M/4) has that fraction of the ASINs and brands."""
    base = SCALES[scale.base]
    if scale.divisor == 1:
        return base
    return replace(base, name=scale.name, asins=max(20, round(base.asins / scale.divisor)),
                   brands=max(6, round(base.brands / scale.divisor)))


def describe(scale: Scale) -> str:
    spec = scale_spec(scale)
    return f"{spec.asins} ASINs of {spec.brands} brands, {spec.weeks} weekly reports"


def last_report_end(ends_at: datetime) -> date:
    """The Saturday ending the last full Sunday-to-Saturday week before the anchor's date."""
    day = ends_at.astimezone(UTC).date()
    saturday = 5  # date.weekday(): Monday 0 ... Saturday 5, Sunday 6
    return day - timedelta(days=(day.weekday() - saturday) % 7 or 7)


def generator_params(scale: Scale, seed: int, ends_at: datetime) -> dict[str, object]:
    spec = scale_spec(scale)
    last_end = last_report_end(ends_at)
    first_start = last_end - timedelta(days=7 * spec.weeks - 1)
    return {
        "n_asins": spec.asins,
        "n_brands": spec.brands,
        "n_weeks": spec.weeks,
        "first_start": first_start,
        "start_ts": datetime.combine(first_start, datetime.min.time(), tzinfo=UTC),
        "min_queries": MIN_QUERIES,
        "max_queries": MAX_QUERIES,
    }


SIMULATOR = Simulator(
    sql_dir=Path(__file__).resolve().parent / "demo_data",
    source_schemas=("sqp", "public"),
    scratch_schema="search_performance_sim",
    probe_table="sqp.asin_performance_data",
    params=generator_params,
    describe=describe,
    bulk_tables=("sqp.asin_performance_data", "sqp.search_query_performance"),
    # The publishing session sorts the search query rows by id in memory.
    publish_settings={"work_mem": "1GB"},
    # `public` is shared with the application and the other marts: only these are ours.
    source_tables={"public": ("brands", "asin_brand_mapping")},
)
