"""The retail mart's bench: what its dashboards ask of the views, and their parameters.

The queries are those a dashboard over the crawler's catalogue sends (see `DashboardQuery` for
how each is also run over the raw tables). Over `retail_raw` the planner pushes a filter into
the inlined SQL wherever it can (a store and product filter reaches the snapshot index through
the window's partition), as a hand-written query over the raw tables would.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any

from orchestration.bench.spec import BenchSpec, DashboardQuery, IncrementalSpec, ViewReader

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


# The late batch: store products (at most this many, and a tenth of them at a small scale),
# about what an hour of crawls brings at M (~4,000 snapshots).
LATE_BATCH_KEYS = 4000
LATE_BATCH_DAYS_BACK = 7
_LATE_BATCH = """
    with picked as (
        select dispensary_id, provider_product_id
        from retail_raw.store_products
        where provider_product_id is not null
        order by dispensary_id, id
        limit %(keys)s
    ),
    -- Below every id the crawler or the simulator ever writes: a later advance cannot collide.
    lowest as (
        select least(coalesce(min(id), 0), 0) as id from retail_raw.inventory_snapshots
    )
    insert into retail_raw.inventory_snapshots (
        id, dispensary_id, product_id, brand_name, category, captured_at, price_rec,
        quantity_available)
    select
        lowest.id - row_number() over (order by last.dispensary_id, last.product_id),
        last.dispensary_id,
        last.product_id,
        last.brand_name,
        last.category,
        %(at)s::timestamptz + (last.dispensary_id %% 60) * interval '1 minute',
        last.price_rec,
        greatest(last.quantity_available - 1 - (hashtext(last.product_id) & 3), 0)
    from picked
    cross join lowest
    cross join lateral (
        select s.*
        from retail_raw.inventory_snapshots as s
        where s.dispensary_id = picked.dispensary_id
          and s.product_id = picked.provider_product_id
          and s.captured_at < %(at)s::timestamptz
        order by s.captured_at desc, s.id desc
        limit 1
    ) as last
    where last.quantity_available is not null
"""


def late_batch(cur: Any, clock: datetime) -> dict[str, Any]:
    """A crawl of a day a week before `clock` that reaches the database only now: for the
    first store products (by store), a snapshot at noon UTC of that day (a minute per store
    after it) showing 1 to 4 units fewer than the product's last snapshot before it. It falls
    between snapshots already written, so that day's estimate and the next change's change."""
    day = (clock.astimezone(UTC) - timedelta(days=LATE_BATCH_DAYS_BACK)).date()
    at = datetime.combine(day, time(12), UTC)
    cur.execute("select count(*) from retail_raw.store_products")
    row = cur.fetchone()
    keys = max(1, min(LATE_BATCH_KEYS, int(row[0] if row else 0) // 10))
    cur.execute(_LATE_BATCH, {"keys": keys, "at": at})
    return {"table": "retail_raw.inventory_snapshots", "rows": cur.rowcount,
            "keys": keys, "day": day.isoformat(), "captured_from": at.isoformat()}


INCREMENTAL = IncrementalSpec(cadence="hourly", late_batch=late_batch, advance="1h")

BENCH = BenchSpec(queries=QUERIES, pick_parameters=pick_parameters, describe=describe,
                  incremental=INCREMENTAL)
