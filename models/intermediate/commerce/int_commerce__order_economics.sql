-- One row per order with its economics, defined once for every view of the mart: whether it is
-- a sale, its day in the shop's time zone, net proceeds, cost, profit, ROI and payout delay.
-- No platform names here (int_commerce__platform_sales adds them), so a change to the
-- platforms table refreshes only the views that show platforms.
with

orders as (

    select * from {{ ref('stg_commerce__orders') }}

),

inventory as (

    select * from {{ ref('stg_commerce__inventory') }}

),

priced as (

    select
        orders.order_id,
        orders.inventory_id,
        inventory.product_id,
        inventory.supplier_id,
        orders.platform_id,
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
        inventory.gross_purchase_price as purchase_cost,
        coalesce(nullif(upper(trim(orders.buyer_country)), ''), '(unknown)') as buyer_country,
        coalesce(nullif(trim(orders.buyer_city), ''), '(unknown)') as buyer_city,
        orders.payout_received,
        case
            when orders.payout_received
                then {{ commerce_days_between('orders.sold_at', 'orders.payout_date') }}
        end as payout_days

    from orders
    left join inventory on orders.inventory_id = inventory.inventory_id

)

select
    *,
    net_proceeds - purchase_cost as profit,
    (net_proceeds - purchase_cost) * 100 / nullif(purchase_cost, 0) as roi_pct

from priced
