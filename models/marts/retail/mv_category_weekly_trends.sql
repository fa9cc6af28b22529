{{
    config(
        meta={'cadence': 'weekly'},
        unique_key=['category', 'state_code', 'week_start'],
        unique_key_index_name='idx_mv_cat_weekly_pk',
        post_hook=[
            mv_index(['state_code', 'week_start'], name='idx_mv_cat_weekly_state'),
            mv_index(['week_start desc'], name='idx_mv_cat_weekly_date'),
        ],
    )
}}

{%- set window_days = retail_sales_window_days('retail_category_trend_days') %}

with

dispensaries as (

    -- The first day of the store's window: its local today (F5) minus the window's days.
    -- Read twice below, so computed once per store.
    {{ retail_stores_with_window(window_days) }}

),

daily_sales as (

    -- The window counts the store's local days (F5).
    {{ retail_sales_in_window(window_days, 'daily_sales.category is not null') }}

),

product_weeks as (

    -- One row per store, product, category and week first (a hash aggregate over the days),
    -- so the distinct counts below sort a few hundred thousand rows, not every day's.
    -- The average price is carried as sum and count to stay the average over days.
    select
        dispensary_id,
        product_id,
        category,
        -- Weeks start on Monday.
        date_trunc('week', sale_date::timestamp)::date as week_start,
        sum(units_sold) as units_sold,
        sum(revenue_estimate) as revenue_estimate,
        sum(avg_price) as price_sum,
        count(avg_price) as price_days

    from daily_sales

    group by dispensary_id, product_id, category, week_start

),

category_weeks as (

    select
        product_weeks.category,
        dispensaries.state_code,
        product_weeks.week_start,
        count(distinct product_weeks.product_id) as sku_count,
        count(distinct product_weeks.dispensary_id) as store_count,
        sum(product_weeks.units_sold) as total_units,
        sum(product_weeks.revenue_estimate) as total_revenue,
        sum(product_weeks.price_sum) / nullif(sum(product_weeks.price_days), 0) as avg_price,
        {{ retail_refresh_time() }} as calculated_at

    from product_weeks

    inner join dispensaries
        on product_weeks.dispensary_id = dispensaries.dispensary_id

    group by product_weeks.category, dispensaries.state_code, product_weeks.week_start

)

select * from category_weeks
