"""The commerce dashboards' reads (orchestration/marts/commerce/queries.py) on the scale S mart,
run as the reader role `analytics_reader`: each card returns what its dashboard shows (checked
against the whole view read in Python), reads its view through the index meant for it (the
inventory view's cards never scan the view), and the plug-in's bench asks exactly these cards,
which answer as the same questions over the source tables."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg2.extensions
import pytest

from orchestration.bench.dashboard import index_usage
from orchestration.bench.mart import load_mart
from orchestration.bench.queries import normalise_rows, placeholders
from orchestration.core.database import connect
from orchestration.core.marts import discover
from orchestration.core.project import dbt_project, meta_schema
from orchestration.marts.commerce import queries as q
from orchestration.marts.commerce.bench import (
    BENCH,
    LIMIT,
    MONTHS,
    QUERIES,
    STOCK_CATEGORY,
    AsOfRefresh,
)
from tests.python.marts.built_marts import BuiltViews
from tests.python.marts.commerce.conftest import MART, MART_VIEWS, BuiltMart

READER = "analytics_reader"
IN_STOCK = ("in_stock", "listed")
Row = dict[str, Any]


@pytest.fixture(scope="module")
def params(commerce_mart: BuiltMart) -> dict[str, Any]:
    """The bench's parameters, picked from the built views (as the bench picks them)."""
    mart = load_mart(commerce_mart.target_path / "manifest.json", MART, meta_schema(dbt_project()))
    return BENCH.pick_parameters(BuiltViews(commerce_mart, mart))


@pytest.fixture(scope="module")
def views(commerce_mart: BuiltMart) -> dict[str, list[Row]]:
    """Every row of every view, read by the test's own (owner) role."""
    with connect(commerce_mart.settings) as conn, conn.cursor() as cur:
        return {view: _dicts(cur, f"select * from {q.SCHEMA}.{view}", {}) for view in MART_VIEWS}


@pytest.fixture
def reader(commerce_mart: BuiltMart) -> Iterator[psycopg2.extensions.cursor]:
    """A cursor of the reader role on the mart's database (rolled back at the end)."""
    with connect(commerce_mart.settings) as conn, conn.cursor() as cur:
        cur.execute(f"set role {READER}")
        yield cur
        conn.rollback()


