-- One plain select, no CTEs: inlined into a view's query it is flattened by Postgres, so the
-- view's filters reach the source table and its index on (event_type, dispensary_id, ...).
select
    id as visibility_event_id,
    dispensary_id,
    product_id,
    event_type,
    detected_at

from {{ source('retail_raw', 'product_visibility_events') }}

-- An event dated after the refresh counts once its time has come.
where detected_at <= {{ retail_refresh_time() }}
