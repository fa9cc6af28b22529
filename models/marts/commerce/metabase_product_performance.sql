{{
    config(
        meta={'cadence': 'daily'},
        unique_key=['product_id'],
        unique_key_index_name='idx_prod_perf_product',
        post_hook=[
            mv_index(['brand_id'], name='idx_prod_perf_brand'),
            mv_index(['total_revenue desc', 'product_id'], name='idx_prod_perf_revenue'),
            mv_index(['units_sold desc', 'product_id'], name='idx_prod_perf_units'),
        ],
    )
}}

with

products as (

    select * from {{ ref('stg_commerce__products') }}

),

brands as (

    select * from {{ ref('stg_commerce__brands') }}

),

categories as (

    select * from {{ ref('stg_commerce__categories') }}

),

sales as (

    select
        product_id,
        count(*) as units_sold,
        sum(sale_price) as total_revenue,
        round(avg(sale_price), 2) as avg_price,
        min(sale_price) as min_price,
        max(sale_price) as max_price,
        round(stddev_samp(sale_price), 2) as price_volatility,
        sum(profit) as total_profit,
        round(avg(roi_pct), 2) as avg_roi,
        sum(fees) as total_fees,
        count(distinct platform_id) as platforms_sold_on,
        min(sale_date) as first_sale_date,
        max(sale_date) as last_sale_date

    from {{ ref('int_commerce__order_economics') }}
    where is_sale and product_id is not null
    group by product_id

),

purchases as (

    select
        product_id,
        count(*) as units_purchased,
        count(*) filter (where times_sold > 0) as items_sold,
        round(avg(gross_purchase_price), 2) as avg_purchase_price,
        count(distinct supplier_id) as supplier_count

    from {{ ref('int_commerce__items') }}
    group by product_id

)

-- noqa: disable=ST06
select
    products.product_id,
    products.product_name,
    products.sku,
    categories.category_name,
    products.brand_id,
    brands.brand_name,
    brands.brand_segment,
    brands.brand_price_tier,
    brands.parent_brand_id is not null as is_collaboration,
    coalesce(sales.units_sold, 0) as units_sold,
    coalesce(sales.total_revenue, 0) as total_revenue,
    sales.avg_price,
    sales.min_price,
    sales.max_price,
    sales.price_volatility,
    coalesce(sales.total_profit, 0) as total_profit,
    sales.avg_roi,
    coalesce(sales.total_fees, 0) as total_fees,
    purchases.avg_purchase_price,
    coalesce(purchases.supplier_count, 0) as supplier_count,
    coalesce(purchases.units_purchased, 0) as units_purchased,
    {{ commerce_pct('purchases.items_sold', 'purchases.units_purchased') }} as sell_through_rate,
    coalesce(sales.platforms_sold_on, 0) as platforms_sold_on,
    sales.first_sale_date,
    sales.last_sale_date,
    sales.last_sale_date - sales.first_sale_date as sales_duration_days
-- noqa: enable=ST06

from products
left join brands on products.brand_id = brands.brand_id
left join categories on products.category_id = categories.category_id
left join sales on products.product_id = sales.product_id
left join purchases on products.product_id = purchases.product_id
