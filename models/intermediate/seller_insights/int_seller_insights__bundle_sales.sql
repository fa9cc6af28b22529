-- One row per valid bundle (past and future, with or without reservations) with its units
-- reserved, sold (collected) and not shown up for, defined once for every view.
with

bundles as (

    select * from {{ ref('int_seller_insights__bundles') }}

),

reservations as (

    select * from {{ ref('int_seller_insights__reservations') }}

),

by_bundle as (

    select
        bundle_id,
        sum(reserved_units) as reserved_units,
        sum(sold_units) as sold_units,
        -- lead time weighted by the units reserved: cancelled reservations weigh nothing
        sum(reserved_units * lead_hours) as lead_unit_hours

    from reservations
    group by bundle_id

)

select
    bundles.bundle_id,
    bundles.seller_id,
    bundles.time_zone,
    bundles.window_start,
    bundles.window_end,
    bundles.posted_qty,
    bundles.price,
    bundles.is_future,
    coalesce(by_bundle.reserved_units, 0)::integer as reserved_units,
    coalesce(by_bundle.sold_units, 0)::integer as sold_units,
    case
        when bundles.is_future then 0
        else coalesce(by_bundle.reserved_units - by_bundle.sold_units, 0)
    end::integer as no_show_units,
    (by_bundle.lead_unit_hours / nullif(by_bundle.reserved_units, 0))::double precision
        as mean_lead_hours

from bundles
left join by_bundle on bundles.bundle_id = by_bundle.bundle_id
