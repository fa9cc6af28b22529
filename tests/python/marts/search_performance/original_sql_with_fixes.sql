-- The original system's SQL for the two views (the seed's "Database Schema" document: sections
-- 1 and 2), changed only by the fixes and decisions the mart documents: the defects numbered
-- 1-12 in search_performance_defects (models/marts/search_performance/
-- _search_performance__docs.md) and the decisions in the models' ymls. Every change is marked
-- by a comment naming it: `fix N` (a numbered defect) or `decision` (a model's documented
-- choice). As temporary views original_<view>, which test_original_sql_equivalence.py compares
-- with the mart's views. Run in one transaction with TimeZone = UTC (DATE_TRUNC of a date
-- goes through timestamptz, in the session's time zone, as in the models).

-- decision (stg_search_performance__search_queries): counts as the staging model cleans them.
-- A NULL or negative count is 0, a market total below the ASIN's own count is raised to it,
-- and a negative price is no price.
CREATE TEMP VIEW cleaned_search_query_performance AS
SELECT
  asin_performance_id,
  search_query,
  GREATEST(COALESCE(total_query_impression_count, 0), COALESCE(asin_impression_count, 0), 0) as total_query_impression_count,
  GREATEST(COALESCE(asin_impression_count, 0), 0) as asin_impression_count,
  GREATEST(COALESCE(total_click_count, 0), COALESCE(asin_click_count, 0), 0) as total_click_count,
  GREATEST(COALESCE(asin_click_count, 0), 0) as asin_click_count,
  GREATEST(COALESCE(total_cart_add_count, 0), COALESCE(asin_cart_add_count, 0), 0) as total_cart_add_count,
  GREATEST(COALESCE(asin_cart_add_count, 0), 0) as asin_cart_add_count,
  GREATEST(COALESCE(total_purchase_count, 0), COALESCE(asin_purchase_count, 0), 0) as total_purchase_count,
  GREATEST(COALESCE(asin_purchase_count, 0), 0) as asin_purchase_count,
  CASE WHEN asin_median_purchase_price >= 0 THEN asin_median_purchase_price END as asin_median_purchase_price
FROM sqp.search_query_performance;

