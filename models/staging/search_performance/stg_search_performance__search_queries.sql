-- One plain select, no CTEs: inlined into a view's query it is flattened by Postgres, so the
-- view's joins reach the source table and its unique index on (asin_performance_id,
-- search_query).
select
    asin_performance_id,
    search_query,
    search_query_score,
    search_query_volume,
    -- A NULL or negative count is no count: 0. A market total below the ASIN's own count is
    -- raised to it, so the ASIN's share is never above 100 percent.
    greatest(coalesce(total_query_impression_count, 0), coalesce(asin_impression_count, 0), 0)
        as total_query_impression_count,
    greatest(coalesce(asin_impression_count, 0), 0) as asin_impression_count,
    greatest(coalesce(total_click_count, 0), coalesce(asin_click_count, 0), 0) as total_click_count,
    greatest(coalesce(asin_click_count, 0), 0) as asin_click_count,
    greatest(coalesce(total_cart_add_count, 0), coalesce(asin_cart_add_count, 0), 0)
        as total_cart_add_count,
    greatest(coalesce(asin_cart_add_count, 0), 0) as asin_cart_add_count,
    greatest(coalesce(total_purchase_count, 0), coalesce(asin_purchase_count, 0), 0)
        as total_purchase_count,
    greatest(coalesce(asin_purchase_count, 0), 0) as asin_purchase_count,
    -- A negative price is no price: unknown (NULL), like a missing one.
    case when asin_median_purchase_price >= 0 then asin_median_purchase_price end
        as asin_median_purchase_price

from {{ source('sqp', 'search_query_performance') }}
