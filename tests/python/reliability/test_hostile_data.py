"""Broken and hostile source rows: the build goes on (or stops on a named test), no view is
lost, and each case has the behaviour documented in models/marts/retail/_retail__docs.md
(`retail_source_data_rules`).

A small database (demo data S/10) gets a corpus of hostile rows in stores 9001-9003, then the
mart is built once and each behaviour is checked on that build; the last test empties every
source table.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from decimal import Decimal

import psycopg2.errors
import pytest

from orchestration.core.settings import ConnectionSettings
from tests.python.reliability.conftest import (
    MART_SELECTOR,
    MART_VIEWS,
    Mart,
    differences_from_full_recomputation,
    fresh_database,
    load_demo,
)

NAME = "O'Reilly \"Kush\" \\ 🌿 Ünïcödé'); drop table retail_raw.dispensaries; --"
STORE = "Hostile \"Store\" 🌿 \\ ' $$ %s"
INT_MAX = 2147483647

CORPUS = """
insert into retail_raw.dispensaries (id, name, city, state, crawl_enabled) values
    (9001, %(store)s, null, 'ZZ', true),
    (9002, 'Empty shelves', 'Nowhere', 'ZZ', true),
    (9003, 'No state', null, null, true);

insert into retail_raw.store_products
    (id, dispensary_id, provider_product_id, name_raw, brand_name_raw, category_raw, brand,
     category, is_in_stock, stock_status, stock_quantity, price_rec, first_seen_at,
     last_seen_at, updated_at) values
    (900001, 9001, 'h-quote', %(name)s, %(name)s, %(name)s, %(name)s, 'Flower', true,
     'in stock', 2147483647, 12.50, now() - interval '30 days', now() + interval '1 day', now()),
    (900002, 9001, null, null, null, null, null, null, null, null, null, null, null, null, null),
    (900003, 9001, 'h-negative', 'Negative', 'Neg', 'Edible', 'Neg', 'Edible', false,
     'out of stock', -5, -3.00, now() - interval '30 days', now(), now()),
    (900004, 9001, 'h-single', 'Single', 'Single', 'Edible', 'Single', 'Edible', false,
     'in stock', 4, 10.00, now() - interval '30 days', now(), now());

insert into retail_raw.inventory_snapshots
    (id, dispensary_id, product_id, brand_name, category, captured_at, price_rec,
     quantity_available)
select base + n, 9001, product_id, brand_name, category, captured_at, price, quantity
from (select coalesce(max(id), 0) as base from retail_raw.inventory_snapshots) as ids,
     (values
        -- 1 sold yesterday, then a restock to the integer maximum, then a future zero.
        (1, 'h-quote', %(name)s, 'Flower', current_date - interval '13 hours', 12.50, 100),
        (2, 'h-quote', %(name)s, 'Flower', current_date - interval '12 hours', 12.50, 99),
        (3, 'h-quote', %(name)s, 'Flower', now() - interval '1 second', 12.50, 2147483647),
        (4, 'h-quote', %(name)s, 'Flower', now() + interval '2 days', 12.50, 0),
        -- 10, then a negative quantity and price (not shown), then 8: 2 sold at 5.
        (5, 'h-negative', 'Neg', 'Edible', current_date - interval '13 hours', 5, 10),
        (6, 'h-negative', 'Neg', 'Edible', current_date - interval '12 hours', -3, -5),
        (7, 'h-negative', 'Neg', 'Edible', current_date - interval '11 hours', 5, 8),
        -- 20, then 15 and 12 at the same instant (id order): 8 sold, nothing restocked.
        (8, 'h-tie', null, null, current_date - interval '13 hours', 4, 20),
        (9, 'h-tie', null, null, current_date - interval '12 hours', 4, 15),
        (10, 'h-tie', null, null, current_date - interval '12 hours', 4, 12),
        -- not on the menu: 2 sold; a NULL quantity in between is skipped.
        (11, 'h-ghost', 'Ghost', 'Vape', current_date - interval '13 hours', 1, 5),
        (12, 'h-ghost', 'Ghost', 'Vape', current_date - interval '12 hours 30 minutes', null, null),
        (13, 'h-ghost', 'Ghost', 'Vape', current_date - interval '12 hours', 1, 3),
        -- a single snapshot: nothing to compare with.
        (14, 'h-single', 'Single', 'Edible', current_date - interval '13 hours', 10, 4)
     ) as rows (n, product_id, brand_name, category, captured_at, price, quantity);

