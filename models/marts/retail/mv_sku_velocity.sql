{{
    config(
        meta={'cadence': 'hourly'},
        refresh_strategy='swap',
        unique_key=['dispensary_id', 'product_id'],
        unique_key_index_name='idx_mv_sku_velocity_pk',
        post_hook=[
            mv_index(['brand_name'], name='idx_mv_sku_velocity_brand'),
            mv_index(['velocity_tier'], name='idx_mv_sku_velocity_tier'),
            mv_index(['state_code'], name='idx_mv_sku_velocity_state'),
            mv_index(['total_units_30d desc'], name='idx_mv_sku_velocity_units'),
        ],
    )
}}

{%- set window_days = retail_sales_window_days('retail_velocity_days') %}

with

dispensaries as (

    -- The first day of the store's window: its local today (F5) minus the window's days.
    -- Read twice below, so computed once per store.
    {{ retail_stores_with_window(window_days) }}

),

daily_sales as (

    -- The window counts the store's local days (F5).
    {{ retail_sales_in_window(window_days) }}

),

sku_sales as (

    select
        dispensary_id,
        product_id,
        -- As of the latest day (the last element in date order, the order of the daily
        -- view's key): one row per store and product even after a rename.
        (array_agg(brand_name order by sale_date))[count(*)] as brand_name,
        (array_agg(category order by sale_date))[count(*)] as category,
        sum(units_sold) as total_units,
        sum(revenue_estimate) as total_revenue,
        -- mv_daily_sales_estimates has one row per product and day: count(*) counts days.
        count(*) as days_with_sales,
        sum(units_sold)::numeric / count(*) as daily_units,
        avg(avg_price) as avg_price

    from daily_sales

    group by dispensary_id, product_id

),

sku_velocity as (

    select
        sku_sales.product_id,
        sku_sales.brand_name,
        sku_sales.category,
        sku_sales.dispensary_id,
        dispensaries.dispensary_name,
        dispensaries.state_code,
        sku_sales.total_units as total_units_30d,
        sku_sales.total_revenue as total_revenue_30d,
        sku_sales.days_with_sales,
        round(sku_sales.daily_units, 2) as avg_daily_units,
        sku_sales.avg_price,
        -- Tiers compare the unrounded average.
        case
            when sku_sales.daily_units >= {{ var('retail_velocity_hot_min') }} then 'hot'
            when sku_sales.daily_units >= {{ var('retail_velocity_steady_min') }} then 'steady'
            when sku_sales.daily_units >= {{ var('retail_velocity_slow_min') }} then 'slow'
            else 'stale'
        end as velocity_tier,
        {{ retail_refresh_time() }} as calculated_at

    from sku_sales

    inner join dispensaries
        on sku_sales.dispensary_id = dispensaries.dispensary_id

)

select * from sku_velocity
