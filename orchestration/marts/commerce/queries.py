"""The commerce mart's dashboard reads: the original's four Metabase dashboards (executive,
product analytics, platform performance, inventory management), one statement per card, as SQL
over the mart's views in schema `analytics`, with psycopg2 named parameters, for the reader role
`analytics_reader` (SELECT on the views, nothing else).

Every date window counts back from `%(as_of)s`, the dashboard's "today" (a date: the BI tool
binds `current_date` in the shop's time zone; the bench and the tests bind the data's last sale
day, so their figures do not depend on when they run). Lists end on a unique column, so a page
is the same whatever the plan. The index each card reads through is in docs/commerce-mart.md,
"Read queries"; the figures at scale M under "Benchmark at scale M".

Executive (`EXECUTIVE`):
  `MONTH_REVENUE_PROFIT` revenue, profit and sales of the month of `as_of`;
  `MONTH_AVG_ROI` the month's average ROI (the days' averages weighted by their sales);
  `ACTIVE_ORDERS` orders still pending or shipped, whenever sold;
  `REVENUE_TREND` revenue and profit per month, the `months` months up to `as_of`'s;
  `PLATFORMS_LAST_DAYS` per platform over the `days` days up to `as_of`;
  `TOP_PRODUCTS_BY_REVENUE` the `top` products with most revenue;
  `SALES_BY_COUNTRY` per buyer country.
Product analytics (`PRODUCT_ANALYTICS`):
  `TOP_PRODUCTS_BY_UNITS`, `BRAND_PERFORMANCE`, `CATEGORY_DISTRIBUTION`,
  `PRICE_DISTRIBUTION` (products per `price_bucket`-euro bucket of average sale price),
  `SELL_THROUGH_BY_BRAND`, `BRAND_PRODUCTS` (the products of brand `brand_id`, by revenue).
Platform performance (`PLATFORM_PERFORMANCE`):
  `PLATFORM_TABLE`, `FEE_COMPARISON`, `PLATFORM_DAYS` (platform `platform_slug`, the days
  from `date_from` to `date_to`).
Inventory management (`INVENTORY_MANAGEMENT`), over the items in stock (status in_stock or
listed: what "unsold" means in the views) unless the card says otherwise:
  `STOCK_VALUE`, `DEAD_STOCK`, `AVG_DAYS_IN_STOCK`, `SLOW_MOVING`, `AGING_DISTRIBUTION` (totals,
  from the summary view `metabase_inventory_summary`: a few hundred rows, not 2.5 million);
  `INVENTORY_BY_CATEGORY` / `INVENTORY_BY_SUPPLIER` / `INVENTORY_BY_CATEGORY_AND_SUPPLIER`
  (every item, sold or not, of `stock_category` and/or `supplier_name`, the longest in stock
  first, `limit` rows); `SUPPLIER_TABLE`.
"""

from __future__ import annotations

from typing import Final

SCHEMA: Final = "analytics"
EXECUTIVE_VIEW: Final = f"{SCHEMA}.metabase_executive_metrics"
PLATFORM_VIEW: Final = f"{SCHEMA}.metabase_platform_performance"
INVENTORY_VIEW: Final = f"{SCHEMA}.metabase_inventory_status"
SUMMARY_VIEW: Final = f"{SCHEMA}.metabase_inventory_summary"
PRODUCT_VIEW: Final = f"{SCHEMA}.metabase_product_performance"
BRAND_VIEW: Final = f"{SCHEMA}.metabase_brand_analytics"
GEOGRAPHY_VIEW: Final = f"{SCHEMA}.metabase_customer_geography"
SUPPLIER_VIEW: Final = f"{SCHEMA}.metabase_supplier_performance"

# The items in stock: the statuses the views count as unsold (int_commerce__items.is_unsold).
_IN_STOCK = "status in ('in_stock', 'listed')"

# -- Executive -----------------------------------------------------------------------------------

MONTH_REVENUE_PROFIT: Final = f"""
select
    coalesce(sum(total_revenue), 0) as revenue,
    coalesce(sum(total_profit), 0) as profit,
    coalesce(sum(total_orders), 0) as sales
from {EXECUTIVE_VIEW}
where sale_month = date_trunc('month', %(as_of)s::date)::date
"""

