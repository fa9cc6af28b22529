"""The crawler's original six views (its migration 121): columns in order, index names, cadences."""

# The crawler's original views (migration 121): every column in its order, and every index by name.
ORIGINAL_COLUMNS = {
    "mv_daily_sales_estimates": [
        "dispensary_id", "product_id", "brand_name", "category", "sale_date", "avg_price",
        "units_sold", "units_restocked", "revenue_estimate", "snapshot_count",
    ],
    "mv_brand_market_share": [
        "brand_name", "state_code", "stores_carrying", "total_stores", "penetration_pct",
        "sku_count", "in_stock_skus", "avg_price", "calculated_at",
    ],
    "mv_sku_velocity": [
        "product_id", "brand_name", "category", "dispensary_id", "dispensary_name",
        "state_code", "total_units_30d", "total_revenue_30d", "days_with_sales",
        "avg_daily_units", "avg_price", "velocity_tier", "calculated_at",
    ],
    "mv_store_performance": [
        "dispensary_id", "dispensary_name", "city", "state_code", "total_revenue_30d",
        "total_units_30d", "total_skus", "in_stock_skus", "unique_brands", "unique_categories",
        "avg_price", "last_updated", "calculated_at",
    ],
    "mv_category_weekly_trends": [
        "category", "state_code", "week_start", "sku_count", "store_count", "total_units",
        "total_revenue", "avg_price", "calculated_at",
    ],
    "mv_product_intelligence": [
        "dispensary_id", "dispensary_name", "state_code", "city", "sku", "product_name",
        "brand", "category", "is_in_stock", "stock_status", "stock_quantity", "price",
        "first_seen", "last_seen", "stock_diff_120", "days_since_oos", "days_until_stock_out",
        "avg_daily_units", "calculated_at",
    ],
}
# (unique primary-key index, its columns), then the other indexes.
ORIGINAL_INDEXES = {
    "mv_daily_sales_estimates": (
        ("idx_mv_daily_sales_pk", "dispensary_id, product_id, sale_date"),
        ["idx_mv_daily_sales_brand", "idx_mv_daily_sales_category", "idx_mv_daily_sales_date"],
    ),
    "mv_brand_market_share": (
        ("idx_mv_brand_market_pk", "brand_name, state_code"),
        ["idx_mv_brand_market_state", "idx_mv_brand_market_penetration"],
    ),
    "mv_sku_velocity": (
        ("idx_mv_sku_velocity_pk", "dispensary_id, product_id"),
        ["idx_mv_sku_velocity_brand", "idx_mv_sku_velocity_tier", "idx_mv_sku_velocity_state",
         "idx_mv_sku_velocity_units"],
    ),
    "mv_store_performance": (
        ("idx_mv_store_perf_pk", "dispensary_id"),
        ["idx_mv_store_perf_state", "idx_mv_store_perf_revenue"],
    ),
    "mv_category_weekly_trends": (
        ("idx_mv_cat_weekly_pk", "category, state_code, week_start"),
        ["idx_mv_cat_weekly_state", "idx_mv_cat_weekly_date"],
    ),
    "mv_product_intelligence": (
        ("idx_mv_prod_intel_pk", "dispensary_id, sku"),
        ["idx_mv_prod_intel_brand", "idx_mv_prod_intel_state", "idx_mv_prod_intel_stock_out",
         "idx_mv_prod_intel_oos",
         # Ours, not the original's: the dashboard's recently-out-of-stock list.
         "idx_mv_prod_intel_recent_oos"],
    ),
}
CADENCES = {
    "mv_daily_sales_estimates": "hourly",
    "mv_sku_velocity": "hourly",
    "mv_product_intelligence": "hourly",
    "mv_brand_market_share": "daily",
    "mv_store_performance": "daily",
    "mv_category_weekly_trends": "weekly",
}
