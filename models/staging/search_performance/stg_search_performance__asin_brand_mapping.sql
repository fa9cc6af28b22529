-- One plain select, no CTEs: inlined into a view's query it is flattened by Postgres. Every
-- mapping row, active or not, duplicated or not: which brand an ASIN counts under is the
-- views' decision (brand_product_segments), where unit tests can see every row.
select
    id as mapping_id,
    asin,
    brand_id,
    is_active,
    created_at,
    updated_at

from {{ source('brand_catalogue', 'asin_brand_mapping') }}