MONTH_AVG_ROI: Final = f"""
select
    round(sum(avg_roi * total_orders) / nullif(sum(total_orders) filter (where avg_roi is not null), 0),
          2) as avg_roi
from {EXECUTIVE_VIEW}
where sale_month = date_trunc('month', %(as_of)s::date)::date
"""

ACTIVE_ORDERS: Final = f"""
select coalesce(sum(active_orders), 0) as active_orders
from {EXECUTIVE_VIEW}
"""

REVENUE_TREND: Final = f"""
select
    sale_month,
    sum(total_revenue) as revenue,
    sum(total_profit) as profit,
    sum(total_orders) as sales
from {EXECUTIVE_VIEW}
where
    sale_month >= (date_trunc('month', %(as_of)s::date)
                   - make_interval(months => %(months)s - 1))::date
    and sale_month <= %(as_of)s::date
group by sale_month
order by sale_month
"""

PLATFORMS_LAST_DAYS: Final = f"""
select
    platform_slug,
    min(platform_name) as platform_name,
    sum(total_revenue) as revenue,
    sum(total_profit) as profit,
    sum(total_orders) as sales
from {EXECUTIVE_VIEW}
where sale_date > %(as_of)s::date - %(days)s and sale_date <= %(as_of)s::date
group by platform_slug
order by revenue desc, platform_slug
"""

TOP_PRODUCTS_BY_REVENUE: Final = f"""
select product_id, product_name, brand_name, units_sold, total_revenue, total_profit, avg_roi
from {PRODUCT_VIEW}
order by total_revenue desc, product_id
limit %(top)s
"""

SALES_BY_COUNTRY: Final = f"""
select
    country,
    sum(total_orders) as sales,
    sum(total_revenue) as revenue,
    sum(total_profit) as profit
from {GEOGRAPHY_VIEW}
group by country
order by revenue desc, country
"""

# -- Product analytics ---------------------------------------------------------------------------

TOP_PRODUCTS_BY_UNITS: Final = f"""
select product_id, product_name, brand_name, category_name, units_sold, total_revenue,
       sell_through_rate
from {PRODUCT_VIEW}
order by units_sold desc, product_id
limit %(top)s
"""

BRAND_PERFORMANCE: Final = f"""
select brand_id, brand_name, is_collaboration, parent_brand_name, total_sales, total_revenue,
       total_profit, avg_price, avg_roi, market_share_pct, sales_share_pct, price_positioning,
       volume_tier
from {BRAND_VIEW}
order by total_revenue desc, brand_id
"""

CATEGORY_DISTRIBUTION: Final = f"""
select
    category_name,
    count(*) as products,
    sum(units_sold) as units_sold,
    sum(total_revenue) as revenue,
    sum(total_profit) as profit
from {PRODUCT_VIEW}
group by category_name
order by revenue desc, category_name
"""

PRICE_DISTRIBUTION: Final = f"""
select
    floor(avg_price / %(price_bucket)s) * %(price_bucket)s as price_from,
    count(*) as products,
    sum(units_sold) as units_sold
from {PRODUCT_VIEW}
where avg_price is not null
group by 1
order by 1
"""

SELL_THROUGH_BY_BRAND: Final = f"""
select brand_id, brand_name, units_purchased, total_sales, sell_through_rate
from {BRAND_VIEW}
where units_purchased > 0
order by sell_through_rate desc, brand_id
"""

BRAND_PRODUCTS: Final = f"""
select product_id, product_name, sku, category_name, units_sold, total_revenue, total_profit,
       avg_price, avg_roi, sell_through_rate
from {PRODUCT_VIEW}
where brand_id = %(brand_id)s
order by total_revenue desc, product_id
limit %(limit)s
"""

# -- Platform performance ------------------------------------------------------------------------

PLATFORM_TABLE: Final = f"""
select platform_slug, platform_name, total_orders, total_revenue, avg_order_value,
       total_profit, profit_margin_pct, avg_roi, avg_payout_days, countries_served
from {PLATFORM_VIEW}
order by total_revenue desc, platform_slug
"""

FEE_COMPARISON: Final = f"""
select platform_slug, platform_name, total_revenue, total_fees, avg_fee, fee_pct
from {PLATFORM_VIEW}
where total_orders > 0
order by fee_pct desc, platform_slug
"""