-- Create materialized view for brand product time segments
CREATE TEMP VIEW original_brand_product_segments AS
WITH date_segments AS (
  -- Generate weekly segments with week boundaries
  SELECT 
    abm.brand_id,
    apd.asin,
    -- Week boundaries (Monday to Sunday)
    -- fix 10: a report is placed by its middle day (start_date + (end_date - start_date) / 2)
    DATE_TRUNC('week', apd.start_date + (apd.end_date - apd.start_date) / 2)::date as week_start,
    (DATE_TRUNC('week', apd.start_date + (apd.end_date - apd.start_date) / 2) + INTERVAL '6 days')::date as week_end,
    -- Month boundaries (1st to last day of month)
    DATE_TRUNC('month', apd.start_date + (apd.end_date - apd.start_date) / 2)::date as month_start,
    (DATE_TRUNC('month', apd.start_date + (apd.end_date - apd.start_date) / 2) + INTERVAL '1 month' - INTERVAL '1 day')::date as month_end,
    apd.start_date,
    apd.end_date,
    apd.id as asin_performance_id,
    -- fix 8: when the segment's inputs last changed (the report, the ASIN's mapping)
    GREATEST(apd.updated_at, abm.updated_at) as changed_at
  FROM sqp.asin_performance_data apd
  -- fix 6: one current brand per ASIN: its most recently updated active mapping (then the
  -- higher id), counted only when that brand is active
  JOIN (
    SELECT DISTINCT ON (asin) asin, brand_id, is_active, updated_at
    FROM public.asin_brand_mapping
    WHERE is_active = true
    ORDER BY asin, updated_at DESC, id DESC
  ) abm ON apd.asin = abm.asin
  JOIN public.brands b ON b.id = abm.brand_id AND b.is_active = true
  WHERE abm.is_active = true
),
weekly_aggregates AS (
  -- Weekly performance aggregations with share calculations
  SELECT 
    ds.brand_id,
    ds.asin,
    ds.week_start,
    ds.week_end,
    'weekly' as segment_type,
    -- Core metrics aggregated across the week
    -- decision: sums cast to the bigint of their counts
    SUM(sqp.total_query_impression_count)::bigint as total_impressions,
    SUM(sqp.asin_impression_count)::bigint as asin_impressions,
    SUM(sqp.total_click_count)::bigint as total_clicks,
    SUM(sqp.asin_click_count)::bigint as asin_clicks,
    SUM(sqp.total_cart_add_count)::bigint as total_cart_adds,
    SUM(sqp.asin_cart_add_count)::bigint as asin_cart_adds,
    SUM(sqp.total_purchase_count)::bigint as total_purchases,
    SUM(sqp.asin_purchase_count)::bigint as asin_purchases,
    -- Calculate share metrics within the weekly segment
    -- decision: 0.00 (numeric, 2 decimals) at a zero denominator
    CASE 
      WHEN SUM(sqp.total_query_impression_count) > 0
      THEN ROUND((SUM(sqp.asin_impression_count)::NUMERIC / SUM(sqp.total_query_impression_count)::NUMERIC * 100), 2)
      ELSE 0.00
    END as impression_share_pct,
    CASE 
      WHEN SUM(sqp.total_click_count) > 0
      THEN ROUND((SUM(sqp.asin_click_count)::NUMERIC / SUM(sqp.total_click_count)::NUMERIC * 100), 2)
      ELSE 0.00
    END as click_share_pct,
    CASE 
      WHEN SUM(sqp.total_cart_add_count) > 0
      THEN ROUND((SUM(sqp.asin_cart_add_count)::NUMERIC / SUM(sqp.total_cart_add_count)::NUMERIC * 100), 2)
      ELSE 0.00
    END as cart_add_share_pct,
    CASE 
      WHEN SUM(sqp.total_purchase_count) > 0
      THEN ROUND((SUM(sqp.asin_purchase_count)::NUMERIC / SUM(sqp.total_purchase_count)::NUMERIC * 100), 2)
      ELSE 0.00
    END as purchase_share_pct,
    -- Calculate performance rates
    CASE 
      WHEN SUM(sqp.asin_impression_count) > 0
      THEN ROUND((SUM(sqp.asin_click_count)::NUMERIC / SUM(sqp.asin_impression_count)::NUMERIC * 100), 2)
      ELSE 0.00
    END as ctr_pct,
    CASE 
      WHEN SUM(sqp.asin_click_count) > 0
      THEN ROUND((SUM(sqp.asin_purchase_count)::NUMERIC / SUM(sqp.asin_click_count)::NUMERIC * 100), 2)
      ELSE 0.00
    END as cvr_pct,
    -- Pricing data (weighted averages)
    -- fix 9: only the purchases that have a price weigh the price
    CASE 
      WHEN SUM(sqp.asin_purchase_count) FILTER (WHERE sqp.asin_median_purchase_price IS NOT NULL) > 0
      THEN ROUND(
        SUM(sqp.asin_median_purchase_price * sqp.asin_purchase_count) / 
        SUM(sqp.asin_purchase_count) FILTER (WHERE sqp.asin_median_purchase_price IS NOT NULL), 2
      )
      ELSE NULL
    END as avg_purchase_price,
    -- Data quality indicators
    COUNT(DISTINCT ds.asin_performance_id) as data_points_count,
    MIN(ds.start_date) as earliest_date,
    MAX(ds.end_date) as latest_date,
    MAX(ds.changed_at) as last_refreshed  -- fix 8
  FROM date_segments ds
  JOIN pg_temp.cleaned_search_query_performance sqp ON ds.asin_performance_id = sqp.asin_performance_id  -- decision: cleaned counts
  GROUP BY ds.brand_id, ds.asin, ds.week_start, ds.week_end
),
monthly_aggregates AS (
  -- Monthly performance aggregations with share calculations
  SELECT 
    ds.brand_id,
    ds.asin,
    ds.month_start,
    ds.month_end,
    'monthly' as segment_type,
    -- Core metrics aggregated across the month
    -- decision: sums cast to the bigint of their counts
    SUM(sqp.total_query_impression_count)::bigint as total_impressions,
    SUM(sqp.asin_impression_count)::bigint as asin_impressions,
    SUM(sqp.total_click_count)::bigint as total_clicks,
    SUM(sqp.asin_click_count)::bigint as asin_clicks,
    SUM(sqp.total_cart_add_count)::bigint as total_cart_adds,
    SUM(sqp.asin_cart_add_count)::bigint as asin_cart_adds,
    SUM(sqp.total_purchase_count)::bigint as total_purchases,
    SUM(sqp.asin_purchase_count)::bigint as asin_purchases,
    -- Calculate share metrics within the monthly segment
    -- decision: 0.00 (numeric, 2 decimals) at a zero denominator
    CASE 
      WHEN SUM(sqp.total_query_impression_count) > 0
      THEN ROUND((SUM(sqp.asin_impression_count)::NUMERIC / SUM(sqp.total_query_impression_count)::NUMERIC * 100), 2)
      ELSE 0.00
    END as impression_share_pct,
    CASE 
      WHEN SUM(sqp.total_click_count) > 0
      THEN ROUND((SUM(sqp.asin_click_count)::NUMERIC / SUM(sqp.total_click_count)::NUMERIC * 100), 2)
      ELSE 0.00
    END as click_share_pct,
    CASE 
      WHEN SUM(sqp.total_cart_add_count) > 0
      THEN ROUND((SUM(sqp.asin_cart_add_count)::NUMERIC / SUM(sqp.total_cart_add_count)::NUMERIC * 100), 2)
      ELSE 0.00
    END as cart_add_share_pct,
    CASE 
      WHEN SUM(sqp.total_purchase_count) > 0
      THEN ROUND((SUM(sqp.asin_purchase_count)::NUMERIC / SUM(sqp.total_purchase_count)::NUMERIC * 100), 2)
      ELSE 0.00
    END as purchase_share_pct,
    -- Calculate performance rates
    CASE 
      WHEN SUM(sqp.asin_impression_count) > 0
      THEN ROUND((SUM(sqp.asin_click_count)::NUMERIC / SUM(sqp.asin_impression_count)::NUMERIC * 100), 2)
      ELSE 0.00
    END as ctr_pct,
    CASE 
      WHEN SUM(sqp.asin_click_count) > 0
      THEN ROUND((SUM(sqp.asin_purchase_count)::NUMERIC / SUM(sqp.asin_click_count)::NUMERIC * 100), 2)
      ELSE 0.00
    END as cvr_pct,
    -- Pricing data (weighted averages)
    -- fix 9: only the purchases that have a price weigh the price
    CASE 
      WHEN SUM(sqp.asin_purchase_count) FILTER (WHERE sqp.asin_median_purchase_price IS NOT NULL) > 0
      THEN ROUND(
        SUM(sqp.asin_median_purchase_price * sqp.asin_purchase_count) / 
        SUM(sqp.asin_purchase_count) FILTER (WHERE sqp.asin_median_purchase_price IS NOT NULL), 2
      )
      ELSE NULL
    END as avg_purchase_price,
    -- Data quality indicators
    COUNT(DISTINCT ds.asin_performance_id) as data_points_count,
    MIN(ds.start_date) as earliest_date,
    MAX(ds.end_date) as latest_date,
    MAX(ds.changed_at) as last_refreshed  -- fix 8
  FROM date_segments ds
  JOIN pg_temp.cleaned_search_query_performance sqp ON ds.asin_performance_id = sqp.asin_performance_id  -- decision: cleaned counts
  GROUP BY ds.brand_id, ds.asin, ds.month_start, ds.month_end
)
-- Union weekly and monthly segments into single view
SELECT 
  brand_id,
  asin,
  segment_type,
  week_start as period_start,
  week_end as period_end,
  total_impressions,
  asin_impressions,
  total_clicks,
  asin_clicks,
  total_cart_adds,
  asin_cart_adds,
  total_purchases,
  asin_purchases,
  impression_share_pct,
  click_share_pct,
  cart_add_share_pct,
  purchase_share_pct,
  ctr_pct,
  cvr_pct,
  avg_purchase_price,
  data_points_count,
  earliest_date,
  latest_date,
  last_refreshed  -- fix 8: not CURRENT_TIMESTAMP
