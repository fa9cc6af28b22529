-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    id as brand_id,
    brand_name,
    display_name,
    is_active

from {{ source('brand_catalogue', 'brands') }}
