-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    bundle_id,
    seller_id,
    window_start,
    window_end,
    total_qty as posted_qty,
    price,
    posted_at

from {{ source('surplus', 'bundles') }}
