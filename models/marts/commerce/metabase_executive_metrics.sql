{{
    config(
        meta={'cadence': 'hourly'},
        unique_key=['sale_date', 'platform_slug'],
        unique_key_index_name='idx_exec_metrics_day_platform',
        post_hook=[
            mv_index(['sale_date desc'], name='idx_exec_metrics_date'),
            mv_index(['sale_month desc'], name='idx_exec_metrics_month'),
            mv_index(['platform_slug', 'sale_date desc'], name='idx_exec_metrics_platform'),
        ],
    )
}}

with

orders as (

    select * from {{ ref('int_commerce__platform_sales') }}

)

-- noqa: disable=ST06
select
    sale_date,
    date_trunc('week', sale_date)::date as sale_week,
    date_trunc('month', sale_date)::date as sale_month,
    date_trunc('quarter', sale_date)::date as sale_quarter,
    extract(year from sale_date)::integer as sale_year,
    platform_name,
    platform_slug,
    count(*) filter (where is_sale) as total_orders,
    coalesce(sum(sale_price) filter (where is_sale), 0) as total_revenue,
    coalesce(sum(net_proceeds) filter (where is_sale), 0) as total_net_proceeds,
    coalesce(sum(profit) filter (where is_sale), 0) as total_profit,
    round(avg(roi_pct) filter (where is_sale), 2) as avg_roi,
    round(avg(sale_price) filter (where is_sale), 2) as avg_order_value,
    coalesce(sum(fees) filter (where is_sale), 0) as total_fees,
    coalesce(sum(shipping) filter (where is_sale), 0) as total_shipping,
    (count(*) filter (where is_sale) > 0)::integer as active_days,
    count(*) filter (where is_active) as active_orders,
    count(*) filter (where order_status = 'cancelled') as cancelled_orders,
    count(*) filter (where order_status = 'returned') as returned_orders
-- noqa: enable=ST06

from orders
group by sale_date, platform_slug, platform_name
