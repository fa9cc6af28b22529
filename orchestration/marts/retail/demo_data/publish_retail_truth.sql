-- Replace the content of retail_truth, in one transaction like publish_retail_raw.sql and at the
-- same time in another session.

-- step: stock_events
-- Sales per crawl interval of the tracked products (stamped at the interval's midpoint) and
-- their restocks while their store is crawled (at the exact moment).
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
where c.k > 0 and c.restocked > 0 and c.tracked and c.r_us < w.crawled_to_us;

-- step: daily_product_truth
insert into retail_truth.daily_product_truth (
    dispensary_id, product_id, day, units_sold, units_restocked)
select dispensary_id, product_id, day, units_sold, units_restocked
from retail_sim.daily_rows;

-- step: simulation
insert into retail_truth.simulation (scale, seed, starts_at, ends_at, loaded_at)
values (%(scale)s, %(seed)s, %(start_ts)s, %(ends_at)s, now());
