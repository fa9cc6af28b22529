"""An independent check of the commerce mart: the views' numbers recomputed in plain Python from
the simulator's raw rows (scale S, plain SELECTs of the source tables) and the written
definitions (docs/commerce-mart.md "Definitions" and the columns' descriptions in the views'
yml), never from the models' SQL.

- `metabase_platform_performance`: every column of every row (the five platforms, and the
  `(none)` row if sales of no known platform exist).
- `metabase_product_performance`: every column of five products chosen deterministically: the
  top seller, one sold on several platforms, one with cancelled or returned orders, one never
  sold, and a collaboration brand's product.

Postgres' numeric arithmetic is reproduced exactly: a division (an average is sum ÷ count) is
rounded half away from zero at the scale Postgres chooses for it (`select_div_scale`: at least
16 significant digits), then `round(x, 2)` rounds half away from zero (Decimal ROUND_HALF_UP).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from fractions import Fraction
from math import floor
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from orchestration.core.database import connect
from orchestration.core.settings import ConnectionSettings
from tests.python.marts.commerce.conftest import BuiltMart

BERLIN = ZoneInfo("Europe/Berlin")  # dbt var commerce_time_zone
SALE_STATUSES = frozenset({"pending", "shipped", "completed"})
NONE_SLUG = "(none)"
UNKNOWN = "(unknown)"
# Postgres numeric: NUMERIC_MIN_SIG_DIGITS, DEC_DIGITS (decimal digits per base-10000 digit).
MIN_SIG_DIGITS = 16
DEC_DIGITS = 4
WIDE = Context(prec=400, rounding=ROUND_HALF_UP)


# --- Postgres numeric, exactly -----------------------------------------------------------------

def dscale(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def weight_and_first_digit(value: Decimal) -> tuple[int, int]:
    """The weight (power of 10000) of a numeric's first non-zero base-10000 digit, and that digit."""
    if value == 0:
        return 0, 0
    magnitude = abs(value)
    weight = magnitude.adjusted() // DEC_DIGITS
    return weight, int(magnitude.scaleb(-DEC_DIGITS * weight, WIDE))


def round_half_away(value: Fraction, scale: int) -> Decimal:
    units = floor(abs(value) * 10**scale + Fraction(1, 2))
    return Decimal(-units if value < 0 else units).scaleb(-scale)


def pg_div(numerator: Decimal, denominator: Decimal) -> Decimal:
    """numeric ÷ numeric as Postgres computes it: rounded at `select_div_scale`'s scale."""
    weight1, first1 = weight_and_first_digit(numerator)
    weight2, first2 = weight_and_first_digit(denominator)
    quotient_weight = weight1 - weight2 - (1 if first1 <= first2 else 0)
    scale = max(MIN_SIG_DIGITS - quotient_weight * DEC_DIGITS, dscale(numerator),
                dscale(denominator), 0)
    scale = min(scale, 1000)
    return round_half_away(Fraction(numerator) / Fraction(denominator), scale)


def total(values: Iterable[Decimal]) -> Decimal:
    with localcontext(WIDE):
        return sum(values, Decimal(0))


def pg_avg(values: list[Decimal]) -> Decimal | None:
    """avg(numeric) or avg(integer): sum ÷ count, a numeric division."""
    return pg_div(total(values), Decimal(len(values))) if values else None


def pg_stddev_samp(values: list[Decimal]) -> Decimal | None:
    """stddev_samp(numeric): (N·ΣX² - (ΣX)²) ÷ (N·(N-1)) rounded, then its square root rounded
    at the same scale; NULL below two values."""
    n = len(values)
    if n < 2:
        return None
    with localcontext(WIDE):
        numerator = Decimal(n) * total(v * v for v in values) - total(values) ** 2
        if numerator <= 0:
            return Decimal(0)
        variance = pg_div(numerator, Decimal(n * (n - 1)))
        return variance.sqrt(WIDE).quantize(Decimal(1).scaleb(-dscale(variance)), ROUND_HALF_UP)


def pg_round(value: Decimal | None, places: int) -> Decimal | None:
    """round(numeric, places): half away from zero."""
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=WIDE)


def pct(part: Decimal | int | None, whole: Decimal | int | None) -> Decimal | None:
    """A percentage, 2 decimals; NULL when the denominator is 0 or NULL."""
    if part is None or not whole:
        return None
    with localcontext(WIDE):
        return pg_round(pg_div(Decimal(part) * 100, Decimal(whole)), 2)


