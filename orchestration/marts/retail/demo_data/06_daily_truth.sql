-- Units really sold and restocked per product and LOCAL day (the store's calendar day in its
-- time zone), one row per day the product was on the menu (zeros included), from the first day
-- of its life to its last (or the anchor's). Only the days from the store's from_day on
-- (03_timeline.sql: every day in a full load; the previous end's day on when advancing, whose
-- row was partial and is rewritten).
-- A day belongs to the cycle in force at its end; on a restock day the row adds what the
-- previous cycle sold between midnight and the restock.

-- step: daily_truth table
create unlogged table retail_sim.daily_rows (
    dispensary_id   integer not null,
    product_id      text not null,
    day             date not null,
    units_sold      integer not null,
    units_restocked integer not null
);

-- step: daily_truth (parallel)
-- Run once per part by as many sessions; the fenced layer computes each demand count once.
insert into retail_sim.daily_rows
select
    h.store_id,
    h.provider_product_id,
    %(start_date)s::date + h.day::integer,
    least(h.lvl, h.d_end - h.d_r)
        - least(h.lvl, case when h.cycle_day then h.d_r else h.d_mid end - h.d_r)
        + case when h.restock_day
               then least(h.prev_lvl, h.d_r - h.prev_d_r) - least(h.prev_lvl, h.d_mid - h.prev_d_r)
               else 0
          end,
    case when h.restock_day then h.restocked else 0 end
from (
    select
        c.store_id,
        c.provider_product_id,
        c.day,
        c.lvl,
        c.d_r,
        c.prev_lvl,
        c.prev_d_r,
        c.restocked,
        c.day = c.r_day as cycle_day,
        c.day = c.r_day and c.k > 0 as restock_day,
        -- Demand counts at the day's midnight and at its end (the next midnight, or the end
        -- of the product's life on its last day).
        retail_sim.demand(c.rate * sd.curves0[c.variant + 1], c.demand_key) as d_mid,
        retail_sim.demand(
            c.rate * case when sd.end_us >= c.us_last then c.h_last
                          else sd.curves1[c.variant + 1] end,
            c.demand_key) as d_end
    from (
        -- The expansion first (fenced), then one hash join with store_days.
        select cy.*, g.day
        from retail_sim.cycles as cy
        join retail_sim.store_window as w using (store_id)
        cross join lateral generate_series(
            greatest(cy.r_day, w.from_day),
            case when cy.next_day is null then cy.day_last else cy.next_day - 1 end) as g (day)
        where cy.provider_product_id is not null and mod(cy.sp_id, %(parts)s) = %(part)s
          and coalesce(cy.next_day - 1, cy.day_last) >= w.from_day
        offset 0
    ) as c
    join retail_sim.store_days as sd on sd.store_id = c.store_id and sd.day = c.day
    offset 0
) as h;
