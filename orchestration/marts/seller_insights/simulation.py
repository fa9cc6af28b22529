"""The seller insights mart's simulated surplus-food marketplace: what scale S, M and L mean, and
the values the generator's SQL (`demo_data/`, scratch schema `seller_insights_sim`) gets.

Sellers (`surplus.sellers`) are bakeries, cafés, grocers, restaurants, sushi bars, delis,
vegan kitchens and juice bars (SELLER_TYPES, by weight) in the cities of CITIES, spread over
seven IANA time zones from Asia/Tokyo to America/Los_Angeles (so a window's local date is often
not its UTC date). Each has a name ("Linden Bakery Berlin"), a location near its city's centre
and a valid time zone (a seller without one is the tests' business). Most sellers were there
before the history starts; NEW_SELLER_SHARE start later, some a few days before the anchor or
just after it (a seller with one week of history, or none).

Each seller has: open weekdays (closed on Sundays about half the time, on Mondays sometimes);
one to three daily pickup windows at local times its type prefers (07:30 for a bakery, 21:30
for a sushi bar), each 30 to 120 minutes long; a base demand (units wanted per bundle, log-
normal around BASE_DEMAND_MEDIAN); a weekly pattern (WEEKDAY_PROFILE times the seller's own
factor per weekday); a daily pattern (a window's multiplier: its local start hour's HOUR_CURVE
times the seller's own factor); a price level (its type's range: the reference price) and a
price elasticity; a trend (demand grows or shrinks by TREND per month, compounded weekly); an
over- or under-posting factor (POSTING: posted units over expected demand); a lead-time profile
(how far ahead its buyers reserve); a base no-show propensity; and KINDS kinds of bundle it
posts ("the bread bag", "the mixed box"), each with 0 to 3 categories of the ten CATEGORIES
drawn from the seller's category mix (CATEGORY_COUNTS: about 1 kind in 20 has none) and a
price factor.

Bundles (`surplus.bundles`): on each open local day, each window gets a bundle with
probability POST_SHARE, of one of the seller's kinds (uniformly). window_start is the local
date and window time in the seller's zone (DST as the zone says), window_end its length later;
posted_at 1 to 14 days before the window (a seller-specific minimum, whole minutes). The
period: `weeks` weeks of history before the anchor (the load's `ends_at`) plus 14 days of
future windows after it; a bundle exists (in the sources and the truth alike) only if it was
posted by the anchor, so the further ahead, the fewer future bundles. bundle_id = seller_id *
100000 + the local day's number in the period * 4 + the window's number (1 to 3).

The truth of a bundle (`surplus_truth.bundle_outcomes`, one row per bundle of
`surplus.bundles`, past and future):
    expected_demand = base * weekday[dow] * window_mult * category_effect
                      * (price / reference_price) ^ (-elasticity) * exp(trend_per_week * weeks)
rounded to 0.01 (between 0.01 and MAX_DEMAND), where dow is the local ISO weekday, the category
effect is the geometric mean of the bundle's categories' multipliers (CATEGORIES' multiplier
times the seller's own taste for it; 1 for a bundle without category) and weeks counts from the
start of the history. demand ~ Poisson(expected_demand), drawn EXACTLY by inverse CDF: a table
of the Poisson CDF for every expected_demand the load uses (to 7 standard deviations plus 10)
and width_bucket() of a hashed uniform. total_qty = max(1, round(expected_demand * the seller's
posting factor * a bundle noise of 0.8 to 1.25)), so a good share of the bundles sell out.

Buyers come in arrival order: the demand's units are grouped into requests of 1 to 3 units
(blocks of three units split by a hashed pattern: 5 in 8 requests want one unit, 2 in 8 two,
1 in 8 three); the requests take the posted units first come, first served, the last one
taking what is left; the rest are turned away (`lost_units`). Each request that got units is a
reservation (`surplus.reservations`; reservation_id = bundle_id * 1000 + the request's first
unit's number; buyer_id a hash among 400 buyers per seller). Its reserved_at is window_start
minus a lead time from the seller's profile (15 minutes to 2 days, never before posted_at;
earlier arrivals reserve earlier). CANCEL_SHARE of the reservations are cancelled (cancelled_at
between reserved_at and window_start); their units are NOT offered again (neither reserved nor
lost: demand = reserved_units + cancelled units + lost_units). A reservation not cancelled is
a no-show with probability
    logistic(a_seller + NO_SHOW_LATE * [local start hour >= 19] + NO_SHOW_EARLY * [hour < 10]
             + NO_SHOW_LEAD * ln(lead hours))
(a_seller around NO_SHOW_BASE): longer leads and late windows no-show more, early ones less;
about one reserved unit in ten is a no-show. Otherwise collected_at is a moment inside the
window.

The sources hold what has happened by the anchor: reservations with reserved_at <= anchor,
cancelled_at and collected_at only if <= anchor (else NULL), so future bundles and windows
running at the anchor have reservations but no (or not all) collections yet. The truth holds
the eventual outcome: reserved_units = non-cancelled reserved units, lost_units = demand -
min(demand, total_qty), collected_units = reserved units collected in the end,
no_show_probability = the quantity-weighted mean no-show probability of the reserved units (a
bundle without any: the probability of a reservation at the seller's median lead).

Every timestamp in the sources is at or before the anchor. The data is clean (every seller has
a zone Postgres knows, no negative quantity, no reservation of an unknown bundle, no
collection before its reservation, no window ending before it starts): tests insert such rows
themselves. Pseudo-random numbers are hashes of (seed, ids), never random(). What the views and
the forecast may rely on: the tests in tests/python/marts/seller_insights/test_demo_data.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import accumulate
from pathlib import Path

from orchestration.demo_data.engine import Scale, Simulator

# (city, IANA time zone, latitude, longitude, weight).
CITIES: tuple[tuple[str, str, float, float, float], ...] = (
    ("Berlin", "Europe/Berlin", 52.5200, 13.4050, 6),
    ("Hamburg", "Europe/Berlin", 53.5511, 9.9937, 3),
    ("München", "Europe/Berlin", 48.1374, 11.5755, 3),
    ("London", "Europe/London", 51.5074, -0.1278, 6),
    ("Manchester", "Europe/London", 53.4808, -2.2426, 2),
    ("Lisboa", "Europe/Lisbon", 38.7223, -9.1393, 3),
    ("Porto", "Europe/Lisbon", 41.1579, -8.6291, 2),
    ("New York", "America/New_York", 40.7128, -74.0060, 5),
    ("Boston", "America/New_York", 42.3601, -71.0589, 2),
    ("Chicago", "America/Chicago", 41.8781, -87.6298, 3),
    ("Minneapolis", "America/Chicago", 44.9778, -93.2650, 1.5),
    ("Los Angeles", "America/Los_Angeles", 34.0522, -118.2437, 3),
    ("San Francisco", "America/Los_Angeles", 37.7749, -122.4194, 2),
    ("Seattle", "America/Los_Angeles", 47.6062, -122.3321, 1.5),
    ("Tokyo", "Asia/Tokyo", 35.6762, 139.6503, 4),
    ("Osaka", "Asia/Tokyo", 34.6937, 135.5023, 2),
)

# (category, demand multiplier). category_id is the position (1-based).
CATEGORIES: tuple[tuple[str, float], ...] = (
    ("Bakery", 1.10),
    ("Pastry", 1.05),
    ("Produce", 0.85),
    ("Dairy", 0.90),
    ("Prepared meals", 1.20),
    ("Sandwiches", 1.10),
    ("Sushi", 1.30),
    ("Groceries", 0.80),
    ("Drinks", 0.70),
    ("Vegan", 1.00),
)


@dataclass(frozen=True)
class SellerType:
    label: str
    weight: float
    # Category name -> weight in the type's mix.
    categories: dict[str, float]
    # Local pickup window start times the type chooses from ("HH:MM").
    windows: tuple[str, ...]
    # Reference unit price range.
    price: tuple[float, float]


SELLER_TYPES: tuple[SellerType, ...] = (
    SellerType("Bakery", 0.24, {"Bakery": 5, "Pastry": 3, "Sandwiches": 1, "Vegan": 0.5,
                                "Drinks": 0.3}, ("07:30", "12:30", "17:00", "18:30"),
               (2.5, 5.0)),
    SellerType("Café", 0.16, {"Pastry": 3, "Sandwiches": 3, "Drinks": 2, "Bakery": 2,
                              "Vegan": 1}, ("11:30", "14:00", "16:00", "17:30"), (3.0, 6.0)),
    SellerType("Grocer", 0.14, {"Produce": 4, "Dairy": 3, "Groceries": 4, "Bakery": 1,
                                "Drinks": 1}, ("08:00", "18:00", "19:30", "20:30"), (3.0, 8.0)),
    SellerType("Restaurant", 0.14, {"Prepared meals": 5, "Vegan": 1.5, "Sandwiches": 0.5,
                                    "Drinks": 0.5}, ("14:30", "21:00", "21:30", "22:00"),
               (4.0, 9.0)),
    SellerType("Sushi Bar", 0.10, {"Sushi": 6, "Prepared meals": 2, "Vegan": 0.5,
                                   "Drinks": 0.3}, ("14:00", "20:30", "21:30"), (5.0, 10.0)),
    SellerType("Deli", 0.09, {"Sandwiches": 4, "Prepared meals": 3, "Dairy": 1,
                              "Groceries": 1}, ("13:30", "15:00", "18:30"), (3.5, 7.0)),
    SellerType("Vegan Kitchen", 0.07, {"Vegan": 5, "Prepared meals": 3, "Produce": 1,
                                       "Drinks": 1}, ("14:00", "19:00", "21:00"), (4.0, 8.0)),
    SellerType("Juice Bar", 0.06, {"Drinks": 5, "Produce": 2, "Vegan": 2},
               ("09:00", "16:00", "18:00"), (2.5, 5.5)),
)

# First words of the sellers' names.
NAME_WORDS = (
    "Corner", "Golden", "Little", "Green", "Sunrise", "Harbour", "Old Town", "Maple", "Linden",
    "Riverside", "Market", "Village", "Blue Door", "Copper", "Olive", "Cedar", "Mill", "Station",
    "Parkside", "Lantern", "Honey", "Saffron", "Juniper", "Willow", "North Star", "Southside",
    "East End", "Hillside", "Kiln", "Bridge", "Orchard", "Bluebell",
)

# Mean demand by local ISO weekday (Monday first), times the seller's factor (0.85 to 1.18).
WEEKDAY_PROFILE = (0.85, 0.90, 0.95, 1.00, 1.15, 1.25, 0.95)
# Probability that a seller is open on the weekday.
OPEN_SHARE = (0.85, 0.97, 0.97, 0.97, 0.97, 0.97, 0.55)
# A window's demand multiplier by its local start hour: (from hour, multiplier), times the
# seller's factor per window (0.8 to 1.25).
HOUR_CURVE = ((0, 0.85), (10, 1.00), (15, 1.15), (19, 1.10), (21, 0.90))
# Windows per seller: 1, 2 or 3 with these weights; their length in minutes.
WINDOW_COUNTS = (0.4, 0.4, 0.2)
WINDOW_MINUTES = (30, 45, 60, 90, 120)
# Median units wanted per bundle of an average seller (log-normal, sigma 0.5).
BASE_DEMAND_MEDIAN = 10.0
BASE_DEMAND_SIGMA = 0.5
MAX_DEMAND = 150.0
# Demand change per month (uniform), compounded weekly.
TREND = (-0.03, 0.05)
# Price elasticity range (uniform).
ELASTICITY = (0.6, 1.8)
# Posted units over expected demand (the seller's factor, uniform).
POSTING = (0.7, 1.4)
# Share of an open day's windows with a bundle.
POST_SHARE = 0.9
# Kinds of bundle per seller; categories per kind (0, 1, 2, 3) by weight.
KINDS = 8
CATEGORY_COUNTS = (0.05, 0.40, 0.35, 0.20)
# Reservation lead times: from LEAD_MIN_HOURS to LEAD_MAX_HOURS (at most posted_at);
# lead = min * (max / min) ^ ((1 - position) ^ shape), shape per seller uniform in LEAD_SHAPE.
LEAD_MIN_HOURS = 0.25
LEAD_MAX_HOURS = 48.0
LEAD_SHAPE = (0.5, 3.0)
CANCEL_SHARE = 0.04
# No-show logistic: base per seller uniform around NO_SHOW_BASE (+- NO_SHOW_SPREAD / 2).
NO_SHOW_BASE = -2.75
NO_SHOW_SPREAD = 0.8
NO_SHOW_LATE = 0.5
NO_SHOW_EARLY = -0.4
NO_SHOW_LEAD = 0.3
# Sellers starting after the history's start.
NEW_SELLER_SHARE = 0.08
BUYERS_PER_SELLER = 400
FUTURE_DAYS = 14


@dataclass(frozen=True)
class ScaleSpec:
    """How big the simulated marketplace is: sellers, and weeks of history before the anchor."""

    name: str
    sellers: int
    weeks: int


SCALES: dict[str, ScaleSpec] = {
    # Tests: some 50 thousand reservations, in a few seconds.
    "S": ScaleSpec("S", sellers=60, weeks=12),
    # Benchmarks: over 5 million reservations.
    "M": ScaleSpec("M", sellers=1600, weeks=52),
    # Four times M's sellers over the same year.
    "L": ScaleSpec("L", sellers=4 * 1600, weeks=52),
}


def scale_spec(scale: Scale) -> ScaleSpec:
    """The marketplace of a scale; a fraction (M/4) has that fraction of the sellers."""
    base = SCALES[scale.base]
    if scale.divisor == 1:
        return base
    return replace(base, name=scale.name, sellers=max(1, round(base.sellers / scale.divisor)))


def describe(scale: Scale) -> str:
    spec = scale_spec(scale)
    return (f"{spec.sellers} sellers, {spec.weeks} weeks of history and {FUTURE_DAYS} days "
            f"ahead, {len(CITIES)} cities in {len({c[1] for c in CITIES})} time zones")


def _cumulative_starts(weights: tuple[float, ...] | list[float]) -> list[float]:
    """Where each weight's share of [0, 1) starts: thresholds for width_bucket()."""
    total = sum(weights)
    return [0.0, *(value / total for value in accumulate(weights))][:-1]


