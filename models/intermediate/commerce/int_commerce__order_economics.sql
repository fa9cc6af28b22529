-- One row per order with its economics, defined once for every view of the mart: whether it is
-- a sale, its day in the shop's time zone, net proceeds, cost, profit, ROI and payout delay.
with

orders as (

    select * from {{ ref('stg_commerce__orders') }}

),

inventory as (

    select * from {{ ref('stg_commerce__inventory') }}

),

platforms as (

    select * from {{ ref('stg_commerce__platforms') }}

),

priced as (

    select
        orders.order_id,
        orders.inventory_id,
        inventory.product_id,
        inventory.supplier_id,
        platforms.platform_id,
        coalesce(platforms.platform_name, 'Unknown platform') as platform_name,
        coalesce(platforms.platform_slug, '(none)') as platform_slug,
        orders.order_status,
        {{ commerce_is_sale('orders.order_status') }} as is_sale,
        {{ commerce_is_active('orders.order_status') }} as is_active,
        orders.sold_at,
        {{ commerce_local_date('orders.sold_at') }} as sale_date,
        orders.gross_sale as sale_price,
        coalesce(orders.platform_fee, 0) as fees,
        coalesce(orders.shipping_cost, 0) as shipping,
        orders.gross_sale - coalesce(orders.platform_fee, 0)
        - coalesce(orders.shipping_cost, 0) as net_proceeds,
        inventory.gross_purchase_price as cost,
        coalesce(nullif(upper(trim(orders.buyer_country)), ''), '(unknown)') as buyer_country,
        coalesce(nullif(trim(orders.buyer_city), ''), '(unknown)') as buyer_city,
        orders.payout_received,
        case
            when orders.payout_received
                then {{ commerce_days_between('orders.sold_at', 'orders.payout_date') }}
        end as payout_days

    from orders
    left join inventory on orders.inventory_id = inventory.inventory_id
    left join platforms on orders.platform_id = platforms.platform_id

)

select
    *,
    net_proceeds - cost as profit,
    (net_proceeds - cost) * 100 / nullif(cost, 0) as roi_pct

from priced
