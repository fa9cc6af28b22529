-- One row per valid bundle with its seller's resolved time zone and whether it is past or
-- future at the refresh time, defined once for every view. A valid bundle has a known
-- seller, a window that does not end before it starts and a posted quantity >= 0.
with

sellers as (

    select * from {{ ref('stg_seller_insights__sellers') }}

),

bundles as (

    select * from {{ ref('stg_seller_insights__bundles') }}

),

-- The zones Postgres knows, matched without regard to case or surrounding blanks, under
-- their canonical name.
known_zones as (

    select distinct on (lower(tz.name))
        tz.name as zone_name,
        lower(tz.name) as zone_key

    from pg_catalog.pg_timezone_names as tz
    order by lower(tz.name), tz.name

),

seller_zones as (

    select
        sellers.seller_id,
        coalesce(
            known_zones.zone_name, '{{ var("seller_insights_default_time_zone") }}'
        ) as time_zone

    from sellers
    left join known_zones on lower(trim(sellers.time_zone_set)) = known_zones.zone_key

)

select
    bundles.bundle_id,
    bundles.seller_id,
    seller_zones.time_zone,
    bundles.window_start,
    bundles.window_end,
    bundles.posted_qty,
    bundles.price,
    bundles.posted_at,
    bundles.window_start > {{ seller_insights_now() }} as is_future

from bundles
inner join seller_zones on bundles.seller_id = seller_zones.seller_id
where
    bundles.window_end >= bundles.window_start
    and bundles.posted_qty >= 0