insert into retail_raw.product_visibility_events
    (id, dispensary_id, product_id, event_type, detected_at)
select base + n, 9001, product_id, 'oos', detected_at
from (select coalesce(max(id), 0) as base from retail_raw.product_visibility_events) as ids,
     (values (1, 'h-quote', now() - interval '3 days 1 hour'),
             (2, 'h-quote', now() + interval '1 day'),
             (3, 'h-nothing', now() - interval '1 day')) as rows (n, product_id, detected_at);
"""


@pytest.fixture(scope="module")
def hostile(
    pg_settings: ConnectionSettings, database_factory: list[ConnectionSettings],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Mart, subprocess.CompletedProcess[str]]:
    """The mart built on S/10, then the corpus loaded and the mart built again."""
    settings = fresh_database(pg_settings, database_factory, "analytics_reliability_hostile")
    load_demo(settings, "S/10")
    mart = Mart(settings=settings, work_dir=tmp_path_factory.mktemp("hostile"))
    mart.dbt(["build", "--select", MART_SELECTOR])
    mart.sql(CORPUS, {"name": NAME, "store": STORE})  # type: ignore[arg-type]
    return mart, mart.dbt(["build", "--select", MART_SELECTOR])


def row(mart: Mart, query: str, params: tuple[object, ...] = ()) -> tuple[object, ...]:
    rows = mart.sql(query, params)
    assert len(rows) == 1, rows
    return rows[0]


def test_the_build_passes_and_flags_the_bad_rows_by_test_name(
    hostile: tuple[Mart, subprocess.CompletedProcess[str]],
) -> None:
    _, build = hostile
    output = build.stdout
    assert "ERROR=0" in output and "SKIP=0" in output, output[-4000:]
    for test in ("source_accepted_range_retail_raw_inventory_snapshots_quantity_available__0",
                 "source_accepted_range_retail_raw_inventory_snapshots_price_rec__0",
                 "source_accepted_range_retail_raw_store_products_stock_quantity__0",
                 "source_accepted_range_retail_raw_store_products_price_rec__0",
                 "source_expression_is_true_retail_raw_inventory_snapshots_captured_at"):
        warned = [line for line in output.splitlines() if "WARN" in line and test in line]
        assert warned, f"{test} not flagged:\n{output[-4000:]}"


def test_rows_that_break_keys_are_rejected_by_the_sources(
    hostile: tuple[Mart, subprocess.CompletedProcess[str]],
) -> None:
    mart, _ = hostile
    with pytest.raises(psycopg2.errors.ForeignKeyViolation):
        mart.sql("insert into retail_raw.inventory_snapshots (id, dispensary_id, product_id,"
                 " captured_at) values (-1, 99999, 'x', now())")
    with pytest.raises(psycopg2.errors.ForeignKeyViolation):
        mart.sql("insert into retail_raw.product_visibility_events values"
                 " (-1, 99999, 'x', 'oos', now())")
    with pytest.raises(psycopg2.errors.NotNullViolation):
        mart.sql("insert into retail_raw.inventory_snapshots (id, dispensary_id, product_id,"
                 " captured_at) values (-1, 9001, null, now())")
    with pytest.raises(psycopg2.errors.NotNullViolation):
        mart.sql("insert into retail_raw.inventory_snapshots (id, dispensary_id, product_id,"
                 " captured_at) values (-1, 9001, 'x', null)")


def daily(mart: Mart, product: str) -> list[tuple[object, ...]]:
    """(days ago, units sold, units restocked, revenue, snapshot count) of a product, by day."""
    return mart.sql(
        "select current_date - sale_date, units_sold, units_restocked, revenue_estimate,"
        " snapshot_count from analytics.mv_daily_sales_estimates"
        " where dispensary_id = 9001 and product_id = %s order by sale_date", (product,))


def test_future_snapshots_never_count_and_huge_quantities_are_kept(
    hostile: tuple[Mart, subprocess.CompletedProcess[str]],
) -> None:
    mart, _ = hostile
    assert daily(mart, "h-quote") == [(1, 1, 0, Decimal("12.50"), 1),
                                      (0, 0, INT_MAX - 99, Decimal("0.00"), 1)]
    assert mart.scalar("select max(sale_date) - current_date"
                       " from analytics.mv_daily_sales_estimates") <= 0  # type: ignore[operator]
    # Daily sales is an incremental table, refreshed after the corpus arrived: the future
    # snapshot's log entry waits for its time; every other row is a full recomputation's.
    assert pending(mart) == [(["9001", "h-quote"], True)]
    assert differences_from_full_recomputation(mart, "mv_daily_sales_estimates") == (0, 0, 1)


def pending(mart: Mart) -> list[tuple[object, ...]]:
    """(key, dated ahead of now) of daily sales' invalidation log entries not consumed yet."""
    return mart.sql("select key, until_time > now() from analytics_meta.mv_invalidations"
                    " where relation = 'analytics.mv_daily_sales_estimates' order by key")


