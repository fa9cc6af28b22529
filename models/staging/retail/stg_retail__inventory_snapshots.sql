-- One plain select, no CTEs: inlined into a view's query it is flattened by Postgres, so the
-- view's filters and look-ups reach the source table and its index on
-- (dispensary_id, product_id, captured_at). A CTE here would hide that index behind a
-- subquery and turn two-row index probes into bitmap scans of a product's whole history.
select
    id as snapshot_id,
    dispensary_id,
    product_id,
    brand_name,
    category,
    captured_at,
    price_rec,
    quantity_available

from {{ source('retail_raw', 'inventory_snapshots') }}
