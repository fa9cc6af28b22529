"""The seller insights mart on hand-written rows the marketplace's tables allow, built by
`dbt build` as `analytics_owner` with the refresh time pinned: first on empty tables (every view
builds, empty), then on hostile rows — reservations of unknown bundles, collected before they
were reserved, of negative or zero quantity, bundles whose window ends before it starts or of
an unknown seller, a seller without a time zone and one with a zone Postgres does not know, a
stale forecast and one of an unknown bundle — each counted as the views' yml says: the build
passes, invalid bundles and reservations are ignored everywhere, unknown zones are UTC.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, time
from decimal import Decimal

import pytest

from orchestration.core.settings import ConnectionSettings
from tests.python.marts.built_marts import built_empty_then_on
from tests.python.marts.built_marts import named_rows as rows
from tests.python.marts.seller_insights.conftest import MART_SELECTOR, MART_VIEWS
from tests.python.reliability.conftest import Mart

DATABASE = "analytics_seller_insights_hostile"
# A Tuesday; 28 June 2026 is a Sunday, and Berlin is on summer time (UTC+2).
AS_OF = "2026-06-30 12:00:00+00"
VARS = ["--vars", json.dumps({"seller_insights_as_of": AS_OF})]
CORPUS = """
insert into surplus.sellers (seller_id, name, latitude, longitude, time_zone) values
    (1, 'Bäckerei Lind', 52.52, 13.40, 'Europe/Berlin'),
    (2, 'No zone set', null, null, null),
    (3, 'Zone unknown', null, null, 'Mars/Olympus_Mons');
insert into surplus.categories (category_id, category_name) values
    (1, 'Bakery'), (2, 'Dairy'), (3, 'Produce');
insert into surplus.bundles (bundle_id, seller_id, window_start, window_end, total_qty, price,
                             posted_at) values
    -- Sunday 22:30 UTC = Monday 00:30 in Berlin: the week of 29 June there; three categories
    (10, 1, '2026-06-28 22:30+00', '2026-06-28 23:30+00', 10, 3.00, '2026-06-27 08:00+00'),
    -- Monday 18:00 in Berlin, no category
    (11, 1, '2026-06-29 16:00+00', '2026-06-29 18:00+00', 5, 4.00, '2026-06-28 08:00+00'),
    -- a window ending before it starts: invalid
    (12, 1, '2026-06-29 16:00+00', '2026-06-29 15:00+00', 5, 4.00, '2026-06-28 08:00+00'),
    -- negative units posted: invalid
    (13, 1, '2026-06-29 16:00+00', '2026-06-29 18:00+00', -3, 4.00, '2026-06-28 08:00+00'),
    -- a seller that does not exist: invalid
    (14, 99, '2026-06-29 16:00+00', '2026-06-29 18:00+00', 5, 4.00, '2026-06-28 08:00+00'),
    -- no zone: UTC, so Sunday 22:30, the week of 22 June
    (15, 2, '2026-06-28 22:30+00', '2026-06-28 23:30+00', 4, 2.00, '2026-06-27 08:00+00'),
    -- unknown zone: UTC; no reservations
    (16, 3, '2026-06-28 23:30+00', '2026-06-29 00:30+00', 2, 2.00, '2026-06-27 08:00+00'),
    -- a future bundle (Thursday 18:00 in Berlin)
    (17, 1, '2026-07-02 16:00+00', '2026-07-02 18:00+00', 6, 3.00, '2026-06-29 08:00+00');
insert into surplus.bundle_categories (bundle_id, category_id) values
    (10, 1), (10, 2), (10, 3), (15, 1), (12, 2);
