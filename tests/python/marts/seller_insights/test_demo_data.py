"""The seller insights mart's simulated data set at scale S: scales, the load, determinism, the
sellers and their zones, bundles and their categories, reservations capped by the posted
quantity, cancellations and no-shows, the truth agreeing with the sources, future bundles,
and nothing after the anchor.

What the views' and the forecast's tests may rely on is what these tests hold (simulation.py
describes the model); the views' formulas are tested with the views."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from orchestration.core import migrations
from orchestration.core.marts import discover
from orchestration.core.settings import ConnectionSettings
from orchestration.demo_data.engine import is_empty, parse_scale
from orchestration.marts.seller_insights.simulation import (
    CATEGORIES,
    FUTURE_DAYS,
    SIMULATOR,
    ScaleSpec,
    describe,
    scale_spec,
)
from tests.python.marts.built_marts import own_database, reload_seeds
from tests.python.marts.seller_insights.conftest import (
    ANCHOR,
    MART,
    LoadedSources,
    load,
    one,
    query,
)

RELOAD_DATABASE = "analytics_seller_insights_reload_tests"
# Each table and the columns ordering its rows.
TABLES = {
    "surplus.sellers": "seller_id",
    "surplus.categories": "category_id",
    "surplus.bundles": "bundle_id",
    "surplus.bundle_categories": "bundle_id, category_id",
    "surplus.reservations": "reservation_id",
    "surplus_truth.bundle_outcomes": "bundle_id",
}
# Every table's rows in key order, hashed: compares whole loads.
FINGERPRINT = "select " + ", ".join(
    f"(select md5(string_agg(t::text, '|' order by {order})) from {table} t)"
    for table, order in TABLES.items())
HISTORY = timedelta(weeks=12)
# Bundles whose window ended by the anchor, with their sources' units and their truth.
PAST = """
    select b.bundle_id, b.total_qty, t.demand, t.reserved_units, t.lost_units,
           t.collected_units, coalesce(r.booked, 0) as booked, coalesce(r.kept, 0) as kept,
           coalesce(r.collected, 0) as collected
    from surplus.bundles b
    join surplus_truth.bundle_outcomes t using (bundle_id)
    left join (select bundle_id, sum(quantity) as booked,
                      sum(quantity) filter (where cancelled_at is null) as kept,
                      sum(quantity) filter (where collected_at is not null) as collected
               from surplus.reservations group by bundle_id) r using (bundle_id)
    where b.window_end <= %(anchor)s"""


def spec(name: str) -> ScaleSpec:
    return scale_spec(parse_scale(name))


@pytest.fixture()
def loaded(seller_insights_s: LoadedSources) -> ConnectionSettings:
    return seller_insights_s.settings


# Scales ---------------------------------------------------------------------------------------

def test_scales_and_fractions() -> None:
    small, medium, large = spec("s"), spec("M"), spec("L")
    assert (small.sellers, small.weeks) == (60, 12)
    assert medium.weeks == large.weeks == 52
    assert large.sellers == 4 * medium.sellers
    quarter = spec("M/4")
    assert (quarter.name, quarter.weeks, quarter.sellers) == ("M/4", 52, medium.sellers // 4)
    assert "60 sellers, 12 weeks" in describe(parse_scale("S"))


def test_the_mart_is_a_plug_in_with_this_simulator() -> None:
    plugin = discover()[MART]
    assert plugin.simulator is SIMULATOR
    assert SIMULATOR.source_schemas == ("surplus", "surplus_truth")
    assert SIMULATOR.probe_table == "surplus.reservations"
    assert "surplus.reservations" in SIMULATOR.bulk_tables


# The load -------------------------------------------------------------------------------------

def test_report_and_counts(seller_insights_s: LoadedSources) -> None:
    settings, report = seller_insights_s.settings, seller_insights_s.load
    counts = dict(query(settings, " union all ".join(
        f"select '{table}', count(*) from {table}" for table in TABLES)))
    assert report.rows == counts
    assert (counts["surplus.sellers"], counts["surplus.categories"]) == (60, len(CATEGORIES))
    assert counts["surplus.bundles"] == counts["surplus_truth.bundle_outcomes"]
    assert 6_000 <= counts["surplus.bundles"] <= 12_000
    reservations = counts["surplus.reservations"]
    assert 35_000 <= reservations <= 75_000
    # M has 52 weeks of as many reservations per seller and week: over 5 million.
    medium = spec("M")
    assert reservations / (60 * 12) * medium.sellers * medium.weeks >= 5_000_000
    assert report.seconds < 15
    assert report.starts_at == ANCHOR - HISTORY and report.ends_at == ANCHOR
    assert not is_empty(settings, SIMULATOR)


def test_migrations_are_idempotent_and_the_views_owner_reads(loaded: ConnectionSettings) -> None:
    assert migrations.migrate(loaded) == []
    for table in TABLES:
        if table.startswith("surplus."):
            assert one(loaded, "select has_table_privilege('analytics_owner', %s, 'select')",
                       (table,))[0], table
    assert not one(loaded, "select has_table_privilege('analytics_owner', "
                           "'surplus_truth.bundle_outcomes', 'select')")[0]


def test_nothing_after_the_anchor(loaded: ConnectionSettings) -> None:
    late = one(loaded, """
        select (select count(*) from surplus.sellers where created_at > %(anchor)s),
               (select count(*) from surplus.bundles where posted_at > %(anchor)s),
               (select count(*) from surplus.reservations
                where reserved_at > %(anchor)s or collected_at > %(anchor)s
                   or cancelled_at > %(anchor)s)""", {"anchor": ANCHOR})
    assert late == (0, 0, 0)
    first, last = one(loaded, "select min(window_start), max(window_start) from surplus.bundles")
    assert ANCHOR - HISTORY <= first < ANCHOR - HISTORY + timedelta(days=1)
    assert ANCHOR + timedelta(days=FUTURE_DAYS - 2) < last < ANCHOR + timedelta(days=FUTURE_DAYS)
    # The history runs up to the anchor: collections on each of its last 7 days.
    days = one(loaded, """
        select count(distinct floor(extract(epoch from %(anchor)s - collected_at) / 86400))
        from surplus.reservations where collected_at > %(anchor)s - interval '7 days'""",
               {"anchor": ANCHOR})[0]
    assert days == 7


# Determinism ----------------------------------------------------------------------------------

@pytest.fixture()
def reload_settings(pg_settings: ConnectionSettings) -> Iterator[ConnectionSettings]:
    """Another database, to reload in without touching the session's loaded one."""
    with own_database(pg_settings, RELOAD_DATABASE) as settings:
        yield settings