def _dicts(cur: psycopg2.extensions.cursor, statement: str, params: Mapping[str, Any]) -> list[Row]:
    cur.execute(statement, params)
    assert cur.description is not None
    names = [column.name for column in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _one(cur: psycopg2.extensions.cursor, statement: str, params: Mapping[str, Any]) -> Row:
    rows = _dicts(cur, statement, params)
    assert len(rows) == 1, rows
    return rows[0]


def _month(day: date) -> date:
    return day.replace(day=1)


def _months_back(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


# -- Executive -----------------------------------------------------------------------------------

def test_month_kpis_add_up_the_days_of_the_month(
        views: dict[str, list[Row]], params: dict[str, Any],
        reader: psycopg2.extensions.cursor) -> None:
    days = [r for r in views["metabase_executive_metrics"]
            if r["sale_month"] == _month(params["as_of"])]
    assert days, "the data reaches the current month"
    kpis = _one(reader, q.MONTH_REVENUE_PROFIT, params)
    assert kpis == {"revenue": sum(r["total_revenue"] for r in days),
                    "profit": sum(r["total_profit"] for r in days),
                    "sales": sum(r["total_orders"] for r in days)}
    assert kpis["revenue"] > kpis["profit"] > 0

    weighted = [r for r in days if r["avg_roi"] is not None]
    expected = (sum(r["avg_roi"] * r["total_orders"] for r in weighted)
                / sum(r["total_orders"] for r in weighted))
    roi = _one(reader, q.MONTH_AVG_ROI, params)["avg_roi"]
    assert roi == expected.quantize(Decimal("0.01"), ROUND_HALF_UP)

    active = _one(reader, q.ACTIVE_ORDERS, params)["active_orders"]
    assert active == sum(r["active_orders"] for r in views["metabase_executive_metrics"]) > 0

    # A month without sales: zeros, no ROI (a card shows 0, not an error).
    empty = {**params, "as_of": date(1999, 1, 15)}
    assert _one(reader, q.MONTH_REVENUE_PROFIT, empty) == {"revenue": 0, "profit": 0, "sales": 0}
    assert _one(reader, q.MONTH_AVG_ROI, empty) == {"avg_roi": None}


def test_revenue_trend_is_the_last_months_in_order(
        views: dict[str, list[Row]], params: dict[str, Any],
        reader: psycopg2.extensions.cursor) -> None:
    last = _month(params["as_of"])
    first = _months_back(last, MONTHS - 1)
    expected: dict[date, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    for r in views["metabase_executive_metrics"]:
        if first <= r["sale_month"] <= last:
            sums = expected[r["sale_month"]]
            sums[0] += r["total_revenue"]
            sums[1] += r["total_profit"]
            sums[2] += r["total_orders"]
    rows = _dicts(reader, q.REVENUE_TREND, params)
    assert len(rows) == MONTHS
    assert [r["sale_month"] for r in rows] == sorted(expected) == \
        [_months_back(last, MONTHS - 1 - n) for n in range(MONTHS)]
    assert [[r["revenue"], r["profit"], r["sales"]] for r in rows] == \
        [expected[m] for m in sorted(expected)]


def test_platforms_of_the_last_days_by_revenue(
        views: dict[str, list[Row]], params: dict[str, Any],
        reader: psycopg2.extensions.cursor) -> None:
    since = params["as_of"] - timedelta(days=params["days"])
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    sales: dict[str, int] = defaultdict(int)
    for r in views["metabase_executive_metrics"]:
        if since < r["sale_date"] <= params["as_of"]:
            revenue[r["platform_slug"]] += r["total_revenue"]
            sales[r["platform_slug"]] += r["total_orders"]
    rows = _dicts(reader, q.PLATFORMS_LAST_DAYS, params)
    assert [r["platform_slug"] for r in rows] == sorted(revenue, key=lambda s: (-revenue[s], s))
    assert len(rows) == 5
    assert all(r["revenue"] == revenue[r["platform_slug"]] and r["sales"] == sales[r["platform_slug"]]
               and r["platform_name"] for r in rows)


def test_top_products_and_sales_by_country(
        views: dict[str, list[Row]], params: dict[str, Any],
        reader: psycopg2.extensions.cursor) -> None:
    products = views["metabase_product_performance"]
    by_revenue = sorted(products, key=lambda p: (-p["total_revenue"], p["product_id"]))
    rows = _dicts(reader, q.TOP_PRODUCTS_BY_REVENUE, params)
    assert [r["product_id"] for r in rows] == [p["product_id"] for p in by_revenue[:params["top"]]]
    assert all(r["product_name"] and r["brand_name"] for r in rows)

    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for city in views["metabase_customer_geography"]:
        revenue[city["country"]] += city["total_revenue"]
    countries = _dicts(reader, q.SALES_BY_COUNTRY, params)
    assert [r["country"] for r in countries] == sorted(revenue, key=lambda c: (-revenue[c], c))
    assert sum(r["revenue"] for r in countries) == sum(revenue.values())
    assert sum(r["sales"] for r in countries) == \
        sum(r["total_orders"] for r in views["metabase_executive_metrics"])


# -- Product analytics ---------------------------------------------------------------------------

def test_product_cards(views: dict[str, list[Row]], params: dict[str, Any],
                       reader: psycopg2.extensions.cursor) -> None:
    products = views["metabase_product_performance"]
    by_units = sorted(products, key=lambda p: (-p["units_sold"], p["product_id"]))
    rows = _dicts(reader, q.TOP_PRODUCTS_BY_UNITS, params)
    assert [r["product_id"] for r in rows] == [p["product_id"] for p in by_units[:params["top"]]]

    categories = _dicts(reader, q.CATEGORY_DISTRIBUTION, params)
    assert sum(r["products"] for r in categories) == len(products)
    assert {r["category_name"]: r["units_sold"] for r in categories} == {
        name: sum(p["units_sold"] for p in products if p["category_name"] == name)
        for name in {p["category_name"] for p in products}}
    assert [r["revenue"] for r in categories] == sorted((r["revenue"] for r in categories),
                                                        reverse=True)

    bucket = params["price_bucket"]
    buckets = _dicts(reader, q.PRICE_DISTRIBUTION, params)
    priced = [p for p in products if p["avg_price"] is not None]
    assert {r["price_from"]: r["products"] for r in buckets} == {
        start: sum(1 for p in priced if math.floor(p["avg_price"] / bucket) * bucket == start)
        for start in {math.floor(p["avg_price"] / bucket) * bucket for p in priced}}
    assert [r["price_from"] for r in buckets] == sorted(r["price_from"] for r in buckets)
    assert len(buckets) > 3, "a histogram, not one bar"

    brand = params["brand_id"]
    mine = sorted((p for p in products if p["brand_id"] == brand),
                  key=lambda p: (-p["total_revenue"], p["product_id"]))
    rows = _dicts(reader, q.BRAND_PRODUCTS, params)
    assert [r["product_id"] for r in rows] == [p["product_id"] for p in mine[:LIMIT]]
    assert len(rows) > 1
    assert _dicts(reader, q.BRAND_PRODUCTS, {**params, "brand_id": -1}) == []


def test_brand_cards(views: dict[str, list[Row]], params: dict[str, Any],
                     reader: psycopg2.extensions.cursor) -> None:
    brands = views["metabase_brand_analytics"]
    rows = _dicts(reader, q.BRAND_PERFORMANCE, params)
    assert [r["brand_id"] for r in rows] == \
        [b["brand_id"] for b in sorted(brands, key=lambda b: (-b["total_revenue"], b["brand_id"]))]
    assert rows[0]["brand_id"] == params["brand_id"]

    bought = [b for b in brands if b["units_purchased"] > 0]
    rows = _dicts(reader, q.SELL_THROUGH_BY_BRAND, params)
    assert [r["brand_id"] for r in rows] == [b["brand_id"] for b in sorted(
        bought, key=lambda b: (-b["sell_through_rate"], b["brand_id"]))]
    assert all(0 <= r["sell_through_rate"] <= 100 for r in rows)


# -- Platform performance ------------------------------------------------------------------------

def test_platform_cards(views: dict[str, list[Row]], params: dict[str, Any],
                        reader: psycopg2.extensions.cursor) -> None:
    platforms = views["metabase_platform_performance"]
    rows = _dicts(reader, q.PLATFORM_TABLE, params)
    assert [r["platform_slug"] for r in rows] == [p["platform_slug"] for p in sorted(
        platforms, key=lambda p: (-p["total_revenue"], p["platform_slug"]))]
    fees = _dicts(reader, q.FEE_COMPARISON, params)
    assert [r["platform_slug"] for r in fees] == [p["platform_slug"] for p in sorted(
        (p for p in platforms if p["total_orders"] > 0),
        key=lambda p: (-p["fee_pct"], p["platform_slug"]))]
    assert all(r["fee_pct"] > 0 for r in fees)

    days = _dicts(reader, q.PLATFORM_DAYS, params)
    expected = sorted((r for r in views["metabase_executive_metrics"]
                       if r["platform_slug"] == params["platform_slug"]
                       and params["date_from"] <= r["sale_date"] <= params["date_to"]),
                      key=lambda r: r["sale_date"], reverse=True)
    assert [(r["sale_date"], r["total_revenue"]) for r in days] == \
        [(r["sale_date"], r["total_revenue"]) for r in expected]
    assert days[0]["sale_date"] == params["as_of"] and len(days) > 60


# -- Inventory management ------------------------------------------------------------------------

def test_inventory_kpis_count_the_items_in_stock(
        views: dict[str, list[Row]], params: dict[str, Any],
        reader: psycopg2.extensions.cursor) -> None:
    items = views["metabase_inventory_status"]
    in_stock = [i for i in items if i["status"] in IN_STOCK]
    assert _one(reader, q.STOCK_VALUE, params) == {
        "items_in_stock": len(in_stock),
        "stock_value": sum(i["current_inventory_value"] for i in items)}
    dead = sum(1 for i in items if i["stock_category"] == "Dead Stock")
    assert _one(reader, q.DEAD_STOCK, params) == {"dead_stock_items": dead}
    assert dead > 0
    average = Decimal(sum(i["days_in_stock"] for i in in_stock)) / len(in_stock)
    assert _one(reader, q.AVG_DAYS_IN_STOCK, params) == {
        "avg_days_in_stock": average.quantize(Decimal("0.1"), ROUND_HALF_UP)}
    slow = sum(1 for i in in_stock if i["stock_category"] == "Slow Moving")
    assert _one(reader, q.SLOW_MOVING, params) == {"slow_moving_items": slow}
    assert 0 < slow < sum(1 for i in items if i["stock_category"] == "Slow Moving"), \
        "sold items that took long to sell are not slow-moving stock"

    aging = _dicts(reader, q.AGING_DISTRIBUTION, params)
    assert [r["stock_category"] for r in aging] == \
        ["Fast Moving", "Normal", "Slow Moving", "Dead Stock"]
    assert sum(r["items"] for r in aging) == len(in_stock)
    assert sum(r["stock_value"] for r in aging) == sum(i["current_inventory_value"] for i in items)


def _page(items: list[Row], keep: Any, nulls_last: bool) -> list[int]:
    """Inventory ids of the first LIMIT kept items, longest in stock first, then by id."""
    chosen = [i for i in items if keep(i)]
    chosen.sort(key=lambda i: (
        (i["days_in_stock"] is None) == nulls_last,
        -(i["days_in_stock"] or 0), i["inventory_id"]))
    return [i["inventory_id"] for i in chosen[:LIMIT]]


def test_inventory_tables_filter_and_order(
        views: dict[str, list[Row]], params: dict[str, Any],
        reader: psycopg2.extensions.cursor) -> None:
    items = views["metabase_inventory_status"]
    category, supplier = params["stock_category"], params["supplier_name"]
    assert category == STOCK_CATEGORY
    for statement, keep, nulls_last in (
            (q.INVENTORY_BY_CATEGORY, lambda i: i["stock_category"] == category, False),
            (q.INVENTORY_BY_SUPPLIER, lambda i: i["supplier_name"] == supplier, True),
            (q.INVENTORY_BY_CATEGORY_AND_SUPPLIER,
             lambda i: i["stock_category"] == category and i["supplier_name"] == supplier, False)):
        rows = _dicts(reader, statement, params)
        assert len(rows) == LIMIT
        assert [r["inventory_id"] for r in rows] == _page(items, keep, nulls_last)
    # Another category: the filter is the parameter's, not a fixed one.
    normal = _dicts(reader, q.INVENTORY_BY_CATEGORY, {**params, "stock_category": "Normal"})
    assert {r["stock_category"] for r in normal} == {"Normal"}
    assert {r["status"] for r in normal} & {"sold"}, "the table lists sold items too"


def test_supplier_table_by_roi(views: dict[str, list[Row]], params: dict[str, Any],
                               reader: psycopg2.extensions.cursor) -> None:
    suppliers = views["metabase_supplier_performance"]
    rows = _dicts(reader, q.SUPPLIER_TABLE, params)
    assert [r["supplier_id"] for r in rows] == [s["supplier_id"] for s in sorted(
        suppliers, key=lambda s: (s["avg_roi"] is None, -(s["avg_roi"] or 0), s["supplier_id"]))]
    assert params["supplier_name"] in {r["supplier_name"] for r in rows}


# -- index use -----------------------------------------------------------------------------------

# The index each card reads through (any of those named). Scale S's small views fit in a few
# pages, which the planner reads whole: with sequential and bitmap scans off, the plan shows the
# index that answers the question (at M the bench reports the planner's own choice).
INTENDED = {
    q.MONTH_REVENUE_PROFIT: {"idx_exec_metrics_month"},
    q.MONTH_AVG_ROI: {"idx_exec_metrics_month"},
    q.REVENUE_TREND: {"idx_exec_metrics_month"},
    q.PLATFORMS_LAST_DAYS: {"idx_exec_metrics_date", "idx_exec_metrics_day_platform"},
    q.PLATFORM_DAYS: {"idx_exec_metrics_platform"},
    q.TOP_PRODUCTS_BY_REVENUE: {"idx_prod_perf_revenue"},
    q.TOP_PRODUCTS_BY_UNITS: {"idx_prod_perf_units"},
    # A brand's few products: through the brand index and sorted, or along the revenue index.
    q.BRAND_PRODUCTS: {"idx_prod_perf_brand", "idx_prod_perf_revenue"},
    q.BRAND_PERFORMANCE: {"idx_brand_analytics_revenue"},
    q.SUPPLIER_TABLE: {"idx_supp_perf_roi"},
    # The item view (2.5 million rows at M): its tables read one index range each (a supplier's
    # items along the aging index: one item in twenty is the supplier's). Its totals read the
    # summary view, a few hundred rows, whole.
    q.INVENTORY_BY_CATEGORY: {"idx_inv_status_category"},
    q.INVENTORY_BY_SUPPLIER: {"idx_inv_status_aging"},
    q.INVENTORY_BY_CATEGORY_AND_SUPPLIER: {"idx_inv_status_category"},
}
CARDS = (*q.EXECUTIVE, *q.PRODUCT_ANALYTICS, *q.PLATFORM_PERFORMANCE, *q.INVENTORY_MANAGEMENT)
NAMES = {statement: bench_query.name for statement, bench_query in zip(CARDS, QUERIES, strict=True)}


@pytest.mark.parametrize("statement", list(INTENDED), ids=NAMES.get)
def test_each_card_reads_its_index(params: dict[str, Any], reader: psycopg2.extensions.cursor,
                                   statement: str) -> None:
    reader.execute("set local enable_seqscan = off")
    reader.execute("set local enable_bitmapscan = off")
    plan = index_usage(reader, statement, params)
    used = {node.rpartition(" on ")[2] for node in plan["index_nodes"]}
    assert used and used <= INTENDED[statement], plan
    assert "Seq Scan" not in plan["node_types"], plan


def test_inventory_cards_never_scan_the_view(params: dict[str, Any],
                                             reader: psycopg2.extensions.cursor) -> None:
    """With only sequential scans off (bitmaps allowed), no inventory card reads the item view
    whole: its tables have an index each, its totals read the summary view."""
    reader.execute("set local enable_seqscan = off")
    for statement in q.INVENTORY_MANAGEMENT:
        if q.INVENTORY_VIEW not in statement:
            continue
        plan = index_usage(reader, statement, params)
        assert plan["uses_index"] and "Seq Scan" not in plan["node_types"], (statement, plan)


# -- the bench -----------------------------------------------------------------------------------

def test_the_plugin_carries_its_bench_of_these_queries() -> None:
    assert discover()[MART].bench is BENCH
    assert BENCH.views == set(MART_VIEWS)
    assert len(QUERIES) == len(CARDS) == len(set(CARDS))
    for bench_query, statement in zip(QUERIES, CARDS, strict=True):
        assert bench_query.sql.replace("{source}", "") == \
            statement.replace(f"{q.SCHEMA}.{bench_query.view}", ""), bench_query.name


def test_bench_queries_answer_as_over_the_raw_tables(commerce_mart: BuiltMart,
                                                     params: dict[str, Any]) -> None:
    """The inventory view's ages count to its refresh: its cards' raw variants answer as of
    that time (`AsOfRefresh`), whenever they run."""
    assert {type(query) for query in QUERIES if query.view in (
        "metabase_inventory_status", "metabase_inventory_summary")} == {AsOfRefresh}
    mart = load_mart(commerce_mart.target_path / "manifest.json", MART, meta_schema(dbt_project()))
    assert {name for query in QUERIES for name in placeholders(query.sql)} <= set(params)
    with connect(commerce_mart.settings) as conn, conn.cursor() as cur:
        for bench_query in QUERIES:
            cur.execute(bench_query.on_view(mart), params)
            on_view = cur.fetchall()
            cur.execute(bench_query.on_raw(mart), params)
            raw = cur.fetchall()
            assert on_view, bench_query.name
            assert normalise_rows(on_view) == normalise_rows(raw), bench_query.name
        conn.rollback()
