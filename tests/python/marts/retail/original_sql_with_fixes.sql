-- The crawler's original SQL (its migration 121) with only the five fixes applied, as temporary
-- views original_<view>: the reference test_original_sql_equivalence.py compares the retail
-- mart with. Run with search_path = retail_raw and TimeZone = UTC, in one transaction (so now()
-- is one instant). Changes from the original, each marked: F1 (LAG over the whole history), F2 (90 whole days of
-- daily sales), F3 (crawled stores only, in every measure of the brand share), F4 (no NULL provider ids), F5 (sale
-- days and day windows in each store's time zone: its state's in the seed, else UTC).
CREATE TEMP VIEW f5_store_zones AS                                      -- F5
SELECT d.id AS dispensary_id, COALESCE(z.time_zone, 'UTC') AS time_zone
FROM dispensaries d LEFT JOIN analytics.retail_state_time_zones z ON z.state_code = d.state;

CREATE TEMP VIEW original_mv_daily_sales_estimates AS
WITH qty_deltas AS (
SELECT s.dispensary_id, product_id, brand_name, category,
DATE(captured_at AT TIME ZONE sz.time_zone) AS sale_date, sz.time_zone, captured_at,  -- F5
price_rec, quantity_available,
LAG(quantity_available) OVER (PARTITION BY s.dispensary_id, product_id ORDER BY captured_at) AS prev_quantity
FROM inventory_snapshots s JOIN f5_store_zones sz ON sz.dispensary_id = s.dispensary_id
WHERE quantity_available IS NOT NULL            -- F1: no window here
)
SELECT dispensary_id, product_id, brand_name, category, sale_date,
AVG(price_rec) AS avg_price,
SUM(GREATEST(0, COALESCE(prev_quantity, 0) - quantity_available)) AS units_sold,
SUM(GREATEST(0, quantity_available - COALESCE(prev_quantity, 0))) AS units_restocked,
SUM(GREATEST(0, COALESCE(prev_quantity, 0) - quantity_available) * COALESCE(price_rec, 0)) AS revenue_estimate,
COUNT(*) AS snapshot_count
FROM qty_deltas
-- F2 + whole days; F5: local days from one first day for every store, the UTC day 91 days back
WHERE prev_quantity IS NOT NULL AND sale_date >= (now() AT TIME ZONE 'UTC')::DATE - 91
GROUP BY dispensary_id, product_id, brand_name, category, sale_date;

CREATE TEMP VIEW original_mv_brand_market_share AS
WITH brand_presence AS (
SELECT sp.brand AS brand_name, d.state AS state_code,
COUNT(DISTINCT sp.dispensary_id) AS stores_carrying,
COUNT(*) AS sku_count,
SUM(CASE WHEN sp.is_in_stock THEN 1 ELSE 0 END) AS in_stock_skus,
AVG(sp.price_rec) AS avg_price
FROM store_products sp JOIN dispensaries d ON d.id = sp.dispensary_id
WHERE sp.brand IS NOT NULL AND d.state IS NOT NULL
AND d.crawl_enabled                                                  -- F3: every measure
GROUP BY sp.brand, d.state
),
state_totals AS (
SELECT d.state AS state_code, COUNT(DISTINCT d.id) FILTER (WHERE d.crawl_enabled) AS total_stores
FROM dispensaries d WHERE d.state IS NOT NULL GROUP BY d.state
)
SELECT bp.brand_name, bp.state_code, bp.stores_carrying, st.total_stores,
ROUND(bp.stores_carrying::NUMERIC * 100 / NULLIF(st.total_stores, 0), 2) AS penetration_pct,
bp.sku_count, bp.in_stock_skus, bp.avg_price, now() AS calculated_at
FROM brand_presence bp JOIN state_totals st ON st.state_code = bp.state_code;

CREATE TEMP VIEW original_mv_sku_velocity AS
SELECT dse.product_id, dse.brand_name, dse.category, dse.dispensary_id, d.name AS dispensary_name, d.state AS state_code,
SUM(dse.units_sold) AS total_units_30d, SUM(dse.revenue_estimate) AS total_revenue_30d,
COUNT(DISTINCT dse.sale_date) AS days_with_sales,
ROUND(SUM(dse.units_sold)::NUMERIC / NULLIF(COUNT(DISTINCT dse.sale_date), 0), 2) AS avg_daily_units,
AVG(dse.avg_price) AS avg_price,
CASE
WHEN SUM(dse.units_sold)::NUMERIC / NULLIF(COUNT(DISTINCT dse.sale_date), 0) >= 5 THEN 'hot'
WHEN SUM(dse.units_sold)::NUMERIC / NULLIF(COUNT(DISTINCT dse.sale_date), 0) >= 1 THEN 'steady'
WHEN SUM(dse.units_sold)::NUMERIC / NULLIF(COUNT(DISTINCT dse.sale_date), 0) >= 0.1 THEN 'slow'
ELSE 'stale'
END AS velocity_tier, now() AS calculated_at
FROM original_mv_daily_sales_estimates dse JOIN dispensaries d ON d.id = dse.dispensary_id
JOIN f5_store_zones sz ON sz.dispensary_id = d.id
WHERE dse.sale_date >= (now() AT TIME ZONE sz.time_zone)::DATE - INTERVAL '30 days'  -- F5
GROUP BY dse.product_id, dse.brand_name, dse.category, dse.dispensary_id, d.name, d.state;

