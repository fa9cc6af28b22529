{{
    config(
        unique_key=['category', 'state_code', 'week_start'],
        unique_key_index_name='idx_mv_cat_weekly_pk',
        post_hook=[
            mv_index(['state_code', 'week_start'], name='idx_mv_cat_weekly_state'),
            mv_index(['week_start desc'], name='idx_mv_cat_weekly_date'),
        ],
    )
}}

with

daily_sales as (

    select * from {{ ref('mv_daily_sales_estimates') }}
    where
        category is not null
        and sale_date
        >= {{ retail_refresh_date() }}
        - {{ retail_sales_window_days('retail_category_trend_days') }}

),

dispensaries as (

    select * from {{ ref('stg_retail__dispensaries') }}

),

category_weeks as (

    select
        daily_sales.category,
        dispensaries.state_code,
        -- Weeks start on Monday.
        date_trunc('week', daily_sales.sale_date::timestamp)::date as week_start,
        count(distinct daily_sales.product_id) as sku_count,
        count(distinct daily_sales.dispensary_id) as store_count,
        sum(daily_sales.units_sold) as total_units,
        sum(daily_sales.revenue_estimate) as total_revenue,
        avg(daily_sales.avg_price) as avg_price,
        {{ retail_refresh_time() }} as calculated_at

    from daily_sales

    inner join dispensaries
        on daily_sales.dispensary_id = dispensaries.dispensary_id

    group by 1, 2, 3

)

select * from category_weeks
