"""The seller insights mart's eight views on scale S: each exists in schema `analytics` with its
unique key (a plain unique index over exactly those columns, what `REFRESH … CONCURRENTLY`
needs) and an index leading with seller_id, its contract's columns and types, its cadence, and
a second concurrent refresh succeeds. The defining decisions — a sale is a collected unit, the
graphs of what sold count past bundles only, weeks and pickup times are the seller's local
ones, a bundle's sales split evenly between its categories — are checked against an
independent computation in Python (zoneinfo, not Postgres's AT TIME ZONE) from the source rows
of a few sellers (docs/seller-insights-mart.md, "Definitions").
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections import defaultdict
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from orchestration.core.database import connect
from tests.python.marts.built_marts import view_indexes
from tests.python.marts.seller_insights.conftest import MART_VIEWS, BuiltMart, one, query

SCHEMA = "analytics"
MODELS = Path(__file__).resolve().parents[4] / "models" / "marts" / "seller_insights"
DEFAULT_ZONE = "UTC"


class View(NamedTuple):
    key: tuple[str, ...]  # the unique key's columns, in index order
    key_index: str  # its index
    seller_index: str  # the index leading with seller_id (the key's when it leads with it)
    cadence: str


VIEWS = {
    "seller_weekly_sales_vs_posted": View(
        ("seller_id", "week_start"), "idx_seller_weekly_sales_key",
        "idx_seller_weekly_sales_key", "hourly"),
    "seller_sell_through_rate": View(
        ("seller_id",), "idx_seller_sell_through_seller", "idx_seller_sell_through_seller",
        "hourly"),
    "seller_category_distribution": View(
        ("seller_id", "category_name"), "idx_seller_categories_key", "idx_seller_categories_key",
        "hourly"),
    "seller_time_window_distribution": View(
        ("seller_id", "window_start_local"), "idx_seller_time_windows_key",
        "idx_seller_time_windows_key", "hourly"),
    "seller_forecast_vs_posted": View(
        ("bundle_id",), "idx_seller_forecast_bundle", "idx_seller_forecast_seller", "daily"),
    "seller_forecast_vs_posted_weekly": View(
        ("seller_id", "week_start"), "idx_seller_forecast_weekly_key",
        "idx_seller_forecast_weekly_key", "daily"),
    "seller_forecast_inputs": View(
        ("bundle_id",), "idx_seller_forecast_inputs_bundle", "idx_seller_forecast_inputs_seller",
        "daily"),
    "seller_graph_points": View(
        ("seller_id", "graph_type", "series_name", "sort_index"), "idx_seller_graph_points_key",
        "idx_seller_graph_points_key", "hourly"),
}
# The forecast asset's interface, exactly and in this order (the spec's view 7).
FORECAST_INPUT_COLUMNS = [
    ("bundle_id", "bigint"), ("seller_id", "integer"), ("time_zone", "text"),
    ("window_start", "timestamp with time zone"), ("local_date", "date"),
    ("local_weekday", "integer"), ("local_start_time", "time without time zone"),
    ("window_hours", "numeric"), ("posted_qty", "integer"), ("price", "numeric"),
    ("category_names", "text[]"), ("is_future", "boolean"), ("reserved_units", "integer"),
    ("collected_units", "integer"), ("no_show_units", "integer"),
    ("mean_lead_hours", "double precision"),
]


def columns_of(mart: BuiltMart, view: str) -> list[tuple[str, str]]:
    """(name, type without its modifiers) of the view's columns, in order."""
    rows = query(mart.settings, """
        select a.attname, format_type(a.atttypid, null)
        from pg_attribute a
        join pg_class c on c.oid = a.attrelid
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped
        order by a.attnum""", (SCHEMA, view))
    return [(name, kind) for name, kind in rows]


def contract(view: str) -> list[tuple[str, str]]:
    """(name, data_type) of the columns in the view's yml, in order."""
    model = yaml.safe_load((MODELS / f"{view}.yml").read_text())["models"][0]
    assert model["config"]["contract"]["enforced"] is True
    return [(column["name"], column["data_type"]) for column in model["columns"]]