def test_negative_quantities_and_prices_read_as_not_shown(
    hostile: tuple[Mart, subprocess.CompletedProcess[str]],
) -> None:
    mart, _ = hostile
    assert daily(mart, "h-negative") == [(1, 2, 0, Decimal("10.00"), 1)]
    assert row(mart, "select stock_quantity, price from analytics.mv_product_intelligence"
                     " where dispensary_id = 9001 and sku = 'h-negative'") == (None, None)


def test_same_instant_snapshots_follow_id_order_and_null_quantities_are_skipped(
    hostile: tuple[Mart, subprocess.CompletedProcess[str]],
) -> None:
    mart, _ = hostile
    assert daily(mart, "h-tie") == [(1, 8, 0, Decimal("32.00"), 2)]
    assert daily(mart, "h-ghost") == [(1, 2, 0, Decimal("2.00"), 1)]


def test_a_single_snapshot_is_no_sale_and_off_menu_products_stay_in_sales_only(
    hostile: tuple[Mart, subprocess.CompletedProcess[str]],
) -> None:
    mart, _ = hostile
    assert daily(mart, "h-single") == []
    assert row(mart, "select stock_diff_120, avg_daily_units from analytics.mv_product_intelligence"
                     " where dispensary_id = 9001 and sku = 'h-single'") == (0, None)
    assert row(mart, "select total_units_30d from analytics.mv_sku_velocity"
                     " where dispensary_id = 9001 and product_id = 'h-ghost'") == (2,)
    skus = mart.sql("select sku from analytics.mv_product_intelligence where dispensary_id = 9001"
                    " order by sku")
    assert [s for (s,) in skus] == ["h-negative", "h-quote", "h-single"], "menu rows with a SKU"


def test_huge_stock_caps_days_until_stock_out_and_future_events_are_ignored(
    hostile: tuple[Mart, subprocess.CompletedProcess[str]],
) -> None:
    mart, _ = hostile
    assert row(mart, "select stock_quantity, avg_daily_units, days_until_stock_out, days_since_oos"
                     " from analytics.mv_product_intelligence"
                     " where dispensary_id = 9001 and sku = 'h-quote'") == (
        INT_MAX, Decimal("0.50"), 36500, 3)


