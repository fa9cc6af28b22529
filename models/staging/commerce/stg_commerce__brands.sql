-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    id as brand_id,
    name as brand_name,
    segment as brand_segment,
    price_tier as brand_price_tier,
    target_demographic,
    parent_brand_id

from {{ source('products', 'brands') }}