# --- the raw rows and their definitions ---------------------------------------------------------

@dataclass(frozen=True)
class Order:
    id: int
    inventory_id: int | None
    platform_id: int | None
    status: str
    sold_at: datetime
    gross_sale: Decimal
    platform_fee: Decimal | None
    shipping_cost: Decimal | None
    buyer_country: str | None
    buyer_city: str | None
    payout_received: bool
    payout_date: datetime | None


@dataclass(frozen=True)
class Item:
    id: int
    product_id: int
    supplier_id: int | None
    gross_purchase_price: Decimal | None


@dataclass(frozen=True)
class Sale:
    """A sale (an order pending, shipped or completed) with what the definitions make of it."""

    order: Order
    item: Item | None
    platform_id: int | None
    sale_date: date  # calendar day in Europe/Berlin
    revenue: Decimal  # gross_sale
    fees: Decimal  # platform_fee, NULL as 0, negative counted as given
    shipping: Decimal
    net_proceeds: Decimal
    cost: Decimal | None  # the item's gross purchase price
    profit: Decimal | None  # NULL without a cost
    roi: Decimal | None  # NULL without a cost or at zero cost
    payout_days: int | None
    country: str
    city: str


@dataclass(frozen=True)
class Raw:
    platforms: dict[int, tuple[str, str]]  # id -> (name, slug)
    orders: list[Order]
    items: dict[int, Item]
    products: dict[int, dict[str, Any]]
    brands: dict[int, dict[str, Any]]
    categories: dict[int, str]