def generator_params(scale: Scale, seed: int, ends_at: datetime) -> dict[str, object]:
    spec = scale_spec(scale)
    if spec.sellers >= 21_000_000:
        raise ValueError("at most 21 million sellers (bundle ids)")
    start_ts = ends_at - timedelta(weeks=spec.weeks)
    category_no = {name: no for no, (name, _mult) in enumerate(CATEGORIES, 1)}
    type_categories = [(type_no, category_no[name], weight)
                       for type_no, kind in enumerate(SELLER_TYPES, 1)
                       for name, weight in kind.categories.items()]
    type_windows = [(type_no, time) for type_no, kind in enumerate(SELLER_TYPES, 1)
                    for time in kind.windows]
    return {
        "n_sellers": spec.sellers,
        "weeks": spec.weeks,
        "start_ts": start_ts,
        "end_future": ends_at + timedelta(days=FUTURE_DAYS),
        # Local days of the period in any zone (UTC-12 to UTC+14 around its ends).
        "first_day": (start_ts - timedelta(days=1)).date(),
        "last_day": (ends_at + timedelta(days=FUTURE_DAYS + 1)).date(),
        "city_names": [c[0] for c in CITIES],
        "city_zones": [c[1] for c in CITIES],
        "city_latitudes": [c[2] for c in CITIES],
        "city_longitudes": [c[3] for c in CITIES],
        "city_starts": _cumulative_starts([c[4] for c in CITIES]),
        "category_names": [c[0] for c in CATEGORIES],
        "category_mults": [c[1] for c in CATEGORIES],
        "type_labels": [t.label for t in SELLER_TYPES],
        "type_starts": _cumulative_starts([t.weight for t in SELLER_TYPES]),
        "type_price_lo": [t.price[0] for t in SELLER_TYPES],
        "type_price_hi": [t.price[1] for t in SELLER_TYPES],
        "type_category_types": [t for t, _c, _w in type_categories],
        "type_category_categories": [c for _t, c, _w in type_categories],
        "type_category_weights": [w for _t, _c, w in type_categories],
        "type_window_types": [t for t, _w in type_windows],
        "type_window_times": [w for _t, w in type_windows],
        "name_words": list(NAME_WORDS),
        "weekday_profile": list(WEEKDAY_PROFILE),
        "open_share": list(OPEN_SHARE),
        "hour_from": [h for h, _m in HOUR_CURVE],
        "hour_mults": [m for _h, m in HOUR_CURVE],
        "window_count_starts": _cumulative_starts(WINDOW_COUNTS),
        "window_minutes": list(WINDOW_MINUTES),
        "base_log_median": math.log(BASE_DEMAND_MEDIAN),
        "base_sigma": BASE_DEMAND_SIGMA,
        "max_demand": MAX_DEMAND,
        # Per-week log growth for the monthly range.
        "trend_lo": math.log(1 + TREND[0]) * 12 / 52,
        "trend_hi": math.log(1 + TREND[1]) * 12 / 52,
        "elasticity_lo": ELASTICITY[0],
        "elasticity_hi": ELASTICITY[1],
        "posting_lo": POSTING[0],
        "posting_hi": POSTING[1],
        "post_share": POST_SHARE,
        "kinds": KINDS,
        "category_count_starts": _cumulative_starts(CATEGORY_COUNTS),
        "lead_min": LEAD_MIN_HOURS,
        "lead_max": LEAD_MAX_HOURS,
        "lead_shape_lo": LEAD_SHAPE[0],
        "lead_shape_hi": LEAD_SHAPE[1],
        "cancel_share": CANCEL_SHARE,
        "no_show_base": NO_SHOW_BASE,
        "no_show_spread": NO_SHOW_SPREAD,
        "no_show_late": NO_SHOW_LATE,
        "no_show_early": NO_SHOW_EARLY,
        "no_show_lead": NO_SHOW_LEAD,
        "new_seller_share": NEW_SELLER_SHARE,
        "n_buyers": BUYERS_PER_SELLER * spec.sellers,
    }


SIMULATOR = Simulator(
    sql_dir=Path(__file__).resolve().parent / "demo_data",
    # The truth is published at the same time, in its own session; both commit together.
    source_schemas=("surplus", "surplus_truth"),
    scratch_schema="seller_insights_sim",
    probe_table="surplus.reservations",
    params=generator_params,
    describe=describe,
    bulk_tables=(
        "surplus.reservations",
        "surplus.bundles",
        "surplus.bundle_categories",
        "surplus_truth.bundle_outcomes",
    ),
    publish_settings={"work_mem": "1GB"},
)