def test_names_are_stored_byte_for_byte(
    hostile: tuple[Mart, subprocess.CompletedProcess[str]],
) -> None:
    mart, _ = hostile
    assert row(mart, "select product_name, brand, category from analytics.mv_product_intelligence"
                     " where dispensary_id = 9001 and sku = 'h-quote'") == (NAME, NAME, NAME)
    assert row(mart, "select brand_name from analytics.mv_sku_velocity"
                     " where dispensary_id = 9001 and product_id = 'h-quote'") == (NAME,)
    assert row(mart, "select dispensary_name from analytics.mv_store_performance"
                     " where dispensary_id = 9001") == (STORE,)
    assert mart.scalar("select count(*) from retail_raw.dispensaries") > 0  # type: ignore[operator]


def test_stores_without_products_or_state(
    hostile: tuple[Mart, subprocess.CompletedProcess[str]],
) -> None:
    mart, _ = hostile
    stores = mart.sql(
        "select dispensary_id, state_code, total_skus, in_stock_skus, total_units_30d,"
        " total_revenue_30d, avg_price from analytics.mv_store_performance"
        " where dispensary_id >= 9001 order by dispensary_id")
    assert stores == [
        (9001, "ZZ", 4, 1, 13, Decimal("56.50"), Decimal("11.25")),
        (9002, "ZZ", 0, 0, 0, 0, None),
        (9003, None, 0, 0, 0, 0, None),
    ]
    share = mart.sql("select brand_name, stores_carrying, total_stores, penetration_pct,"
                     " sku_count from analytics.mv_brand_market_share where state_code = 'ZZ'"
                     " order by brand_name")
    assert sorted(share, key=str) == sorted([(NAME, 1, 2, Decimal("50.00"), 1),
                                             ("Neg", 1, 2, Decimal("50.00"), 1),
                                             ("Single", 1, 2, Decimal("50.00"), 1)], key=str)
    assert mart.scalar("select count(*) from analytics.mv_brand_market_share"
                       " where state_code is null or brand_name is null") == 0


def test_a_future_snapshot_counts_once_the_runs_clock_reaches_it(
    hostile: tuple[Mart, subprocess.CompletedProcess[str]],
) -> None:
    """An incremental run whose clock (the setting analytics.as_of) is past the future
    snapshot consumes its entry: the day it lands on gets its row, as a full build then would."""
    mart, _ = hostile
    later = mart.scalar("select to_char((now() + interval '3 days') at time zone 'UTC',"
                        " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
    first = mart.last_log_id()
    stepped = replace(mart, extra_env={"PGOPTIONS": f"-c analytics.as_of={later}"})
    stepped.dbt(["run", "--select", "mv_daily_sales_estimates"])
    assert [row[:3] for row in mart.log_since(first)] == [
        ("mv_daily_sales_estimates", "refresh_incremental", "success")]
    assert pending(mart) == []
    assert daily(mart, "h-quote") == [(1, 1, 0, Decimal("12.50"), 1),
                                      (0, 0, INT_MAX - 99, Decimal("0.00"), 1),
                                      (-2, INT_MAX, 0, INT_MAX * Decimal("12.50"), 1)]
    assert differences_from_full_recomputation(mart, "mv_daily_sales_estimates") == (0, 0, 0)


def test_empty_sources_build_empty_views(
    hostile: tuple[Mart, subprocess.CompletedProcess[str]],
) -> None:
    mart, _ = hostile
    mart.sql("truncate retail_raw.product_visibility_events, retail_raw.inventory_snapshots,"
             " retail_raw.store_products, retail_raw.dispensaries")
    build = mart.dbt(["build", "--select", MART_SELECTOR])
    assert "ERROR=0" in build.stdout and "SKIP=0" in build.stdout, build.stdout[-4000:]
    assert {view: count for view, (count, _) in mart.fingerprints().items()} \
        == dict.fromkeys(MART_VIEWS, 0)