CREATE TEMP VIEW original_mv_store_performance AS
SELECT d.id AS dispensary_id, d.name AS dispensary_name, d.city, d.state AS state_code,
COALESCE(sales.total_revenue_30d, 0) AS total_revenue_30d, COALESCE(sales.total_units_30d, 0) AS total_units_30d,
COUNT(DISTINCT sp.id) AS total_skus, COUNT(DISTINCT sp.id) FILTER (WHERE sp.is_in_stock) AS in_stock_skus,
COUNT(DISTINCT sp.brand) AS unique_brands, COUNT(DISTINCT sp.category) AS unique_categories,
AVG(sp.price_rec) AS avg_price, MAX(sp.updated_at) AS last_updated, now() AS calculated_at
FROM dispensaries d
LEFT JOIN store_products sp ON sp.dispensary_id = d.id
LEFT JOIN (
SELECT dispensary_id, SUM(revenue_estimate) AS total_revenue_30d, SUM(units_sold) AS total_units_30d
FROM original_mv_daily_sales_estimates dse JOIN f5_store_zones sz USING (dispensary_id)
WHERE sale_date >= (now() AT TIME ZONE sz.time_zone)::DATE - INTERVAL '30 days' GROUP BY dispensary_id  -- F5
) sales ON sales.dispensary_id = d.id
WHERE d.crawl_enabled = TRUE
GROUP BY d.id, d.name, d.city, d.state, sales.total_revenue_30d, sales.total_units_30d;

CREATE TEMP VIEW original_mv_category_weekly_trends AS
SELECT dse.category, d.state AS state_code, DATE_TRUNC('week', dse.sale_date)::DATE AS week_start,
COUNT(DISTINCT dse.product_id) AS sku_count, COUNT(DISTINCT dse.dispensary_id) AS store_count,
SUM(dse.units_sold) AS total_units, SUM(dse.revenue_estimate) AS total_revenue, AVG(dse.avg_price) AS avg_price,
now() AS calculated_at
FROM original_mv_daily_sales_estimates dse JOIN dispensaries d ON d.id = dse.dispensary_id
JOIN f5_store_zones sz ON sz.dispensary_id = d.id
WHERE dse.category IS NOT NULL AND dse.sale_date >= (now() AT TIME ZONE sz.time_zone)::DATE - INTERVAL '90 days'  -- F5
GROUP BY dse.category, d.state, DATE_TRUNC('week', dse.sale_date);

CREATE TEMP VIEW original_mv_product_intelligence AS
WITH stock_diff AS (
SELECT dispensary_id, product_id,
FIRST_VALUE(quantity_available) OVER (PARTITION BY dispensary_id, product_id ORDER BY captured_at ASC
ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS qty_120d_ago,
LAST_VALUE(quantity_available) OVER (PARTITION BY dispensary_id, product_id ORDER BY captured_at ASC
ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS qty_current
FROM inventory_snapshots WHERE captured_at >= now() - INTERVAL '120 days'
),
stock_diff_calc AS (
SELECT DISTINCT dispensary_id, product_id, qty_current - COALESCE(qty_120d_ago, qty_current) AS stock_diff_120 FROM stock_diff
),
last_oos AS (
SELECT dispensary_id, product_id, MAX(detected_at) AS last_oos_date FROM product_visibility_events
WHERE event_type = 'oos' GROUP BY dispensary_id, product_id
),
velocity AS (SELECT dispensary_id, product_id, avg_daily_units FROM original_mv_sku_velocity)
SELECT sp.dispensary_id, d.name AS dispensary_name, d.state AS state_code, d.city,
sp.provider_product_id AS sku, sp.name_raw AS product_name, sp.brand_name_raw AS brand, sp.category_raw AS category,
sp.is_in_stock, sp.stock_status, sp.stock_quantity, sp.price_rec AS price, sp.first_seen_at AS first_seen, sp.last_seen_at AS last_seen,
COALESCE(sd.stock_diff_120, 0) AS stock_diff_120,
CASE WHEN lo.last_oos_date IS NOT NULL THEN EXTRACT(DAY FROM now() - lo.last_oos_date)::INT ELSE NULL END AS days_since_oos,
CASE WHEN v.avg_daily_units > 0 AND sp.stock_quantity > 0 THEN ROUND(sp.stock_quantity::NUMERIC / v.avg_daily_units)::INT ELSE NULL END AS days_until_stock_out,
v.avg_daily_units, now() AS calculated_at
FROM store_products sp
JOIN dispensaries d ON d.id = sp.dispensary_id
LEFT JOIN stock_diff_calc sd ON sd.dispensary_id = sp.dispensary_id AND sd.product_id = sp.provider_product_id
LEFT JOIN last_oos lo ON lo.dispensary_id = sp.dispensary_id AND lo.product_id = sp.provider_product_id
LEFT JOIN velocity v ON v.dispensary_id = sp.dispensary_id AND v.product_id = sp.provider_product_id
WHERE d.crawl_enabled = TRUE AND sp.provider_product_id IS NOT NULL;  -- F4
