-- Advance retail_truth from the previous end (from_us) to the new one (end_us), in one
-- transaction, at the same time as advance_retail_raw.sql in another session.

-- step: stock_events
-- The sales of the visits captured in the window and the restocks between the store's last
-- visit before the previous end and its last visit now.
insert into retail_truth.stock_events (
    dispensary_id, product_id, occurred_at, event_type, units, quantity_after)
select dispensary_id, product_id, sold_at, 'sale', units_sold, true_quantity
from retail_sim.visit_rows
where units_sold > 0 and in_window
union all
select
    c.store_id,
    c.provider_product_id,
    %(start_ts)s::timestamptz + c.r_us * interval '1 microsecond',
    'restock',
    c.restocked,
    c.lvl
from retail_sim.cycles as c
join retail_sim.store_window as w using (store_id)
where c.k > 0 and c.restocked > 0 and c.tracked
  and c.r_us >= w.crawled_from_us and c.r_us < w.crawled_to_us;

-- step: daily_product_truth
-- The days from the previous end's local day on: that day's rows were partial and grow.
insert into retail_truth.daily_product_truth as t (
    dispensary_id, product_id, day, units_sold, units_restocked)
select dispensary_id, product_id, day, units_sold, units_restocked
from retail_sim.daily_rows
on conflict (dispensary_id, product_id, day) do update set
    units_sold = excluded.units_sold,
    units_restocked = excluded.units_restocked
where (t.units_sold, t.units_restocked)
    is distinct from (excluded.units_sold, excluded.units_restocked);

-- step: simulation
update retail_truth.simulation
set ends_at = %(ends_at)s, loaded_at = now();