def fetch(settings: ConnectionSettings, statement: str) -> list[dict[str, Any]]:
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(statement)
        names = [column.name for column in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


@pytest.fixture(scope="module")
def raw(commerce_mart: BuiltMart) -> Raw:
    """The simulator's rows: plain SELECTs of the source tables, nothing of the mart."""
    settings = commerce_mart.settings
    platforms = {row["id"]: (row["name"], row["slug"])
                 for row in fetch(settings, "select id, name, slug from transactions.platforms")}
    orders = [Order(**row) for row in fetch(settings, """
        select id, inventory_id, platform_id, status, sold_at, gross_sale, platform_fee,
               shipping_cost, buyer_country, buyer_city, payout_received, payout_date
        from transactions.orders""")]
    items = {row["id"]: Item(**row) for row in fetch(settings, """
        select id, product_id, supplier_id, gross_purchase_price from products.inventory""")}
    products = {row["id"]: row for row in fetch(settings, """
        select id, name, sku, brand_id, category_id from products.products""")}
    brands = {row["id"]: row for row in fetch(settings, """
        select id, name, segment, price_tier, parent_brand_id from products.brands""")}
    categories = {row["id"]: row["name"]
                  for row in fetch(settings, "select id, name from products.categories")}
    assert platforms and orders and items and products and brands, "the sources are empty"
    return Raw(platforms, orders, items, products, brands, categories)


def clean(text: str | None, upper: bool = False) -> str:
    """A buyer's country (upper-cased) or city as written, trimmed; '(unknown)' if NULL or blank."""
    trimmed = (text or "").strip()
    trimmed = trimmed.upper() if upper else trimmed
    return trimmed or UNKNOWN


def sale_of(order: Order, raw: Raw) -> Sale:
    item = raw.items.get(order.inventory_id) if order.inventory_id is not None else None
    fees = order.platform_fee if order.platform_fee is not None else Decimal(0)
    shipping = order.shipping_cost if order.shipping_cost is not None else Decimal(0)
    net = order.gross_sale - fees - shipping
    cost = item.gross_purchase_price if item else None
    profit = net - cost if cost is not None else None
    roi = pg_div(profit * 100, cost) if profit is not None and cost else None
    payout_days = None
    if order.payout_received and order.payout_date is not None \
            and order.payout_date >= order.sold_at:
        payout_days = (order.payout_date - order.sold_at).days  # floor of whole days
    return Sale(order, item, order.platform_id, order.sold_at.astimezone(BERLIN).date(),
                order.gross_sale, fees, shipping, net, cost, profit, roi, payout_days,
                clean(order.buyer_country, upper=True), clean(order.buyer_city))


@pytest.fixture(scope="module")
def sales(raw: Raw) -> list[Sale]:
    found = [sale_of(order, raw) for order in raw.orders if order.status in SALE_STATUSES]
    assert found, "no sales in the data"
    return found


def month(day: date) -> date:
    return day.replace(day=1)


def differences(view: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    assert set(view) == set(expected), (sorted(set(view) ^ set(expected)))
    return [f"{column}: view {view[column]!r}, expected {expected[column]!r}"
            for column in expected if view[column] != expected[column]]


# --- metabase_platform_performance ---------------------------------------------------------------

def platform_row(platform_id: int | None, name: str, slug: str, of: list[Sale]) -> dict[str, Any]:
    revenue = total(s.revenue for s in of)
    fees = total(s.fees for s in of)
    profits = [s.profit for s in of if s.profit is not None]
    profit = total(profits)
    rois = [s.roi for s in of if s.roi is not None]
    payout_days = [Decimal(s.payout_days) for s in of if s.payout_days is not None]
    return {
        "platform_id": platform_id,
        "platform_name": name,
        "platform_slug": slug,
        "total_orders": len(of),
        "active_months": len({month(s.sale_date) for s in of}),
        "total_revenue": revenue,
        "avg_order_value": pg_round(pg_avg([s.revenue for s in of]), 2),
        "min_order_value": min((s.revenue for s in of), default=None),
        "max_order_value": max((s.revenue for s in of), default=None),
        "total_fees": fees,
        "avg_fee": pg_round(pg_avg([s.fees for s in of]), 2),
        "fee_pct": pct(fees, revenue) if of else None,
        "total_shipping": total(s.shipping for s in of),
        "total_net_proceeds": total(s.net_proceeds for s in of),
        "total_profit": profit,
        "avg_roi": pg_round(pg_avg(rois), 2),
        "profit_margin_pct": pct(profit, revenue) if of else None,
        "payouts_received": sum(1 for s in of if s.order.payout_received),
        "avg_payout_days": pg_round(pg_avg(payout_days), 1),
        "countries_served": len({s.country for s in of}),
        "cities_served": len({(s.country, s.city) for s in of}),
    }


def expected_platforms(raw: Raw, sales: list[Sale]) -> dict[str, dict[str, Any]]:
    by_platform: dict[int | None, list[Sale]] = defaultdict(list)
    for sale in sales:
        by_platform[sale.platform_id if sale.platform_id in raw.platforms else None].append(sale)
    rows = {slug: platform_row(platform_id, name, slug, by_platform.get(platform_id, []))
            for platform_id, (name, slug) in raw.platforms.items()}
    if by_platform.get(None):
        rows[NONE_SLUG] = platform_row(None, "Unknown platform", NONE_SLUG, by_platform[None])
    return rows


def test_platform_performance_every_row_and_column(commerce_mart: BuiltMart, raw: Raw,
                                                   sales: list[Sale]) -> None:
    expected = expected_platforms(raw, sales)
    assert len(raw.platforms) == 5
    view = {row["platform_slug"]: row for row in fetch(
        commerce_mart.settings, "select * from analytics.metabase_platform_performance")}
    assert sorted(view) == sorted(expected)
    assert sum(row["total_orders"] for row in expected.values()) == len(sales)
    wrong = {slug: found for slug in expected
             if (found := differences(view[slug], expected[slug]))}
    assert not wrong, wrong


# --- metabase_product_performance ----------------------------------------------------------------

def product_row(raw: Raw, product_id: int, of: list[Sale]) -> dict[str, Any]:
    product = raw.products[product_id]
    brand = raw.brands.get(product["brand_id"]) or {}
    items = [item for item in raw.items.values() if item.product_id == product_id]
    sold_items = {s.item.id for s in of if s.item is not None}
    prices = [s.revenue for s in of]
    days = [s.sale_date for s in of]
    purchase_prices = [i.gross_purchase_price for i in items if i.gross_purchase_price is not None]
    return {
        "product_id": product_id,
        "product_name": product["name"],
        "sku": product["sku"],
        "category_name": raw.categories.get(product["category_id"]),
        "brand_id": product["brand_id"],
        "brand_name": brand.get("name"),
        "brand_segment": brand.get("segment"),
        "brand_price_tier": brand.get("price_tier"),
        "is_collaboration": brand.get("parent_brand_id") is not None,
        "units_sold": len(of),
        "total_revenue": total(prices),
        "avg_price": pg_round(pg_avg(prices), 2),
        "min_price": min(prices, default=None),
        "max_price": max(prices, default=None),
        "price_volatility": pg_round(pg_stddev_samp(prices), 2),
        "total_profit": total(s.profit for s in of if s.profit is not None),
        "avg_roi": pg_round(pg_avg([s.roi for s in of if s.roi is not None]), 2),
        "total_fees": total(s.fees for s in of),
        "avg_purchase_price": pg_round(pg_avg(purchase_prices), 2),
        "supplier_count": len({i.supplier_id for i in items if i.supplier_id is not None}),
        "units_purchased": len(items),
        "sell_through_rate": pct(len(sold_items), len(items)),
        "platforms_sold_on": len({s.platform_id for s in of if s.platform_id is not None}),
        "first_sale_date": min(days, default=None),
        "last_sale_date": max(days, default=None),
        "sales_duration_days": (max(days) - min(days)).days if days else None,
    }


ROLES = ("top seller", "several platforms", "cancellations or returns", "never sold",
         "collaboration")


@pytest.fixture(scope="module")
def chosen(raw: Raw, sales: list[Sale]) -> dict[str, tuple[int, list[Sale]]]:
    """Five distinct products, one per role, each the first by its role's order (ties by id)."""
    by_product: dict[int, list[Sale]] = defaultdict(list)
    for sale in sales:
        if sale.item is not None:
            by_product[sale.item.product_id].append(sale)
    not_sales: dict[int, int] = defaultdict(int)
    for order in raw.orders:
        item = raw.items.get(order.inventory_id) if order.inventory_id is not None else None
        if item is not None and order.status in ("cancelled", "returned"):
            not_sales[item.product_id] += 1

    def units(pid: int) -> int:
        return len(by_product.get(pid, []))

    def revenue(pid: int) -> Decimal:
        return total(s.revenue for s in by_product.get(pid, []))

    def platforms(pid: int) -> int:
        return len({s.platform_id for s in by_product.get(pid, [])})

    def collaboration(pid: int) -> bool:
        brand = raw.brands.get(raw.products[pid]["brand_id"]) or {}
        return brand.get("parent_brand_id") is not None

    def no_berlin_edge(pid: int) -> bool:
        """False when its first or last sale is on another calendar day in UTC than in Berlin
        (so the check sees the time zone)."""
        of = sorted(by_product.get(pid, []), key=lambda s: s.order.sold_at)
        return not any(s.sale_date != s.order.sold_at.astimezone(UTC).date() for s in of[:1] + of[-1:])

    bought = {item.product_id for item in raw.items.values()}
    candidates = {
        "top seller": sorted(raw.products, key=lambda p: (-units(p), -revenue(p), p)),
        # the most platforms, first or last sold late in the Berlin evening, the fewest sales
        "several platforms": sorted((p for p in raw.products if platforms(p) >= 2),
                                    key=lambda p: (-platforms(p), no_berlin_edge(p), units(p), p)),
        "cancellations or returns": sorted((p for p in raw.products if not_sales[p]),
                                           key=lambda p: (-not_sales[p], p)),
        # never sold, preferring one whose items were bought (a sell-through of 0); if every
        # product sold, the least sold
        "never sold": sorted(raw.products, key=lambda p: (units(p), p not in bought, p)),
        "collaboration": sorted((p for p in raw.products if collaboration(p) and units(p)),
                                key=lambda p: (-units(p), p)),
    }
    picked: dict[str, tuple[int, list[Sale]]] = {}
    for role in ROLES:
        assert candidates[role], f"no product qualifies as {role!r} in the data"
        pid = next(p for p in candidates[role] if p not in {q for q, _ in picked.values()})
        picked[role] = (pid, by_product.get(pid, []))
    assert len({pid for pid, _ in picked.values()}) == len(ROLES)
    return picked


@pytest.mark.parametrize("role", ROLES)
def test_product_performance_every_column(commerce_mart: BuiltMart, raw: Raw,
                                          chosen: dict[str, tuple[int, list[Sale]]],
                                          role: str) -> None:
    product_id, of = chosen[role]
    expected = product_row(raw, product_id, of)
    found = fetch(commerce_mart.settings, f"""
        select * from analytics.metabase_product_performance where product_id = {int(product_id)}""")
    assert len(found) == 1, found
    assert not (wrong := differences(found[0], expected)), (role, product_id, wrong)
