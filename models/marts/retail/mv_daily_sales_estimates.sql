{{
    config(
        meta={'cadence': 'hourly'},
        refresh_strategy='incremental',
        incremental={
            'source': ['retail_raw', 'inventory_snapshots'],
            'key': ['dispensary_id', 'product_id'],
            'source_time': 'captured_at',
            'time_column': 'sale_date',
            'slice_day': "({time} at time zone 'UTC')::date - 1",
            'expired': 'sale_date < ' ~ retail_local_window_floor(retail_days('retail_daily_sales_days')),
        },
        unique_key=['dispensary_id', 'product_id', 'sale_date'],
        unique_key_index_name='idx_mv_daily_sales_pk',
        post_hook=[
            mv_index(['brand_name', 'sale_date'], name='idx_mv_daily_sales_brand'),
            mv_index(['category', 'sale_date'], name='idx_mv_daily_sales_category'),
            mv_index(['sale_date desc'], name='idx_mv_daily_sales_date'),
        ],
    )
}}

{#- Every store keeps the days from one first day on: the UTC day 91 days back, one day
    before any store's local 90th day (a local day is at most one day from the UTC day). -#}
{%- set first_kept_day = retail_local_window_floor(retail_days('retail_daily_sales_days')) %}

with

stores as (

    -- Each store's window starts at the first kept day's midnight in its own time zone.
    select
        dispensary_id,
        time_zone,
        {{ retail_local_day_start(first_kept_day, 'time_zone') }} as window_start

    from {{ ref('stg_retail__dispensaries') }}

),

snapshots as not materialized (

    -- A snapshot without a quantity says nothing about sales: it is skipped, so the next
    -- change is measured against the last quantity the menu did show. Not materialized:
    -- each reader below scans only the rows it needs.
    select * from {{ ref('stg_retail__inventory_snapshots') }}
    where quantity_available is not null

),

opening_quantities as (

    -- A full build: the last quantity shown before the window, so that the first change
    -- inside the window is measured too. One hash aggregate over the older rows, no sort:
    -- arrays compare element by element, so max([time, id, quantity]) is the latest
    -- snapshot (same-instant ties go to the higher id, as in the window below) and element 3
    -- its quantity.
    select
        snapshots.dispensary_id,
        snapshots.product_id,
        (
            max(
                array[
                    date_part('epoch', snapshots.captured_at),
                    snapshots.snapshot_id,
                    snapshots.quantity_available
                ]
            )
        )[3]::integer as opening_quantity

    from snapshots

    inner join stores
        on snapshots.dispensary_id = stores.dispensary_id

    where
        not {{ mv_incremental_run() }}
        and snapshots.captured_at < stores.window_start

    group by snapshots.dispensary_id, snapshots.product_id

),

full_window_snapshots as (

    -- A full build: every store's snapshots inside its window.
    select
        snapshots.*,
        stores.time_zone,
        opening_quantities.opening_quantity

    from snapshots

    inner join stores
        on snapshots.dispensary_id = stores.dispensary_id

    left join opening_quantities
        on
            snapshots.dispensary_id = opening_quantities.dispensary_id
            and snapshots.product_id = opening_quantities.product_id

    where
        not {{ mv_incremental_run() }}
        and snapshots.captured_at >= stores.window_start

),

slices as (

    -- An incremental run: the products whose snapshots changed, each from the local
    -- midnight of its first changed day (never before its store's window), with the last
    -- quantity shown before that (as opening_quantities does), read through the
    -- (store, product, time) index.
    select
        slice_bounds.dispensary_id,
        slice_bounds.product_id,
        slice_bounds.time_zone,
        slice_bounds.slice_start,
        opening.quantity_available as opening_quantity

    from (
        select
            mv_slices.dispensary_id,
            mv_slices.product_id,
            stores.time_zone,
            greatest(
                stores.window_start,
                {{ retail_local_day_start('mv_slices.from_day', 'stores.time_zone') }}
            ) as slice_start

        from {{ mv_slices('dispensary_id integer, product_id text') }}

        inner join stores
            on mv_slices.dispensary_id = stores.dispensary_id

        where {{ mv_incremental_run() }}
    ) as slice_bounds

    left join lateral (
        select earlier.quantity_available
        from snapshots as earlier
        where
            earlier.dispensary_id = slice_bounds.dispensary_id
            and earlier.product_id = slice_bounds.product_id
            and earlier.captured_at < slice_bounds.slice_start
        order by earlier.captured_at desc, earlier.snapshot_id desc
        limit 1
    ) as opening on true

),

slice_window_snapshots as (

    -- An incremental run: the slices' snapshots.
    select
        snapshots.*,
        slices.time_zone,
        slices.opening_quantity

    from slices

    inner join snapshots
        on
            slices.dispensary_id = snapshots.dispensary_id
            and slices.product_id = snapshots.product_id
            and slices.slice_start <= snapshots.captured_at

),

window_snapshots as (

    -- One of the two branches runs: the full build's or the incremental run's.
    select
        dispensary_id,
        product_id,
        brand_name,
        category,
        captured_at,
        snapshot_id,
        price_rec,
        quantity_available,
        {{ retail_local_day('captured_at', 'time_zone') }} as sale_date,
        opening_quantity

    from (
        select * from full_window_snapshots
        union all
        select * from slice_window_snapshots
    ) as branches

),

snapshot_deltas as (

    select
        dispensary_id,
        product_id,
        brand_name,
        category,
        captured_at,
        snapshot_id,
        price_rec,
        quantity_available,
        sale_date,
        coalesce(
            lag(quantity_available) over product_history,
            opening_quantity
        ) as previous_quantity

    from window_snapshots

    -- sale_date leads the order (it grows with captured_at, so the order is the same): the
    -- rows come out grouped by day and the daily aggregate below needs no second sort.
    window product_history as (
        partition by dispensary_id, product_id
        order by sale_date, captured_at, snapshot_id
    )

),

sales_deltas as (

    -- A fall in quantity counts as units sold, a rise as units restocked. A product's very
    -- first snapshot has nothing to compare with.
    select
        dispensary_id,
        product_id,
        brand_name,
        category,
        sale_date,
        price_rec,
        captured_at,
        snapshot_id,
        greatest(previous_quantity - quantity_available, 0) as units_sold,
        greatest(quantity_available - previous_quantity, 0) as units_restocked

    from snapshot_deltas

    where previous_quantity is not null

),

daily_sales as (

    select
        dispensary_id,
        product_id,
        sale_date,
        -- As of the day's last snapshot (the last element in time order), so a product has one
        -- row per day even if the menu renamed its brand or category that day.
        (array_agg(brand_name order by captured_at, snapshot_id))[count(*)] as brand_name,
        (array_agg(category order by captured_at, snapshot_id))[count(*)] as category,
        avg(price_rec) as avg_price,
        sum(units_sold) as units_sold,
        sum(units_restocked) as units_restocked,
        sum(units_sold * coalesce(price_rec, 0)) as revenue_estimate,
        count(*) as snapshot_count

    from sales_deltas

    group by dispensary_id, product_id, sale_date

)

select
    dispensary_id,
    product_id,
    brand_name,
    category,
    sale_date,
    avg_price,
    units_sold,
    units_restocked,
    revenue_estimate,
    snapshot_count

from daily_sales
