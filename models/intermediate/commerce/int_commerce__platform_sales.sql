-- Each order's economics with its platform's name and slug, for the views that show
-- platforms. An order whose platform is NULL or not in the platforms table is 'Unknown
-- platform' with slug '(none)' and no platform id.
with

orders as (

    select * from {{ ref('int_commerce__order_economics') }}

),

platforms as (

    select * from {{ ref('stg_commerce__platforms') }}

)

select
    orders.order_id,
    platforms.platform_id,
    orders.product_id,
    orders.order_status,
    orders.is_sale,
    orders.is_active,
    orders.sale_date,
    orders.sale_price,
    orders.fees,
    orders.shipping,
    orders.net_proceeds,
    orders.profit,
    orders.roi_pct,
    orders.buyer_country,
    orders.buyer_city,
    orders.payout_received,
    orders.payout_days,
    coalesce(platforms.platform_name, 'Unknown platform') as platform_name,
    coalesce(platforms.platform_slug, '(none)') as platform_slug

from orders
left join platforms on orders.platform_id = platforms.platform_id
