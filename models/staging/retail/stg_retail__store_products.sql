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
    first_seen_at,
    last_seen_at,
    updated_at,
    -- A negative quantity or price is no shelf state: read as not shown (NULL).
    case when stock_quantity >= 0 then stock_quantity end as stock_quantity,
    case when price_rec >= 0 then price_rec end as price_rec

from {{ source('retail_raw', 'store_products') }}