def test_the_eight_views_exist_in_analytics(seller_insights_mart: BuiltMart) -> None:
    found = {name for (name,) in query(seller_insights_mart.settings,
             "select matviewname from pg_matviews where schemaname = %s", (SCHEMA,))}
    assert set(VIEWS) == set(MART_VIEWS)
    assert set(VIEWS) <= found, sorted(set(VIEWS) - found)


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_unique_key_and_seller_index(seller_insights_mart: BuiltMart, view: str) -> None:
    spec = VIEWS[view]
    found = view_indexes(seller_insights_mart.settings, SCHEMA, view)
    assert spec.key_index in found, sorted(found)
    unique, plain, columns = found[spec.key_index]
    assert unique and plain and columns == list(spec.key), (spec.key_index, found)
    assert found[spec.seller_index][2][0] == "seller_id", found
    # The key holds: as many rows as distinct key values, none NULL; and the view has rows.
    key = ", ".join(spec.key)
    rows, distinct, nulls = one(seller_insights_mart.settings, f"""
        select count(*), count(distinct ({key})),
               count(*) filter (where num_nulls({key}) > 0)
        from {SCHEMA}.{view}""")
    assert rows > 0 and (rows, nulls) == (distinct, 0), (rows, distinct, nulls)


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_columns_are_the_contracts(seller_insights_mart: BuiltMart, view: str) -> None:
    assert columns_of(seller_insights_mart, view) == contract(view)


def test_forecast_inputs_are_the_forecasts_interface(seller_insights_mart: BuiltMart) -> None:
    assert columns_of(seller_insights_mart, "seller_forecast_inputs") == FORECAST_INPUT_COLUMNS


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_cadence_and_refresh_strategy(seller_insights_mart: BuiltMart, view: str) -> None:
    manifest = json.loads((seller_insights_mart.target_path / "manifest.json").read_text())
    node = manifest["nodes"][f"model.analytics.{view}"]
    assert node["config"]["meta"]["cadence"] == VIEWS[view].cadence
    # The forecast's input is rebuilt and swapped in (a diff of its every row cost 2.1 x the
    # query at M); the graphs refresh concurrently.
    expected = "swap" if view == "seller_forecast_inputs" else "concurrently"
    assert (node["config"].get("refresh_strategy") or "concurrently") == expected
    assert node["config"]["materialized"] == "materialized_view"


# --- the definitions, computed independently ------------------------------------------------

class Sources(NamedTuple):
    zones: dict[int, str]  # seller -> resolved zone
    bundles: dict[int, dict[str, Any]]  # valid bundles of the chosen sellers
    sold: dict[int, int]  # bundle -> collected units
    reserved: dict[int, int]  # bundle -> reserved (not cancelled) units
    categories: dict[int, list[str]]  # bundle -> its known categories' names
    sellers: list[int]  # the chosen sellers


def resolve_zone(name: str | None) -> str:
    """Python's zone database, matched ignoring case and blanks; else the default."""
    known = {zone.lower(): zone for zone in zoneinfo.available_timezones()}
    return known.get((name or "").strip().lower(), DEFAULT_ZONE)


