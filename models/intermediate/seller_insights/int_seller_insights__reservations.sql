-- One row per valid reservation, defined once for every view: of a valid bundle, at least
-- one unit, and not collected before it was reserved. Its units count as reserved unless
-- cancelled, as sold (a sale) when collected and not cancelled.
with

reservations as (

    select * from {{ ref('stg_seller_insights__reservations') }}

),

bundles as (

    select * from {{ ref('int_seller_insights__bundles') }}

)

select
    reservations.reservation_id,
    reservations.bundle_id,
    bundles.seller_id,
    reservations.quantity,
    reservations.reserved_at,
    reservations.collected_at,
    reservations.cancelled_at,
    extract(epoch from (bundles.window_start - reservations.reserved_at))::double precision / 3600
        as lead_hours,
    case when reservations.cancelled_at is null then reservations.quantity else 0 end as reserved_units,
    case
        when reservations.cancelled_at is null and reservations.collected_at is not null
            then reservations.quantity
        else 0
    end as sold_units

from reservations
inner join bundles on reservations.bundle_id = bundles.bundle_id
where
    reservations.quantity > 0
    and not coalesce(reservations.collected_at < reservations.reserved_at, false)
