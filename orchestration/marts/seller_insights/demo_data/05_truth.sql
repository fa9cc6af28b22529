-- The truth per bundle: its eventual outcome (cancellations and no-shows as they will be).

-- step: truth
-- reserved_units: units of reservations never cancelled; lost_units: demand the posted
-- quantity turned away; no_show_probability: the quantity-weighted mean of the reserved units'
-- (the seller's median-lead probability for a bundle with none).
create unlogged table seller_insights_sim.truth_rows as
select
    b.bundle_id,
    b.seller_id,
    b.window_start,
    b.expected_demand,
    b.demand,
    coalesce(r.reserved_units, 0) as reserved_units,
    b.demand - least(b.demand, b.total_qty) as lost_units,
    coalesce(r.collected_units, 0) as collected_units,
    coalesce(r.no_show_probability, b.default_no_show) as no_show_probability
from seller_insights_sim.bundles as b
left join (
    select
        bundle_id,
        sum(quantity) filter (where cancelled_at is null)::integer as reserved_units,
        coalesce(sum(quantity) filter (where collected_at is not null), 0)::integer as collected_units,
        sum(quantity * no_show_p) filter (where cancelled_at is null)
            / nullif(sum(quantity) filter (where cancelled_at is null), 0) as no_show_probability
    from seller_insights_sim.reservation_rows
    group by bundle_id
) as r using (bundle_id);