@pytest.fixture(scope="module")
def sources(seller_insights_mart: BuiltMart) -> Sources:
    """The source rows of up to six sellers with past and future bundles and none starting
    while the views were built (so past and future are unambiguous), read with plain SELECTs
    and the validity rules applied in Python."""
    settings = seller_insights_mart.settings
    built_from, built_to = one(settings, """
        select min(started_at) - interval '10 minutes',
               greatest(max(coalesce(finished_at, started_at)), now()) + interval '1 minute'
        from analytics_meta.refresh_log where model = any(%s)""", (list(VIEWS),))
    sellers = [seller for (seller,) in query(settings, """
        select s.seller_id from surplus.sellers s
        where exists (select from surplus.bundles b where b.seller_id = s.seller_id
                      and b.window_start < %s)
          and exists (select from surplus.bundles b where b.seller_id = s.seller_id
                      and b.window_start > %s)
          and not exists (select from surplus.bundles b where b.seller_id = s.seller_id
                          and b.window_start between %s and %s)
        order by s.seller_id""", (built_from, built_to, built_from, built_to))]
    assert len(sellers) >= 3, sellers
    chosen = sellers[:: max(1, len(sellers) // 6)][:6]
    zones = {seller: resolve_zone(zone) for seller, zone in query(
        settings, "select seller_id, time_zone from surplus.sellers where seller_id = any(%s)",
        (chosen,))}
    bundles = {}
    for bundle_id, seller, start, end, qty, price in query(settings, """
            select bundle_id, seller_id, window_start, window_end, total_qty, price
            from surplus.bundles where seller_id = any(%s)""", (chosen,)):
        if end >= start and qty >= 0:
            bundles[bundle_id] = {"seller_id": seller, "start": start, "end": end, "qty": qty,
                                  "price": price, "past": start < built_from}
    sold: dict[int, int] = defaultdict(int)
    reserved: dict[int, int] = defaultdict(int)
    for bundle_id, quantity, reserved_at, collected_at, cancelled_at in query(settings, """
            select bundle_id, quantity, reserved_at, collected_at, cancelled_at
            from surplus.reservations where bundle_id = any(%s)""", (list(bundles),)):
        if quantity <= 0 or (collected_at is not None and collected_at < reserved_at):
            continue
        if cancelled_at is None:
            reserved[bundle_id] += quantity
            if collected_at is not None:
                sold[bundle_id] += quantity
    categories: dict[int, list[str]] = defaultdict(list)
    for bundle_id, name in query(settings, """
            select bc.bundle_id, c.category_name from surplus.bundle_categories bc
            join surplus.categories c on c.category_id = bc.category_id
            where bc.bundle_id = any(%s)""", (list(bundles),)):
        categories[bundle_id].append(name)
    return Sources(zones, bundles, sold, reserved, categories, chosen)


def local(sources: Sources, bundle: dict[str, Any]) -> datetime:
    return bundle["start"].astimezone(zoneinfo.ZoneInfo(sources.zones[bundle["seller_id"]]))


def week_of(moment: datetime) -> date:
    return date.fromordinal(moment.date().toordinal() - moment.weekday())


def rows_of(mart: BuiltMart, view: str, sellers: list[int]) -> list[tuple]:
    return query(mart.settings, f"select * from {SCHEMA}.{view} where seller_id = any(%s)",
                 (sellers,))


def two(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_the_data_has_no_shows_cancellations_and_future_bundles(sources: Sources) -> None:
    """Otherwise the checks below could not tell a sale from a reservation, or past from all."""
    past = [b for b, bundle in sources.bundles.items() if bundle["past"]]
    assert sum(sources.reserved[b] for b in past) > sum(sources.sold[b] for b in past) > 0
    assert any(not bundle["past"] and bundle["qty"] > 0 for bundle in sources.bundles.values())


def test_weekly_sales_are_collected_units_in_the_sellers_weeks(
    seller_insights_mart: BuiltMart, sources: Sources,
) -> None:
    expected: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for bundle_id, bundle in sources.bundles.items():
        if bundle["past"]:
            row = expected[(bundle["seller_id"], week_of(local(sources, bundle)))]
            row[0] += sources.sold[bundle_id]
            row[1] += bundle["qty"]
            row[2] += 1
    found = {(seller, week): [sold, posted, bundles] for seller, week, sold, posted, bundles
             in rows_of(seller_insights_mart, "seller_weekly_sales_vs_posted", sources.sellers)}
    assert found == dict(expected)


def test_sell_through_counts_past_bundles_only(
    seller_insights_mart: BuiltMart, sources: Sources,
) -> None:
    expected = {}
    all_bundles_rate = {}
    for seller in sources.sellers:
        mine = [(b, bundle) for b, bundle in sources.bundles.items()
                if bundle["seller_id"] == seller]
        past = [(b, bundle) for b, bundle in mine if bundle["past"]]
        posted = sum(bundle["qty"] for _, bundle in past)
        capped = sum(min(sources.sold[b], bundle["qty"]) for b, bundle in past)
        pct = two(Decimal(100 * capped) / posted) if posted else Decimal("0.00")
        expected[seller] = (sum(sources.sold[b] for b, _ in past), posted, len(past), pct,
                            100 - pct)
        everything = sum(bundle["qty"] for _, bundle in mine)
        all_bundles_rate[seller] = (two(Decimal(100 * capped) / everything) if everything
                                    else Decimal("0.00"))
    found = {row[0]: tuple(row[1:]) for row in rows_of(
        seller_insights_mart, "seller_sell_through_rate", sources.sellers)}
    assert found == expected
    # The seed's rate over every bundle, future ones included, is another (lower) figure.
    assert any(all_bundles_rate[s] < expected[s][3] for s in sources.sellers)


def test_categories_share_a_bundles_sales_evenly(
    seller_insights_mart: BuiltMart, sources: Sources,
) -> None:
    exact: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for bundle_id, bundle in sources.bundles.items():
        if bundle["past"]:
            names = sources.categories.get(bundle_id) or ["Uncategorized"]
            for name in names:
                exact[(bundle["seller_id"], name)] += Decimal(sources.sold[bundle_id]) / len(names)
    found = {(seller, name): sold for seller, name, sold, _ in rows_of(
        seller_insights_mart, "seller_category_distribution", sources.sellers)}
    assert set(found) == set(exact)
    for key, value in exact.items():
        assert abs(found[key] - value) <= Decimal("0.005"), (key, found[key], value)
    assert any(len(names) > 1 for names in sources.categories.values())
    # A seller's slices add up to its sales, to within the rounding of each slice.
    for seller in sources.sellers:
        slices = [value for (s, _), value in found.items() if s == seller]
        sold = sum(sources.sold[b] for b, bundle in sources.bundles.items()
                   if bundle["past"] and bundle["seller_id"] == seller)
        assert abs(sum(slices) - sold) <= Decimal("0.005") * len(slices)


def test_time_windows_are_local_start_times(
    seller_insights_mart: BuiltMart, sources: Sources,
) -> None:
    expected: dict[tuple[int, time], list[int]] = defaultdict(lambda: [0, 0])
    for bundle_id, bundle in sources.bundles.items():
        if bundle["past"]:
            start = local(sources, bundle)
            row = expected[(bundle["seller_id"], time(start.hour, start.minute))]
            row[0] += sources.sold[bundle_id]
            row[1] += 1
    found = {(seller, at): [sold, bundles] for seller, at, sold, bundles in rows_of(
        seller_insights_mart, "seller_time_window_distribution", sources.sellers)}
    assert found == dict(expected)


def test_forecast_inputs_follow_from_the_sources(
    seller_insights_mart: BuiltMart, sources: Sources,
) -> None:
    found = {row[0]: row for row in rows_of(
        seller_insights_mart, "seller_forecast_inputs", sources.sellers)}
    assert set(found) == set(sources.bundles)
    for bundle_id, bundle in sources.bundles.items():
        start = local(sources, bundle)
        no_shows = (sources.reserved[bundle_id] - sources.sold[bundle_id]) if bundle["past"] else 0
        expected = (sources.zones[bundle["seller_id"]], start.date(), start.isoweekday(),
                    time(start.hour, start.minute),
                    sorted(sources.categories.get(bundle_id, [])), not bundle["past"],
                    sources.reserved[bundle_id], sources.sold[bundle_id], no_shows)
        row = found[bundle_id]
        assert (row[2], row[4], row[5], row[6], row[10], row[11], row[12], row[13],
                row[14]) == expected, bundle_id


def test_each_yml_names_the_test_of_its_key() -> None:
    """Every view's yml states its unique key and the test that covers it."""
    for view in VIEWS:
        text = (MODELS / f"{view}.yml").read_text()
        assert "test_unique_key_and_seller_index" in text, view
        assert re.search(r"\*\*Unique key\*\*", text), view


# Last: it moves bundles whose window started since the build into the graphs of what sold.
REFRESH_ORDER = ["seller_forecast_inputs", "seller_weekly_sales_vs_posted",
                 "seller_sell_through_rate", "seller_category_distribution",
                 "seller_time_window_distribution", "seller_forecast_vs_posted",
                 "seller_forecast_vs_posted_weekly", "seller_graph_points"]


def test_a_second_refresh_concurrently_succeeds(seller_insights_mart: BuiltMart) -> None:
    """Each view refreshes concurrently on its unique key (in dependency order, so the
    graph-points view stays equal to the graphs)."""
    assert sorted(REFRESH_ORDER) == sorted(VIEWS)
    with connect(seller_insights_mart.settings, autocommit=True) as conn, conn.cursor() as cur:
        for view in REFRESH_ORDER:
            cur.execute(f"refresh materialized view concurrently {SCHEMA}.{view}")
            cur.execute(f"select count(*) from {SCHEMA}.{view}")
            assert cur.fetchone()[0] > 0, view
