{{
    config(
        meta={'cadence': 'hourly'},
        unique_key=['platform_slug'],
        unique_key_index_name='idx_platform_perf_slug',
        post_hook=[
            mv_index(['platform_id'], name='idx_platform_perf_id'),
            mv_index(['total_revenue desc'], name='idx_platform_perf_revenue'),
            mv_index(['total_orders desc'], name='idx_platform_perf_orders'),
        ],
    )
}}

with

platforms as (

    select * from {{ ref('stg_commerce__platforms') }}

),

sales as (

    select * from {{ ref('int_commerce__platform_sales') }}
    where is_sale

),

by_platform as (

    select
        platform_slug,
        count(*) as total_orders,
        count(distinct date_trunc('month', sale_date)) as active_months,
        sum(sale_price) as total_revenue,
        round(avg(sale_price), 2) as avg_order_value,
        min(sale_price) as min_order_value,
        max(sale_price) as max_order_value,
        sum(fees) as total_fees,
        round(avg(fees), 2) as avg_fee,
        sum(shipping) as total_shipping,
        sum(net_proceeds) as total_net_proceeds,
        coalesce(sum(profit), 0) as total_profit,
        round(avg(roi_pct), 2) as avg_roi,
        count(*) filter (where payout_received) as payouts_received,
        round(avg(payout_days), 1) as avg_payout_days,
        count(distinct buyer_country) as countries_served,
        count(distinct row(buyer_country, buyer_city)) as cities_served

    from sales
    group by platform_slug

)

-- Every platform, with or without sales, and the sales of no known platform as '(none)'.
-- noqa: disable=ST06
select
    platforms.platform_id,
    coalesce(platforms.platform_name, 'Unknown platform') as platform_name,
    coalesce(platforms.platform_slug, by_platform.platform_slug) as platform_slug,
    coalesce(by_platform.total_orders, 0) as total_orders,
    coalesce(by_platform.active_months, 0) as active_months,
    coalesce(by_platform.total_revenue, 0) as total_revenue,
    by_platform.avg_order_value,
    by_platform.min_order_value,
    by_platform.max_order_value,
    coalesce(by_platform.total_fees, 0) as total_fees,
    by_platform.avg_fee,
    {{ commerce_pct('by_platform.total_fees', 'by_platform.total_revenue') }} as fee_pct,
    coalesce(by_platform.total_shipping, 0) as total_shipping,
    coalesce(by_platform.total_net_proceeds, 0) as total_net_proceeds,
    coalesce(by_platform.total_profit, 0) as total_profit,
    by_platform.avg_roi,
    {{ commerce_pct('by_platform.total_profit', 'by_platform.total_revenue') }} as profit_margin_pct,
    coalesce(by_platform.payouts_received, 0) as payouts_received,
    by_platform.avg_payout_days,
    coalesce(by_platform.countries_served, 0) as countries_served,
    coalesce(by_platform.cities_served, 0) as cities_served
-- noqa: enable=ST06

from platforms
full join by_platform on platforms.platform_slug = by_platform.platform_slug