PLATFORM_DAYS: Final = f"""
select sale_date, total_orders, total_revenue, total_profit, avg_order_value, total_fees,
       cancelled_orders, returned_orders
from {EXECUTIVE_VIEW}
where platform_slug = %(platform_slug)s
  and sale_date between %(date_from)s::date and %(date_to)s::date
order by sale_date desc
"""

# -- Inventory management ------------------------------------------------------------------------

STOCK_VALUE: Final = f"""
select coalesce(sum(items), 0) as items_in_stock, coalesce(sum(stock_value), 0) as stock_value
from {SUMMARY_VIEW}
where {_IN_STOCK}
"""

DEAD_STOCK: Final = f"""
select coalesce(sum(items), 0) as dead_stock_items
from {SUMMARY_VIEW}
where stock_category = 'Dead Stock'
"""

AVG_DAYS_IN_STOCK: Final = f"""
select round(sum(days_in_stock_total)::numeric / nullif(sum(items_with_days), 0), 1)
       as avg_days_in_stock
from {SUMMARY_VIEW}
where {_IN_STOCK}
"""

SLOW_MOVING: Final = f"""
select coalesce(sum(items), 0) as slow_moving_items
from {SUMMARY_VIEW}
where stock_category = 'Slow Moving' and {_IN_STOCK}
"""

AGING_DISTRIBUTION: Final = f"""
select
    stock_category,
    sum(items) as items,
    sum(stock_value) as stock_value
from {SUMMARY_VIEW}
where {_IN_STOCK}
group by stock_category
order by case stock_category
    when 'Fast Moving' then 1 when 'Normal' then 2 when 'Slow Moving' then 3
    when 'Dead Stock' then 4 else 5 end
"""

_ITEM_COLUMNS = """
    inventory_id, product_name, sku, brand_name, category_name, supplier_name, status,
    condition, size, purchase_date, gross_purchase_price, times_sold, days_in_stock,
    stock_category, current_inventory_value"""

INVENTORY_BY_CATEGORY: Final = f"""
select {_ITEM_COLUMNS}
from {INVENTORY_VIEW}
where stock_category = %(stock_category)s
order by days_in_stock desc, inventory_id
limit %(limit)s
"""

INVENTORY_BY_SUPPLIER: Final = f"""
select {_ITEM_COLUMNS}
from {INVENTORY_VIEW}
where supplier_name = %(supplier_name)s
order by days_in_stock desc nulls last, inventory_id
limit %(limit)s
"""

INVENTORY_BY_CATEGORY_AND_SUPPLIER: Final = f"""
select {_ITEM_COLUMNS}
from {INVENTORY_VIEW}
where stock_category = %(stock_category)s and supplier_name = %(supplier_name)s
order by days_in_stock desc, inventory_id
limit %(limit)s
"""

SUPPLIER_TABLE: Final = f"""
select supplier_id, supplier_name, country, rating, total_purchases, total_spent, units_sold,
       sell_through_rate, total_revenue_generated, total_profit, avg_roi, avg_days_to_sell,
       unsold_units, unsold_value
from {SUPPLIER_VIEW}
order by avg_roi desc nulls last, supplier_id
"""

EXECUTIVE: Final = (MONTH_REVENUE_PROFIT, MONTH_AVG_ROI, ACTIVE_ORDERS, REVENUE_TREND,
                    PLATFORMS_LAST_DAYS, TOP_PRODUCTS_BY_REVENUE, SALES_BY_COUNTRY)
PRODUCT_ANALYTICS: Final = (TOP_PRODUCTS_BY_UNITS, BRAND_PERFORMANCE, CATEGORY_DISTRIBUTION,
                            PRICE_DISTRIBUTION, SELL_THROUGH_BY_BRAND, BRAND_PRODUCTS)
PLATFORM_PERFORMANCE: Final = (PLATFORM_TABLE, FEE_COMPARISON, PLATFORM_DAYS)
INVENTORY_MANAGEMENT: Final = (STOCK_VALUE, DEAD_STOCK, AVG_DAYS_IN_STOCK, SLOW_MOVING,
                               AGING_DISTRIBUTION, INVENTORY_BY_CATEGORY, INVENTORY_BY_SUPPLIER,
                               INVENTORY_BY_CATEGORY_AND_SUPPLIER, SUPPLIER_TABLE)
