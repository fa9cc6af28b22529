select
    id as sale_id,
    kiosk_id,
    sold_at,
    amount

from {{ source('kiosk_raw', 'sales') }}