FROM weekly_aggregates
UNION ALL
SELECT 
  brand_id,
  asin,
  segment_type,
  month_start as period_start,
  month_end as period_end,
  total_impressions,
  asin_impressions,
  total_clicks,
  asin_clicks,
  total_cart_adds,
  asin_cart_adds,
  total_purchases,
  asin_purchases,
  impression_share_pct,
  click_share_pct,
  cart_add_share_pct,
  purchase_share_pct,
  ctr_pct,
  cvr_pct,
  avg_purchase_price,
  data_points_count,
  earliest_date,
  latest_date,
  last_refreshed  -- fix 8: not CURRENT_TIMESTAMP
FROM monthly_aggregates;

-- Enhanced brand performance summary with segment metadata
-- fix 2: a materialized view in the mart (here, like the other, a temporary view)
CREATE TEMP VIEW original_brand_performance_enhanced AS
WITH brand_segment_stats AS (
  SELECT 
    brand_id,
    asin,
    COUNT(*) FILTER (WHERE segment_type = 'weekly') as weekly_segments_count,
    COUNT(*) FILTER (WHERE segment_type = 'monthly') as monthly_segments_count,
    MIN(earliest_date) as first_data_date,
    MAX(latest_date) as last_data_date,
    -- Performance indicators for segment availability
    BOOL_OR(segment_type = 'weekly' AND asin_impressions > 0) as has_weekly_data,
    BOOL_OR(segment_type = 'monthly' AND asin_impressions > 0) as has_monthly_data
  FROM pg_temp.original_brand_product_segments  -- public.brand_product_segments, as its twin above
  GROUP BY brand_id, asin
),
-- fix 9: the brand's share of the market on its search queries, the market counted once per
-- search query and report week (not once per ASIN of the brand on it), the brand's counts on
-- a query capped at the market's; its ASINs are those of its segments
brand_queries AS (
  SELECT 
    abm.brand_id,
    LEAST(SUM(sqp.asin_impression_count), MAX(sqp.total_query_impression_count)) as brand_impressions,
    MAX(sqp.total_query_impression_count) as market_impressions,
    LEAST(SUM(sqp.asin_purchase_count), MAX(sqp.total_purchase_count)) as brand_purchases,
    MAX(sqp.total_purchase_count) as market_purchases
  FROM pg_temp.cleaned_search_query_performance sqp  -- decision: cleaned counts
  JOIN sqp.asin_performance_data apd ON apd.id = sqp.asin_performance_id
  JOIN (SELECT DISTINCT brand_id, asin FROM pg_temp.original_brand_product_segments) abm ON abm.asin = apd.asin
  GROUP BY abm.brand_id, apd.start_date, apd.end_date, sqp.search_query
),
brand_market AS (  -- fix 9
  SELECT 
    brand_id,
    SUM(brand_impressions) as brand_impressions,
    SUM(market_impressions) as market_impressions,
    SUM(brand_purchases) as brand_purchases,
    SUM(market_purchases) as market_purchases
  FROM brand_queries
  GROUP BY brand_id
),
brand_totals AS (
  SELECT 
    bps.brand_id,
    b.brand_name,
    b.display_name,
    -- Aggregate all ASINs for brand totals
    COUNT(DISTINCT bps.asin) as total_asins,
    COUNT(DISTINCT bps.asin) FILTER (WHERE bss.has_weekly_data) as asins_with_weekly_data,
    COUNT(DISTINCT bps.asin) FILTER (WHERE bss.has_monthly_data) as asins_with_monthly_data,
    -- Performance totals
    -- decision: sums cast to the bigint of their counts
    SUM(bps.asin_impressions)::bigint as total_impressions,
    SUM(bps.asin_clicks)::bigint as total_clicks,
    SUM(bps.asin_cart_adds)::bigint as total_cart_adds,
    SUM(bps.asin_purchases)::bigint as total_purchases,
    -- Share metrics (brand-level aggregation)
    -- fix 9: over the market once per query and week (brand_market), not the segments' sums;
    -- decision: 0.00 at a zero denominator
    CASE 
      WHEN bm.market_impressions > 0
      THEN ROUND((bm.brand_impressions::NUMERIC / bm.market_impressions::NUMERIC * 100), 2)
      ELSE 0.00
    END as avg_impression_share,
    CASE 
      WHEN bm.market_purchases > 0
      THEN ROUND((bm.brand_purchases::NUMERIC / bm.market_purchases::NUMERIC * 100), 2)
      ELSE 0.00
    END as avg_purchase_share,
    -- Date range
    MIN(bss.first_data_date) as data_start_date,
    MAX(bss.last_data_date) as data_end_date
  FROM pg_temp.original_brand_product_segments bps  -- public.brand_product_segments, as its twin above
  JOIN public.brands b ON bps.brand_id = b.id
  LEFT JOIN brand_segment_stats bss ON bps.brand_id = bss.brand_id AND bps.asin = bss.asin
  LEFT JOIN brand_market bm ON bps.brand_id = bm.brand_id  -- fix 9
  WHERE bps.segment_type = 'monthly' -- Use monthly to avoid double counting
  GROUP BY bps.brand_id, b.brand_name, b.display_name,
    bm.brand_impressions, bm.market_impressions, bm.brand_purchases, bm.market_purchases  -- fix 9
)
SELECT * FROM brand_totals;
