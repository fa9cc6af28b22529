{{
    config(
        meta={'cadence': 'daily'},
        unique_key=['dispensary_id'],
        unique_key_index_name='idx_mv_store_perf_pk',
        post_hook=[
            mv_index(['state_code'], name='idx_mv_store_perf_state'),
            mv_index(['total_revenue_30d desc'], name='idx_mv_store_perf_revenue'),
        ],
    )
}}

{%- set window_days = retail_sales_window_days('retail_store_performance_days') %}

with

dispensaries as (

    -- The first day of the store's window: its local today (F5) minus the window's days.
    -- Read twice below, so computed once per store.
    {{ retail_stores_with_window(window_days) }}
    where is_crawl_enabled

),

store_products as (

    select * from {{ ref('stg_retail__store_products') }}

),

daily_sales as (

    -- The window counts the store's local days (F5).
    {{ retail_sales_in_window(window_days) }}

),

store_sales as (

    select
        dispensary_id,
        sum(revenue_estimate) as total_revenue,
        sum(units_sold) as total_units

    from daily_sales

    group by dispensary_id

),

store_menus as (

    select
        dispensary_id,
        count(*) as total_skus,
        count(*) filter (where is_in_stock) as in_stock_skus,
        count(distinct brand) as unique_brands,
        count(distinct category) as unique_categories,
        avg(price_rec) as avg_price,
        max(updated_at) as last_updated

    from store_products

    group by dispensary_id

),

store_performance as (

    select
        dispensaries.dispensary_id,
        dispensaries.dispensary_name,
        dispensaries.city,
        dispensaries.state_code,
        coalesce(store_sales.total_revenue, 0) as total_revenue_30d,
        coalesce(store_sales.total_units, 0) as total_units_30d,
        coalesce(store_menus.total_skus, 0) as total_skus,
        coalesce(store_menus.in_stock_skus, 0) as in_stock_skus,
        coalesce(store_menus.unique_brands, 0) as unique_brands,
        coalesce(store_menus.unique_categories, 0) as unique_categories,
        store_menus.avg_price,
        store_menus.last_updated,
        {{ retail_refresh_time() }} as calculated_at

    from dispensaries

    left join store_menus
        on dispensaries.dispensary_id = store_menus.dispensary_id

    left join store_sales
        on dispensaries.dispensary_id = store_sales.dispensary_id

)

select * from store_performance