def test_the_same_seed_gives_the_same_data_another_seed_other_data(
    loaded: ConnectionSettings, reload_settings: ConnectionSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reloads = reload_seeds(reload_settings, MART, load, FINGERPRINT, monkeypatch)
    expected = one(loaded, FINGERPRINT)
    assert reloads.same_seed == expected
    differs = reloads.other_seed_differs(TABLES, expected)
    assert differs == {**{table: True for table in TABLES}, "surplus.categories": False}
    assert reloads.recorded == (1, "S")


# Sellers --------------------------------------------------------------------------------------

def test_every_seller_has_a_known_zone_and_a_location(loaded: ConnectionSettings) -> None:
    unknown, zones, no_location, named = one(loaded, """
        select count(*) filter (where time_zone is null
                                   or time_zone not in (select name from pg_timezone_names)),
               count(distinct time_zone),
               count(*) filter (where latitude is null or longitude is null
                                   or latitude not between -90 and 90
                                   or longitude not between -180 and 180),
               count(distinct name)
        from surplus.sellers""")
    assert unknown == 0 and no_location == 0
    assert zones >= 6
    assert named >= 55
    # Local dates differ from UTC dates for a good share of the bundles.
    other_date = one(loaded, """
        select avg(((b.window_start at time zone s.time_zone)::date
                    <> (b.window_start at time zone 'UTC')::date)::integer)
        from surplus.bundles b join surplus.sellers s using (seller_id)""")[0]
    assert 0.03 <= other_date <= 0.7, other_date


def test_sellers_with_a_short_history_or_none(loaded: ConnectionSettings) -> None:
    firsts = [row[0] for row in query(loaded, """
        select min(b.window_start) from surplus.sellers s
        left join surplus.bundles b using (seller_id) group by s.seller_id""")]
    late = [first for first in firsts if first is None or first > ANCHOR - HISTORY + timedelta(days=7)]
    assert 1 <= len(late) <= 12
    # Every seller signed up before posting its first bundle.
    assert one(loaded, """
        select count(*) from surplus.sellers s
        join (select seller_id, min(posted_at) as first_post from surplus.bundles
              group by seller_id) b using (seller_id)
        where s.created_at > b.first_post""")[0] == 0


# Bundles --------------------------------------------------------------------------------------

def test_bundles_are_clean(loaded: ConnectionSettings) -> None:
    bad = one(loaded, """
        select count(*) filter (where window_end <= window_start
                                   or window_end > window_start + interval '2 hours'),
               count(*) filter (where total_qty < 1 or price <= 0),
               count(*) filter (where posted_at > window_start - interval '1 day'
                                   or posted_at < window_start - interval '14 days'),
               count(*) filter (where seller_id not in (select seller_id from surplus.sellers))
        from surplus.bundles""")
    assert bad == (0, 0, 0, 0)
    # Each seller has one to three local window start times, at whole quarter hours.
    windows = query(loaded, """
        select count(distinct (b.window_start at time zone s.time_zone)::time),
               bool_and(extract(minute from b.window_start at time zone s.time_zone)::integer
                        in (0, 15, 30, 45))
        from surplus.bundles b join surplus.sellers s using (seller_id) group by s.seller_id""")
    assert all(1 <= n <= 3 and quarter for n, quarter in windows)
    assert {n for n, _quarter in windows} == {1, 2, 3}


def test_categories_none_one_or_up_to_three(loaded: ConnectionSettings) -> None:
    names = {row[0] for row in query(loaded, "select category_name from surplus.categories")}
    assert names == {name for name, _mult in CATEGORIES}
    shares = dict(query(loaded, """
        select n, count(*)::float / sum(count(*)) over ()
        from (select b.bundle_id, count(bc.category_id) as n from surplus.bundles b
              left join surplus.bundle_categories bc using (bundle_id) group by b.bundle_id) x
        group by n"""))
    assert set(shares) == {0, 1, 2, 3}
    assert 0.02 <= shares[0] <= 0.09
    assert 0.1 <= shares[3] <= 0.3
    assert one(loaded, """
        select count(*) from surplus.bundle_categories
        where bundle_id not in (select bundle_id from surplus.bundles)
           or category_id not in (select category_id from surplus.categories)""")[0] == 0


def test_future_bundles_are_posted_ahead_and_not_collected(loaded: ConnectionSettings) -> None:
    days, bundles, collected, reserved = one(loaded, """
        select count(distinct floor(extract(epoch from b.window_start - %(anchor)s) / 86400)),
               count(distinct b.bundle_id),
               count(r.collected_at),
               count(r.reservation_id)
        from surplus.bundles b left join surplus.reservations r using (bundle_id)
        where b.window_start > %(anchor)s""", {"anchor": ANCHOR})
    assert days >= FUTURE_DAYS - 2
    assert bundles >= 300
    assert collected == 0
    # Some are reserved already (most buyers reserve hours, not days, ahead).
    assert reserved > 0
    # The nearer the window, the more of its bundles are posted already.
    near, far = one(loaded, """
        select count(*) filter (where window_start <= %(anchor)s + interval '2 days'),
               count(*) filter (where window_start > %(anchor)s + interval '12 days')
        from surplus.bundles where window_start > %(anchor)s""", {"anchor": ANCHOR})
    assert near > 2 * far > 0
    # Their eventual outcome is in the truth only.
    eventual = one(loaded, """
        select sum(collected_units) from surplus_truth.bundle_outcomes
        where window_start > %(anchor)s""", {"anchor": ANCHOR})[0]
    assert eventual > 0


# Reservations ---------------------------------------------------------------------------------

def test_reservations_never_exceed_the_posted_quantity(loaded: ConnectionSettings) -> None:
    over, bad_quantity, unknown = one(loaded, """
        select (select count(*) from (
                    select b.bundle_id from surplus.bundles b
                    join surplus.reservations r using (bundle_id)
                    group by b.bundle_id, b.total_qty having sum(r.quantity) > b.total_qty) x),
               (select count(*) from surplus.reservations where quantity not between 1 and 3),
               (select count(*) from surplus.reservations
                where bundle_id not in (select bundle_id from surplus.bundles))""")
    assert (over, bad_quantity, unknown) == (0, 0, 0)
    sizes = dict(query(loaded, """
        select quantity, count(*)::float / sum(count(*)) over ()
        from surplus.reservations group by quantity"""))
    assert sizes[1] > sizes[2] > sizes[3] > 0.05


def test_reservation_times(loaded: ConnectionSettings) -> None:
    bad = one(loaded, """
        select count(*) filter (where r.reserved_at < b.posted_at
                                   or r.reserved_at > b.window_start - interval '15 minutes'
                                   or r.reserved_at < b.window_start - interval '48 hours'),
               count(*) filter (where r.collected_at < b.window_start
                                   or r.collected_at > b.window_end),
               count(*) filter (where r.cancelled_at < r.reserved_at
                                   or r.cancelled_at > b.window_start),
               count(*) filter (where r.cancelled_at is not null and r.collected_at is not null)
        from surplus.reservations r join surplus.bundles b using (bundle_id)""")
    assert bad == (0, 0, 0, 0)
    median, p90 = one(loaded, """
        select percentile_cont(0.5) within group (order by h),
               percentile_cont(0.9) within group (order by h)
        from (select extract(epoch from b.window_start - r.reserved_at) / 3600 as h
              from surplus.reservations r join surplus.bundles b using (bundle_id)) x""")
    assert 0.5 <= median <= 8 and 12 <= p90 <= 48


def test_cancellations_and_no_shows(loaded: ConnectionSettings) -> None:
    cancelled, no_show = one(loaded, """
        select avg((r.cancelled_at is not null)::integer),
               sum(r.quantity) filter (where r.cancelled_at is null and r.collected_at is null)::float
                   / sum(r.quantity) filter (where r.cancelled_at is null)
        from surplus.reservations r join surplus.bundles b using (bundle_id)
        where b.window_end <= %(anchor)s""", {"anchor": ANCHOR})
    assert 0.03 <= cancelled <= 0.05
    assert 0.08 <= no_show <= 0.15
    # Late windows and long leads no-show more than early windows and short leads.
    rates = dict(query(loaded, """
        select k, sum(r.quantity) filter (where r.collected_at is null)::float / sum(r.quantity)
        from surplus.reservations r
        join surplus.bundles b using (bundle_id)
        join surplus.sellers s using (seller_id)
        cross join lateral (values
            (case when extract(hour from b.window_start at time zone s.time_zone) >= 19
                  then 'late' when extract(hour from b.window_start at time zone s.time_zone) < 10
                  then 'early' else 'day' end),
            (case when b.window_start - r.reserved_at > interval '12 hours' then 'long'
                  when b.window_start - r.reserved_at < interval '1 hour' then 'short'
                  else 'medium' end)) as v (k)
        where b.window_end <= %(anchor)s and r.cancelled_at is null
        group by k""", {"anchor": ANCHOR}))
    assert rates["late"] > rates["day"] > rates["early"]
    assert rates["long"] > 1.3 * rates["short"]


def test_some_bundles_sell_out(loaded: ConnectionSettings) -> None:
    sold_out, visible = one(loaded, f"""
        select avg((lost_units > 0)::integer), avg((booked = total_qty)::integer)
        from ({PAST}) p""", {"anchor": ANCHOR})
    assert 0.2 <= sold_out <= 0.6
    # The sources show it: every unit posted was reserved.
    assert visible >= sold_out


# The truth ------------------------------------------------------------------------------------

def test_the_truth_has_every_bundle_and_only_those(loaded: ConnectionSettings) -> None:
    assert one(loaded, """
        select count(*) from surplus.bundles b
        full join surplus_truth.bundle_outcomes t using (bundle_id)
        where b.bundle_id is null or t.bundle_id is null
           or b.seller_id <> t.seller_id or b.window_start <> t.window_start""")[0] == 0
    bad = one(loaded, """
        select count(*) filter (where b.total_qty < t.reserved_units),
               count(*) filter (where t.lost_units <> t.demand - least(t.demand, b.total_qty)),
               count(*) filter (where t.collected_units > t.reserved_units
                                   or t.reserved_units + t.lost_units > t.demand),
               count(*) filter (where t.no_show_probability <= 0 or t.no_show_probability >= 1
                                   or t.expected_demand <= 0)
        from surplus.bundles b join surplus_truth.bundle_outcomes t using (bundle_id)""")
    assert bad == (0, 0, 0, 0)


def test_the_truth_agrees_with_the_sources_for_past_bundles(loaded: ConnectionSettings) -> None:
    rows, collected, kept, demand = one(loaded, f"""
        select count(*),
               count(*) filter (where collected <> collected_units),
               count(*) filter (where kept <> reserved_units),
               count(*) filter (where demand <> kept + (booked - kept) + lost_units)
        from ({PAST}) p""", {"anchor": ANCHOR})
    assert rows > 5_000
    assert (collected, kept, demand) == (0, 0, 0)


def test_demand_is_poisson_around_the_expected_demand(loaded: ConnectionSettings) -> None:
    mean_expected, mean_demand, dispersion = one(loaded, """
        select avg(expected_demand), avg(demand),
               avg(power(demand - expected_demand, 2)) / avg(expected_demand)
        from surplus_truth.bundle_outcomes""")
    assert abs(mean_demand / mean_expected - 1) < 0.02
    assert 0.9 <= dispersion <= 1.1


def test_the_weekday_effect_is_visible(loaded: ConnectionSettings) -> None:
    """Expected demand over the seller's mean, by local weekday: Saturday above Monday."""
    by_day = dict(query(loaded, """
        select dow, avg(expected_demand / seller_mean)::float
        from (select extract(isodow from t.window_start at time zone s.time_zone)::integer as dow,
                     t.expected_demand,
                     avg(t.expected_demand) over (partition by t.seller_id) as seller_mean
              from surplus_truth.bundle_outcomes t join surplus.sellers s using (seller_id)) x
        group by dow"""))
    assert by_day[6] > 1.25 * by_day[1]
    assert by_day[5] > by_day[2]
