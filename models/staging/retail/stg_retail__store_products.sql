-- One plain select, no CTEs: inlined into a view's query it is flattened by Postgres, so the
-- view's filters and joins reach the source table and its indexes.
select
    id as store_product_id,
    dispensary_id,
    provider_product_id as product_id,
    name_raw as product_name,
    brand_name_raw,
    category_raw,
    brand,
    category,
    is_in_stock,
    stock_status,
    stock_quantity,
    price_rec,
    first_seen_at,
    last_seen_at,
    updated_at

from {{ source('retail_raw', 'store_products') }}
