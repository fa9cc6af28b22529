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
    -- A negative price or quantity is no shelf state: read as not shown (NULL).
    case when price_rec >= 0 then price_rec end as price_rec,
    case when quantity_available >= 0 then quantity_available end as quantity_available

from {{ source('retail_raw', 'inventory_snapshots') }}

-- A snapshot dated after the refresh (a crawler clock ahead) counts once its time has come.
where captured_at <= {{ retail_refresh_time() }}
