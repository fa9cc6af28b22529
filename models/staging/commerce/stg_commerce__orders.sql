-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    id as order_id,
    inventory_id,
    platform_id,
    status as order_status,
    sold_at,
    gross_sale,
    platform_fee,
    shipping_cost,
    buyer_country,
    buyer_city,
    payout_received,
    payout_date

from {{ source('transactions', 'orders') }}
