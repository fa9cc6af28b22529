-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    id as product_id,
    name as product_name,
    sku,
    brand_id,
    category_id

from {{ source('products', 'products') }}
