{{
    config(
        meta={'cadence': 'daily'},
        unique_key=['country', 'city'],
        unique_key_index_name='idx_cust_geo_country',
        post_hook=[
            mv_index(['city'], name='idx_cust_geo_city'),
            mv_index(['total_revenue desc', 'country', 'city'], name='idx_cust_geo_revenue'),
        ],
    )
}}

with

sales as (

    select * from {{ ref('int_commerce__platform_sales') }}
    where is_sale

),

products as (

    select * from {{ ref('stg_commerce__products') }}

)

-- noqa: disable=ST06
select
    sales.buyer_country as country,
    sales.buyer_city as city,
    count(*) as total_orders,
    count(distinct date_trunc('month', sales.sale_date)) as active_months,
    sum(sales.sale_price) as total_revenue,
    round(avg(sales.sale_price), 2) as avg_order_value,
    coalesce(sum(sales.profit), 0) as total_profit,
    round(avg(sales.roi_pct), 2) as avg_roi,
    round(avg(sales.shipping), 2) as avg_shipping_cost,
    count(distinct sales.platform_slug) as platform_count,
    string_agg(distinct sales.platform_name, ', ' order by sales.platform_name) as platform_names,
    count(distinct sales.product_id) as unique_products,
    count(distinct products.brand_id) as unique_brands
-- noqa: enable=ST06

from sales
left join products on sales.product_id = products.product_id
group by sales.buyer_country, sales.buyer_city