insert into surplus.reservations (reservation_id, bundle_id, buyer_id, quantity, reserved_at,
                                  collected_at, cancelled_at) values
    -- a sale of 4 and a no-show of 2
    (1, 10, 100, 4, '2026-06-28 10:00+00', '2026-06-28 22:45+00', null),
    (2, 10, 101, 2, '2026-06-28 10:00+00', null, null),
    -- collected before reserved, negative and zero quantities: ignored
    (3, 10, 102, 3, '2026-06-28 12:00+00', '2026-06-28 11:00+00', null),
    (4, 10, 103, -2, '2026-06-28 10:00+00', '2026-06-28 22:40+00', null),
    (5, 10, 104, 0, '2026-06-28 10:00+00', '2026-06-28 22:40+00', null),
    -- an unknown bundle, an invalid bundle and one of an unknown seller: ignored
    (6, 999, 105, 5, '2026-06-28 10:00+00', '2026-06-28 22:40+00', null),
    (7, 12, 106, 1, '2026-06-28 10:00+00', '2026-06-29 16:10+00', null),
    (12, 14, 111, 1, '2026-06-28 10:00+00', '2026-06-29 16:10+00', null),
    -- a sale of 3 and a cancellation
    (8, 11, 107, 3, '2026-06-29 08:00+00', '2026-06-29 16:10+00', null),
    (9, 11, 108, 1, '2026-06-29 08:00+00', null, '2026-06-29 09:00+00'),
    (10, 15, 109, 2, '2026-06-28 20:30+00', '2026-06-28 22:40+00', null),
    -- reserved ahead for the future bundle: no no-show yet
    (11, 17, 110, 2, '2026-06-29 12:00+00', null, null);
insert into seller_forecast.forecast_output (bundle_id, seller_id, window_start, predicted_sales,
                                             posted_qty, predicted_no_show_prob, confidence,
                                             rationale) values
    (17, 1, '2026-07-02 16:00+00', 4.50, 6, 0.1500, 0.6000, 'Thu 18:00 windows sold 75 %.'),
    -- stale (the bundle is past) and of an unknown bundle: dropped
    (10, 1, '2026-06-28 22:30+00', 7.00, 10, 0.1000, 0.5000, 'stale'),
    (888, 1, '2026-07-03 16:00+00', 1.00, 2, 0.1000, 0.5000, 'unknown bundle');
