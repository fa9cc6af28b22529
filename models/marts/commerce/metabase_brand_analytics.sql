{{
    config(
        meta={'cadence': 'daily'},
        unique_key=['brand_id'],
        unique_key_index_name='idx_brand_analytics_id',
        post_hook=[
            mv_index(['total_revenue desc', 'brand_id'], name='idx_brand_analytics_revenue'),
            mv_index(['market_share_pct desc', 'brand_id'], name='idx_brand_analytics_share'),
        ],
    )
}}

with

brands as (

    select * from {{ ref('stg_commerce__brands') }}

),

products as (

    select * from {{ ref('stg_commerce__products') }}

),

sales as (

    select
        products.brand_id,
        count(*) as total_sales,
        sum(orders.sale_price) as total_revenue,
        round(avg(orders.sale_price), 2) as avg_price,
        round(var_samp(orders.sale_price), 2) as price_variance,
        sum(orders.profit) as total_profit,
        round(avg(orders.roi_pct), 2) as avg_roi,
        count(distinct orders.product_id) as product_variety,
        count(distinct date_trunc('month', orders.sale_date)) as active_months

    from {{ ref('int_commerce__order_economics') }} as orders
    inner join products on orders.product_id = products.product_id
    where orders.is_sale
    group by products.brand_id

),

purchases as (

    select
        products.brand_id,
        count(*) as units_purchased,
        count(*) filter (where items.times_sold > 0) as items_sold

    from {{ ref('int_commerce__items') }} as items
    inner join products on items.product_id = products.product_id
    group by products.brand_id

),

shared as (

    select
        brands.*,
        coalesce(sales.total_sales, 0) as total_sales,
        coalesce(sales.total_revenue, 0) as total_revenue,
        sales.avg_price,
        sales.price_variance,
        coalesce(sales.total_profit, 0) as total_profit,
        sales.avg_roi,
        coalesce(sales.product_variety, 0) as product_variety,
        coalesce(sales.active_months, 0) as active_months,
        coalesce(
            {{ commerce_pct('sales.total_revenue', 'sum(sales.total_revenue) over ()') }}, 0
        ) as market_share_pct,
        coalesce(
            {{ commerce_pct('sales.total_sales', 'sum(sales.total_sales) over ()') }}, 0
        ) as sales_share_pct,
        coalesce(purchases.units_purchased, 0) as units_purchased,
        {{ commerce_pct('purchases.items_sold', 'purchases.units_purchased') }} as sell_through_rate

    from brands
    left join sales on brands.brand_id = sales.brand_id
    left join purchases on brands.brand_id = purchases.brand_id

)

-- noqa: disable=ST06
select
    shared.brand_id,
    shared.brand_name,
    shared.brand_segment,
    shared.brand_price_tier,
    shared.target_demographic,
    shared.parent_brand_id,
    parents.brand_name as parent_brand_name,
    shared.parent_brand_id is not null as is_collaboration,
    shared.total_sales,
    shared.total_revenue,
    shared.avg_price,
    shared.price_variance,
    shared.total_profit,
    shared.avg_roi,
    shared.product_variety,
    shared.active_months,
    shared.market_share_pct,
    shared.sales_share_pct,
    {{ commerce_price_positioning('shared.avg_price') }} as price_positioning,
    {{ commerce_volume_tier('shared.sales_share_pct') }} as volume_tier,
    shared.units_purchased,
    shared.sell_through_rate
-- noqa: enable=ST06

from shared
left join brands as parents on shared.parent_brand_id = parents.brand_id
