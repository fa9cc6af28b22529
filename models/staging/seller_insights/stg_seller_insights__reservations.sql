-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    reservation_id,
    bundle_id,
    buyer_id,
    quantity,
    reserved_at,
    collected_at,
    cancelled_at

from {{ source('surplus', 'reservations') }}
