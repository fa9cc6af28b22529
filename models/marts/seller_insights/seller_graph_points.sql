{{
    config(
        meta={'cadence': 'hourly'},
        unique_key=['seller_id', 'graph_type', 'series_name', 'sort_index'],
        unique_key_index_name='idx_seller_graph_points_key',
    )
}}

-- The seed's graph shape, one row per point, derived from the five graph views so the seller
-- app reads one relation: 1 weekly sales vs posted, 2 sell-through, 3 categories, 4 pickup
-- times, 5 forecast vs posted.
with

weekly as (

    select * from {{ ref('seller_weekly_sales_vs_posted') }}

),

sell_through as (

    select * from {{ ref('seller_sell_through_rate') }}

),

categories as (

    select * from {{ ref('seller_category_distribution') }}

),

time_windows as (

    select * from {{ ref('seller_time_window_distribution') }}

),

forecast as (

    select * from {{ ref('seller_forecast_vs_posted_weekly') }}

),

weekly_points as (

    select
        seller_id,
        sold_units,
        posted_units,
        to_char(week_start, 'YYYY-MM-DD') as x,
        {{ seller_insights_sort_index('week_start') }} as sort_index

    from weekly

),

forecast_points as (

    select
        seller_id,
        predicted_sales,
        posted_units,
        to_char(week_start, 'YYYY-MM-DD') as x,
        {{ seller_insights_sort_index('week_start') }} as sort_index

    from forecast

),

points as (

    select
        seller_id,
        1 as graph_type,
        'sales' as series_name,
        sort_index,
        x,
        sold_units::numeric as y
    from weekly_points

    union all

    select
        seller_id,
        1 as graph_type,
        'posted' as series_name,
        sort_index,
        x,
        posted_units::numeric as y
    from weekly_points

    union all

    select
        seller_id,
        2 as graph_type,
        'sell_rate' as series_name,
        0 as sort_index,
        'sold' as x,
        sell_through_pct as y
    from sell_through

    union all

    select
        seller_id,
        2 as graph_type,
        'sell_rate' as series_name,
        1 as sort_index,
        'unsold' as x,
        unsold_pct as y
    from sell_through

    union all

    select
        seller_id,
        3 as graph_type,
        'categories' as series_name,
        {{ seller_insights_sort_index('sold_units desc, category_name asc') }} as sort_index,
        category_name as x,
        sold_units as y
    from categories

    union all

    select
        seller_id,
        4 as graph_type,
        'time_windows' as series_name,
        {{ seller_insights_sort_index('window_start_local') }} as sort_index,
        to_char(window_start_local, 'HH24:MI') as x,
        sold_units::numeric as y
    from time_windows

    union all

    select
        seller_id,
        5 as graph_type,
        'forecast' as series_name,
        sort_index,
        x,
        predicted_sales as y
    from forecast_points

    union all

    select
        seller_id,
        5 as graph_type,
        'posted' as series_name,
        sort_index,
        x,
        posted_units::numeric as y
    from forecast_points

)

select
    seller_id,
    graph_type,
    series_name::text as series_name,
    sort_index,
    x::text as x,
    y

from points
