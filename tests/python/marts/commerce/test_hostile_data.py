"""The commerce mart on hand-written rows the operational tables allow, built as
`analytics_owner` with the refresh time pinned: first on empty tables (every view builds),
then on hostile rows — an order without an inventory item, a negative fee, a payout dated
before its sale, odd currencies and cities, a NULL platform, an unknown order status — each
counted as the views' yml says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest

from orchestration.core.settings import ConnectionSettings
from tests.python.marts.built_marts import built_empty_then_on
from tests.python.marts.built_marts import named_rows as rows
from tests.python.marts.commerce.conftest import MART_SELECTOR, MART_VIEWS
from tests.python.reliability.conftest import Mart

DATABASE = "analytics_commerce_hostile"
AS_OF = "2026-06-30 12:00:00+00"
VARS = ["--vars", json.dumps({"commerce_as_of": AS_OF})]
# Zero rows on empty tables: the views whose rows are events; the others list every brand,
# product, platform and supplier, of which there are none either.
CORPUS = """
insert into products.brands (id, name, segment, price_tier, target_demographic, parent_brand_id)
values (1, 'Nike', 'sneakers', 'premium', 'unisex', null),
       (2, 'Travis Scott x Jordan', 'sneakers', 'premium', 'men', 1);
insert into products.categories (id, name) values (1, 'Sneakers');
insert into products.suppliers (id, name, contact_email, contact_phone, country, rating)
values (1, 'Solebox', 'info@solebox.example', '+49 30 1234', 'DE', 4.50);
insert into transactions.platforms (id, name, slug, fee_percentage, fee_fixed, payout_days)
values (1, 'StockX', 'stockx', 9.50, 0, 5), (2, 'eBay', 'ebay', 11.00, 0.35, 3);
insert into products.products (id, sku, name, brand_id, category_id, retail_price)
values (1, 'DD1391-100', 'Dunk Low Panda', 1, 1, 110), (2, 'CT8012-005', 'TS Jordan 1 Low', 2, 1, 150);
insert into products.inventory (id, product_id, supplier_id, size, color, condition, status,
                                purchase_price, vat_amount, gross_purchase_price, purchase_date)
values (1, 1, 1, '42', 'white', 'new', 'sold', 84.03, 15.97, 100.00, '2026-05-01 10:00+00'),
       (2, 2, 1, '44', 'brown', 'new', 'sold', 420.17, 79.83, 500.00, '2026-06-01 10:00+00'),
       (3, 1, 1, '43', 'white', 'new', 'in_stock', 100.00, 0, 100.00, '2025-12-01 10:00+00');
insert into transactions.orders (id, inventory_id, platform_id, external_id, status, sold_at,
                                 gross_sale, platform_fee, shipping_cost, currency,
                                 buyer_country, buyer_city, payout_received, payout_date)
values
    -- the paid sale: fee credit (negative), payout dated before the sale
    (1, 1, 1, 'SX-1', 'completed', '2026-06-10 10:00+00', 150.00, -5.00, 10.00, 'EUR',
     ' de ', 'München ', true, '2026-06-09 10:00+00'),
    -- an order no item was matched to, on a NULL platform, odd currency and city
    (2, null, null, 'X-2', 'shipped', '2026-06-11 10:00+00', 80.00, 8.00, 5.00, 'US$ ''"',
     'pl', 'Kraków; drop table x --', false, null),
    -- another order of no known platform
    (3, 2, null, 'Z-3', 'completed', '2026-06-12 10:00+00', 900.00, 90.00, 12.00, 'CHF',
     'CH', 'Zürich', true, '2026-06-16 10:00+00'),
    -- an unknown status: not a sale
    (4, 3, 2, 'E-4', 'disputed', '2026-06-13 10:00+00', 200.00, 20.00, 10.00, 'EUR',
     'DE', 'Berlin', false, null);
"""


@pytest.fixture(scope="module")
def mart(pg_settings: ConnectionSettings, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[Mart, dict[str, int]]]:
    """The mart built on empty tables (their row counts kept), then on the corpus."""
    with built_empty_then_on(pg_settings, DATABASE, tmp_path_factory.mktemp("commerce_hostile_dbt"),
                             ["run", "--select", MART_SELECTOR, *VARS], CORPUS,
                             MART_VIEWS) as built:
        yield built


def test_every_view_builds_on_empty_tables(mart: tuple[Mart, dict[str, int]]) -> None:
    _, empty = mart
    assert empty == dict.fromkeys(MART_VIEWS, 0)


def test_orders_without_item_or_platform_count_as_documented(
    mart: tuple[Mart, dict[str, int]],
) -> None:
    built, _ = mart
    platforms = {r["platform_slug"]: r for r in rows(
        built, "select * from analytics.metabase_platform_performance")}
    # Every platform of the table, sold on or not, and one '(none)' row for the orders of no
    # known platform.
    assert set(platforms) == {"stockx", "ebay", "(none)"}
    none = platforms["(none)"]
    assert (none["platform_id"], none["total_orders"], none["total_revenue"]) == (
        None, 2, Decimal("980.00"))
    # The unmatched order has no cost: its revenue counts, its profit and ROI do not.
    assert none["total_profit"] == Decimal("900.00") - 90 - 12 - 500
    assert none["avg_roi"] == Decimal("59.60")
    # The unknown status is not a sale; eBay has no sale.
    assert (platforms["ebay"]["total_orders"], platforms["ebay"]["total_revenue"]) == (
        0, Decimal("0"))


def test_a_negative_fee_is_a_credit_and_an_early_payout_has_no_delay(
    mart: tuple[Mart, dict[str, int]],
) -> None:
    built, _ = mart
    stockx = rows(built, "select * from analytics.metabase_platform_performance"
                         " where platform_slug = 'stockx'")[0]
    assert stockx["total_fees"] == Decimal("-5.00")
    assert stockx["total_net_proceeds"] == Decimal("145.00")
    assert stockx["total_profit"] == Decimal("45.00")
    # Paid out (counted) but dated before the sale: no payout days.
    assert (stockx["payouts_received"], stockx["avg_payout_days"]) == (1, None)


def test_odd_cities_and_currencies_are_kept_and_trimmed(
    mart: tuple[Mart, dict[str, int]],
) -> None:
    built, _ = mart
    places = {(r["country"], r["city"]) for r in rows(
        built, "select country, city from analytics.metabase_customer_geography")}
    assert places == {("DE", "München"), ("PL", "Kraków; drop table x --"), ("CH", "Zürich")}


def test_items_and_suppliers_age_to_the_pinned_refresh_time(
    mart: tuple[Mart, dict[str, int]],
) -> None:
    built, _ = mart
    items = {r["inventory_id"]: r for r in rows(
        built, "select * from analytics.metabase_inventory_status")}
    # Bought 2025-12-01 10:00, unsold at 2026-06-30 12:00: 211 days, dead stock.
    assert (items[3]["days_in_stock"], items[3]["stock_category"],
            items[3]["current_inventory_value"]) == (211, "Dead Stock", Decimal("100.00"))
    assert (items[1]["days_in_stock"], items[1]["stock_category"]) == (40, "Normal")
    supplier = rows(built, "select * from analytics.metabase_supplier_performance")[0]
    assert (supplier["total_purchases"], supplier["units_sold"], supplier["unsold_units"],
            supplier["sell_through_rate"]) == (3, 2, 1, Decimal("66.67"))
