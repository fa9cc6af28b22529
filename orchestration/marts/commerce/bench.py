"""The commerce mart's bench: the cards of the original's four Metabase dashboards (queries.py),
as the BI tool sends them, and their parameters.

Each query is the SQL of queries.py with its view written `{source}` (the bench runs it on the
view, and over the source tables with the view's query inlined). The dates count back from the
data's last sale day (`as_of`, the dashboard's "today" when the data is fresh); the filters take
the brand with most revenue, the platform with most sales over the 90 days up to `as_of`, the
supplier with most purchases and the dead stock, the inventory manager's first look.

The inventory view is a snapshot: an unsold item's days in stock are the whole 24-hour periods
from its purchase to the refresh (now() of the refresh), and the view keeps no refresh time. Its
raw variants answer as of the refresh all the same (`AsOfRefresh`): any time from the latest
"purchase + days in stock" of an unsold item up to the refresh gives every unsold item the
view's days, so the raw variant uses that time for now(), read from the view (an InitPlan).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from orchestration.bench.spec import SOURCE, BenchSpec, DashboardQuery, ViewReader
from orchestration.marts.commerce import queries as q

if TYPE_CHECKING:
    from orchestration.bench.mart import Mart

EXECUTIVE = "metabase_executive_metrics"
PLATFORM = "metabase_platform_performance"
INVENTORY = "metabase_inventory_status"
SUMMARY = "metabase_inventory_summary"
PRODUCT = "metabase_product_performance"
BRAND = "metabase_brand_analytics"
GEOGRAPHY = "metabase_customer_geography"
SUPPLIER = "metabase_supplier_performance"

# Months of the revenue trend, days of the platform chart and of the platform filter, rows of
# the top lists and of a table page, euros of a price bucket, the inventory filter's category.
MONTHS = 12
DAYS = 30
RANGE_DAYS = 90
TOP = 10
LIMIT = 50
PRICE_BUCKET = 25
STOCK_CATEGORY = "Dead Stock"


def on_source(query: str, view: str) -> str:
    """`query` with its view (`analytics.<view>`, as queries.py names it) written `{source}`."""
    qualified = f"{q.SCHEMA}.{view}"
    if query.count(qualified) != 1:
        raise ValueError(f"the query must read {qualified} exactly once: {query}")
    return query.replace(qualified, SOURCE)


@dataclass(frozen=True)
class AsOfRefresh(DashboardQuery):
    """A card on the inventory views whose raw variant answers as of the item view's refresh: an
    unsold item of `d` days was bought at least `d` and less than `d + 1` whole days (of 86,400
    s) before the refresh, so the latest `purchase_date + d days` over the unsold items is a
    time, no later than the refresh, at which every unsold item is as old as in the view. The
    raw variant reads now() as that time."""

    def on_raw(self, mart: Mart) -> str:
        refreshed_at = ("(select max(purchase_date + days_in_stock * interval '86400 seconds')"
                        f" from {mart.view(INVENTORY).qualified}"
                        " where status in ('in_stock', 'listed'))")
        return super().on_raw(mart).replace("now()", refreshed_at)


def _card(name: str, question: str, view: str, query: str) -> DashboardQuery:
    kind = AsOfRefresh if view in (INVENTORY, SUMMARY) else DashboardQuery
    return kind(name, question, view, on_source(query, view))


QUERIES: tuple[DashboardQuery, ...] = (
    # Executive dashboard.
    _card("exec_month_revenue_profit", "Revenue, profit and sales of the current month",
          EXECUTIVE, q.MONTH_REVENUE_PROFIT),
    _card("exec_month_avg_roi", "Average ROI of the current month", EXECUTIVE, q.MONTH_AVG_ROI),
    _card("exec_active_orders", "Orders still pending or shipped", EXECUTIVE, q.ACTIVE_ORDERS),
    _card("exec_revenue_trend_12_months",
          f"Revenue, profit and sales per month, the last {MONTHS} months", EXECUTIVE,
          q.REVENUE_TREND),
    _card("exec_platforms_30_days", f"Revenue, profit and sales per platform, the last {DAYS} days",
          EXECUTIVE, q.PLATFORMS_LAST_DAYS),
    _card("exec_top_products", f"The {TOP} products with most revenue", PRODUCT,
          q.TOP_PRODUCTS_BY_REVENUE),
    _card("exec_sales_by_country", "Sales, revenue and profit per buyer country", GEOGRAPHY,
          q.SALES_BY_COUNTRY),
    # Product analytics.
    _card("product_top_by_units", f"The {TOP} products with most units sold", PRODUCT,
          q.TOP_PRODUCTS_BY_UNITS),
    _card("product_brand_performance", "Every brand by revenue", BRAND, q.BRAND_PERFORMANCE),
    _card("product_category_distribution", "Products, units, revenue and profit per category",
          PRODUCT, q.CATEGORY_DISTRIBUTION),
    _card("product_price_distribution",
          f"Products per {PRICE_BUCKET}-euro bucket of average sale price", PRODUCT,
          q.PRICE_DISTRIBUTION),
    _card("product_sell_through_by_brand", "Sell-through per brand, highest first", BRAND,
          q.SELL_THROUGH_BY_BRAND),
    _card("product_brand_filter",
          f"The products of one brand by revenue, the first {LIMIT} (the brand with most "
          "revenue)", PRODUCT, q.BRAND_PRODUCTS),
    # Platform performance.
    _card("platform_table", "Every platform by revenue", PLATFORM, q.PLATFORM_TABLE),
    _card("platform_fee_comparison", "Fees per platform, the highest share first", PLATFORM,
          q.FEE_COMPARISON),
    _card("platform_filter_days",
          f"One platform's days over {RANGE_DAYS} days (the platform with most sales)",
          EXECUTIVE, q.PLATFORM_DAYS),
    # Inventory management.
    _card("inventory_stock_value", "Items in stock and their value", SUMMARY, q.STOCK_VALUE),
    _card("inventory_dead_stock", "Items of dead stock", SUMMARY, q.DEAD_STOCK),
    _card("inventory_avg_days_in_stock", "Average days in stock of the items in stock",
          SUMMARY, q.AVG_DAYS_IN_STOCK),
    _card("inventory_slow_moving", "Items in stock moving slowly", SUMMARY, q.SLOW_MOVING),
    _card("inventory_aging_distribution", "Items in stock and their value per stock category",
          SUMMARY, q.AGING_DISTRIBUTION),
    _card("inventory_table_by_category",
          f"The {LIMIT} items of a stock category longest in stock ({STOCK_CATEGORY})",
          INVENTORY, q.INVENTORY_BY_CATEGORY),
    _card("inventory_table_by_supplier",
          f"The {LIMIT} items of a supplier longest in stock (the supplier with most purchases)",
          INVENTORY, q.INVENTORY_BY_SUPPLIER),
    _card("inventory_table_by_category_and_supplier",
          f"The {LIMIT} items of a stock category and a supplier longest in stock", INVENTORY,
          q.INVENTORY_BY_CATEGORY_AND_SUPPLIER),
    _card("inventory_supplier_table", "Every supplier by average ROI", SUPPLIER,
          q.SUPPLIER_TABLE),
)


def pick_parameters(views: ViewReader) -> dict[str, Any]:
    """Deterministic parameters from the views (ties by id or name): the last sale day, the
    brand with most revenue, the platform with most sales over the RANGE_DAYS days up to it, the
    supplier with most items bought; the fixed sizes above."""
    executive = views.relation(EXECUTIVE)
    as_of = views.first(f"select max(sale_date) from {executive}")
    date_from = views.first("select %s::date - %s", (as_of, RANGE_DAYS - 1))
    platform = views.first(
        f"select platform_slug from {executive} where sale_date between %s and %s"
        " group by platform_slug order by sum(total_orders) desc, platform_slug limit 1",
        (date_from, as_of))
    brand = views.first(f"select brand_id from {views.relation(BRAND)}"
                        " order by total_revenue desc, brand_id limit 1")
    supplier = views.first(f"select supplier_name from {views.relation(SUPPLIER)}"
                           " order by total_purchases desc, supplier_id limit 1")
    return {"as_of": as_of, "months": MONTHS, "days": DAYS, "top": TOP, "limit": LIMIT,
            "price_bucket": PRICE_BUCKET, "brand_id": brand, "platform_slug": platform,
            "date_from": date_from, "date_to": as_of, "stock_category": STOCK_CATEGORY,
            "supplier_name": supplier}


def describe(params: Mapping[str, Any]) -> str:
    return (f"as of {params['as_of']} (last sale day), brand {params['brand_id']} (most "
            f"revenue), platform {params['platform_slug']} from {params['date_from']} to "
            f"{params['date_to']}, supplier {params['supplier_name']} (most purchases), "
            f"{params['stock_category']}, {params['limit']} rows a page")


BENCH = BenchSpec(queries=QUERIES, pick_parameters=pick_parameters, describe=describe)