"""


def view(mart: Mart, name: str, order: str) -> list[tuple]:
    return [tuple(r.values()) for r in rows(mart, f"select * from analytics.{name} order by {order}")]


@pytest.fixture(scope="module")
def mart(pg_settings: ConnectionSettings, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[Mart, dict[str, int]]]:
    """The mart built on empty tables (their row counts kept), then on the corpus."""
    with built_empty_then_on(pg_settings, DATABASE, tmp_path_factory.mktemp("seller_insights_hostile_dbt"),
                             ["build", "--select", MART_SELECTOR, *VARS], CORPUS,
                             MART_VIEWS) as built:
        yield built


def test_every_view_builds_on_empty_tables(mart: tuple[Mart, dict[str, int]]) -> None:
    _, empty = mart
    assert empty == dict.fromkeys(MART_VIEWS, 0)


def test_weekly_sales_ignore_invalid_rows_and_use_each_sellers_zone(
    mart: tuple[Mart, dict[str, int]],
) -> None:
    built, _ = mart
    # Seller 1: bundles 10 (Monday 00:30 Berlin) and 11, sales 4 + 3 (the no-show, the
    # cancellation and the invalid reservations not counted); invalid bundles 12-14 left out.
    # Sellers 2 (no zone) and 3 (unknown zone) in UTC: Sunday, the week before.
    assert view(built, "seller_weekly_sales_vs_posted", "seller_id, week_start") == [
        (1, date(2026, 6, 29), 7, 15, 2),
        (2, date(2026, 6, 22), 2, 4, 1),
        (3, date(2026, 6, 22), 0, 2, 1),
    ]


def test_sell_through(mart: tuple[Mart, dict[str, int]]) -> None:
    built, _ = mart
    # The future bundle's 6 units are not in the denominator.
    assert view(built, "seller_sell_through_rate", "seller_id") == [
        (1, 7, 15, 2, Decimal("46.67"), Decimal("53.33")),
        (2, 2, 4, 1, Decimal("50.00"), Decimal("50.00")),
        (3, 0, 2, 1, Decimal("0.00"), Decimal("100.00")),
    ]


def test_categories(mart: tuple[Mart, dict[str, int]]) -> None:
    built, _ = mart
    # Bundle 10's 4 sales split three ways; bundle 11 has no category; the invalid bundle
    # 12's category is not the seller's.
    assert view(built, "seller_category_distribution", "seller_id, category_name") == [
        (1, "Bakery", Decimal("1.33"), 1),
        (1, "Dairy", Decimal("1.33"), 1),
        (1, "Produce", Decimal("1.33"), 1),
        (1, "Uncategorized", Decimal("3.00"), 1),
        (2, "Bakery", Decimal("2.00"), 1),
        (3, "Uncategorized", Decimal("0.00"), 1),
    ]


def test_time_windows(mart: tuple[Mart, dict[str, int]]) -> None:
    built, _ = mart
    assert view(built, "seller_time_window_distribution", "seller_id, window_start_local") == [
        (1, time(0, 30), 4, 1),
        (1, time(18, 0), 3, 1),
        (2, time(22, 30), 2, 1),
        (3, time(23, 30), 0, 1),
    ]


def test_forecast_vs_posted_keeps_the_future_forecast_bundle_only(
    mart: tuple[Mart, dict[str, int]],
) -> None:
    built, _ = mart
    forecast = rows(built, "select * from analytics.seller_forecast_vs_posted")
    assert [(r["bundle_id"], r["week_start"], r["predicted_sales"], r["posted_qty"])
            for r in forecast] == [(17, date(2026, 6, 29), Decimal("4.50"), 6)]
    assert view(built, "seller_forecast_vs_posted_weekly", "seller_id, week_start") == [
        (1, date(2026, 6, 29), Decimal("4.50"), 6, 1),
    ]


def test_forecast_inputs(mart: tuple[Mart, dict[str, int]]) -> None:
    built, _ = mart
    found = {r["bundle_id"]: r for r in rows(built, "select * from analytics.seller_forecast_inputs")}
    assert sorted(found) == [10, 11, 15, 16, 17]
    assert {b: r["time_zone"] for b, r in found.items()} == {
        10: "Europe/Berlin", 11: "Europe/Berlin", 15: "UTC", 16: "UTC", 17: "Europe/Berlin"}
    ten = found[10]
    assert (ten["local_date"], ten["local_weekday"], ten["local_start_time"],
            ten["window_hours"], ten["category_names"], ten["is_future"],
            ten["reserved_units"], ten["collected_units"], ten["no_show_units"],
            ten["mean_lead_hours"]) == (
        date(2026, 6, 29), 1, time(0, 30), Decimal("1.00"), ["Bakery", "Dairy", "Produce"],
        False, 6, 4, 2, 12.5)
    assert (found[11]["reserved_units"], found[11]["collected_units"],
            found[11]["no_show_units"], found[11]["category_names"]) == (3, 3, 0, [])
    assert (found[16]["reserved_units"], found[16]["mean_lead_hours"]) == (0, None)
    future = found[17]
    assert (future["is_future"], future["reserved_units"], future["no_show_units"],
            future["mean_lead_hours"], future["local_weekday"]) == (True, 2, 0, 76.0, 4)


def test_graph_points(mart: tuple[Mart, dict[str, int]]) -> None:
    built, _ = mart
    graphs = rows(built, """
        select seller_id, array_agg(distinct graph_type order by graph_type) as graphs,
               count(*) as points
        from analytics.seller_graph_points group by seller_id order by seller_id""")
    assert [(g["seller_id"], g["graphs"], g["points"]) for g in graphs] == [
        (1, [1, 2, 3, 4, 5], 12), (2, [1, 2, 3, 4], 6), (3, [1, 2, 3, 4], 6)]
