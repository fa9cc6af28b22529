-- Replace the content of surplus_truth, in one transaction like publish_surplus.sql and at the
-- same time in another session: every bundle of surplus.bundles (past and future) with its
-- eventual outcome.

-- step: bundle_outcomes
insert into surplus_truth.bundle_outcomes (
    bundle_id, seller_id, window_start, expected_demand, demand, reserved_units, lost_units,
    collected_units, no_show_probability)
select
    bundle_id,
    seller_id,
    window_start,
    round(expected_demand::numeric, 2),
    demand,
    reserved_units,
    lost_units,
    collected_units,
    round(no_show_probability::numeric, 6)
from seller_insights_sim.truth_rows;
