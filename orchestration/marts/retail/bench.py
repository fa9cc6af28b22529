"""The retail mart's bench: what its dashboards ask of the views, and their parameters.

The queries are those a dashboard over the crawler's catalogue sends (see `DashboardQuery` for
how each is also run over the raw tables). Over `retail_raw` the planner pushes a filter into
the inlined SQL wherever it can (a store and product filter reaches the snapshot index through
the window's partition), as a hand-written query over the raw tables would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestration.bench.spec import BenchSpec, DashboardQuery, ViewReader

QUERIES: tuple[DashboardQuery, ...] = (
    DashboardQuery(
        "top_products_of_brand", "Top products of a brand by 30-day units", "mv_sku_velocity",
        """select dispensary_id, product_id, dispensary_name, state_code, total_units_30d,
                  total_revenue_30d, velocity_tier
           from {source}
           where brand_name = %(brand)s
           order by total_units_30d desc, dispensary_id, product_id
           limit 20""",
    ),
    DashboardQuery(
        "stock_out_soon_in_state", "Products about to stock out in a state",
        "mv_product_intelligence",
        """select dispensary_id, sku, product_name, brand, dispensary_name, stock_quantity,
                  avg_daily_units, days_until_stock_out
           from {source}
           where state_code = %(state)s and days_until_stock_out <= %(stock_out_days)s
           order by days_until_stock_out, dispensary_id, sku
           limit 50""",
    ),
    DashboardQuery(
        "stores_by_revenue_in_state", "Stores ranked by 30-day revenue in a state",
        "mv_store_performance",
        """select dispensary_id, dispensary_name, city, total_revenue_30d, total_units_30d,
                  total_skus
           from {source}
           where state_code = %(state)s
           order by total_revenue_30d desc, dispensary_id
           limit 25""",
    ),
    DashboardQuery(
        "brand_penetration_in_state", "Brand penetration in a state", "mv_brand_market_share",
        """select brand_name, stores_carrying, total_stores, penetration_pct, sku_count,
                  in_stock_skus
           from {source}
           where state_code = %(state)s
           order by penetration_pct desc, brand_name
           limit 25""",
    ),
    DashboardQuery(
        "category_weekly_trend_in_state", "Weekly category trend for a state",
        "mv_category_weekly_trends",
        """select category, week_start, sku_count, store_count, total_units, total_revenue
           from {source}
           where state_code = %(state)s
           order by category, week_start""",
    ),
    DashboardQuery(
        "sku_tiers_for_store", "SKU velocity tiers of a store", "mv_sku_velocity",
        """select velocity_tier, count(*) as skus, sum(total_units_30d) as units,
                  sum(total_revenue_30d) as revenue
           from {source}
           where dispensary_id = %(store)s
           group by velocity_tier
           order by velocity_tier""",
    ),
    DashboardQuery(
        "recent_out_of_stock", "Products that went out of stock recently",
        "mv_product_intelligence",
        """select dispensary_id, sku, product_name, brand, dispensary_name, state_code,
                  days_since_oos
           from {source}
           where days_since_oos <= %(oos_days)s
           order by days_since_oos, dispensary_id, sku
           limit 50""",
    ),
    DashboardQuery(
        "product_daily_sales", "A product's daily sales in a store", "mv_daily_sales_estimates",
        """select sale_date, units_sold, units_restocked, revenue_estimate, avg_price,
                  snapshot_count
           from {source}
           where dispensary_id = %(store)s and product_id = %(product)s
           order by sale_date""",
    ),
)
# Windows of the stock-out questions, in days.
STOCK_OUT_DAYS = 7
OOS_DAYS = 3


def pick_parameters(views: ViewReader) -> dict[str, Any]:
    """Deterministic parameters from the views: the state with most stores, the best-selling
    brand, that state's top store by revenue and that store's best-selling product."""
    stores = views.relation("mv_store_performance")
    velocity = views.relation("mv_sku_velocity")
    state = views.first(f"select state_code from {stores} where state_code is not null"
                        " group by 1 order by count(*) desc, 1 limit 1")
    brand = views.first(f"select brand_name from {velocity} where brand_name is not null"
                        " group by 1 order by sum(total_units_30d) desc nulls last, 1 limit 1")
    store = views.first(f"select dispensary_id from {stores} where state_code = %s"
                        " order by total_revenue_30d desc, dispensary_id limit 1", (state,))
    product = views.first(f"select product_id from {velocity} where dispensary_id = %s"
                          " order by total_units_30d desc nulls last, product_id limit 1",
                          (store,))
    return {
        "state": state if state is not None else "",
        "brand": brand if brand is not None else "",
        "store": store if store is not None else 0,
        "product": product if product is not None else "",
        "stock_out_days": STOCK_OUT_DAYS,
        "oos_days": OOS_DAYS,
    }


def describe(params: Mapping[str, Any]) -> str:
    return (f"state {params['state']} (most stores), brand {params['brand']} (best seller), "
            f"store {params['store']} (the state's top by revenue), product {params['product']} "
            f"(the store's best seller); stock-outs within {params['stock_out_days']} days, "
            f"out of stock within {params['oos_days']} days")


BENCH = BenchSpec(queries=QUERIES, pick_parameters=pick_parameters, describe=describe)
