-- Units really sold and restocked per product and UTC day, one row per day the product was
-- on the menu (zeros included), from the first day of its life to its last (or the anchor).
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
insert into retail_sim.daily_rows
select
    y.store_id,
    y.provider_product_id,
    %(start_date)s::date + y.day::integer,
    least(y.lvl, y.d_end - y.d_r) - least(y.lvl, y.d_start - y.d_r)
        + case when y.restock_day
               then least(y.prev_lvl, y.d_r - y.prev_d_r) - least(y.prev_lvl, y.d_mid - y.prev_d_r)
               else 0
          end,
    case when y.restock_day then y.restocked else 0 end
from (
    select
        x.*,
        retail_sim.demand(x.x_end, x.demand_key) as d_end,
        case when x.cycle_day then x.d_r else x.d_mid end as d_start
    from (
        select
            w.*,
            retail_sim.demand(w.x_mid, w.demand_key) as d_mid
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
                c.demand_key,
                c.day = c.r_us / 86400000000 as cycle_day,
                c.day = c.r_us / 86400000000 and c.k > 0 as restock_day,
                c.rate * sd.curves0[c.variant + 1] as x_mid,
                c.rate * case when (c.day + 1) * 86400000000 >= c.us_last then c.h_last
                              else sd.curves1[c.variant + 1] end as x_end
            from (
                -- The expansion first (fenced), then one hash join with store_days.
                select cy.*, g.day
                from retail_sim.cycles as cy
                cross join lateral generate_series(
                    cy.r_us / 86400000000,
                    case when cy.next_us is null then (cy.us_last - 1) / 86400000000
                         else cy.next_us / 86400000000 - 1 end) as g (day)
                where cy.provider_product_id is not null and mod(cy.sp_id, %(parts)s) = %(part)s
                offset 0
            ) as c
            join retail_sim.store_days as sd on sd.store_id = c.store_id and sd.day = c.day
            offset 0
        ) as w
        offset 0
    ) as x
    offset 0
) as y;
