-- Restock cycles. Cycle 0 starts when the product enters the simulation (stock = initial);
-- cycle k >= 1 starts at restock k, 7 to 16 hours after the store's local midnight (its mornings
-- and afternoons) on a local day about period_days after the previous one (jittered), and fills
-- the shelf up to the par level. Restocks are at least 15 hours apart, crawl visits at most
-- about 7 hours apart: between two visits there is at most one restock.
--
-- Inside a cycle the stock is closed-form: with D(t) the demand count (retail_sim.demand) at t,
--   stock(t) = greatest(0, lvl - (D(t) - d_r))    and units sold so far = least(lvl, D(t) - d_r),
-- demand that finds the shelf empty is lost. So the state at any moment needs only its cycle.
--
-- Columns: r_us, r_day (its local day), h_r (demand curve value) and d_r (demand count) at the
-- cycle start; lvl the
-- stock right after it; vis_lo the first breakpoint (visit) that sees the cycle's stock and
-- bi_hi the last one; next_us / next_day / next_h the next restock; prev_lvl /
-- prev_d_r the previous cycle's; restocked the units the restock added.
-- step: cycles table
create unlogged table retail_sim.cycles (
    sp_id               bigint not null,
    k                   integer not null,
    r_us                bigint not null,
    r_day               integer not null,
    h_r                 double precision not null,
    d_r                 integer not null,
    lvl                 integer not null,
    vis_lo              integer not null,
    bi_hi               integer not null,
    next_us             bigint,
    next_day            integer,
    next_h              double precision,
    prev_lvl            integer,
    prev_d_r            integer,
    restocked           integer,
    store_id            integer not null,
    rank                integer not null,
    variant             integer not null,
    rate                double precision not null,
    demand_key          bigint not null,
    price_key           bigint not null,
    blank_key           bigint not null,
    base_price          double precision not null,
    price_period_us     double precision not null,
    price_phase         double precision not null,
    price_fixed         boolean not null,
    provider_product_id text,
    tracked             boolean not null,
    brand               text not null,
    category            text not null,
    bi_first            integer not null,
    introduced          boolean not null,
    us_last             bigint not null,
    day_last            integer not null,
    h_last              double precision not null
);

-- step: cycles (parallel)
-- When advancing, only the cycles from cutoff_day on (the store's from_day minus 2.5 restock
-- periods and 5 days): they include the cycle in force a day before the previous end (the
-- earliest moment a new or late visit compares with) and the one before it, whose state a
-- visit across a restock needs. Restock days grow with k, so the kept cycles are the last ones
-- of each product (cycle 0 kept only if all are), and every window below (lead, lag) is exact
-- except the first kept cycle's lag, which nothing new reads. A full load keeps every cycle.
insert into retail_sim.cycles
with restocks as materialized (
    select *
    from (
        select
            sp.sp_id,
            k.k,
            floor(l.day_first + 1
                  + sp.period_days * (k.k - 1 + sp.restock_phase)
                  + 0.2 * sp.period_days * (retail_sim.rnd(sp.restock_key, k.k) - 0.5))::integer
                as r_day,
            ((7 + 9 * retail_sim.rnd(sp.restock_key, -k.k)) * 3600000000)::bigint as r_tod,
            l.us_last,
            w.from_day - ceil(2.5 * sp.period_days)::integer - 5 as cutoff_day
        from retail_sim.sp as sp
        join retail_sim.sp_life as l using (sp_id)
        join retail_sim.store_window as w on w.store_id = sp.store_id
        cross join generate_series(1, ceil((%(span_days)s + 2) / sp.period_days)::integer + 1) as k (k)
        where sp.period_days is not null and mod(sp.sp_id, %(parts)s) = %(part)s
    ) as every_restock
    where r_day >= cutoff_day
),
starts as (
    select
        l.sp_id,
        0 as k,
        l.us_first as r_us,
        l.day_first as r_day,
        l.h_first as h_r,
        sp.initial as lvl,
        l.bi_first as vis_lo
    from retail_sim.sp_life as l
    join retail_sim.sp as sp using (sp_id)
    join retail_sim.store_window as w on w.store_id = sp.store_id
    where mod(sp.sp_id, %(parts)s) = %(part)s
      and (sp.period_days is null
           or floor(l.day_first + 1 + sp.period_days * sp.restock_phase
                    + 0.2 * sp.period_days * (retail_sim.rnd(sp.restock_key, 1) - 0.5))
              >= w.from_day - ceil(2.5 * sp.period_days)::integer - 5)
    union all
    select
        r.sp_id,
        r.k,
        db.start_us + r.r_tod,
        r.r_day,
        retail_sim.wiggle(
            retail_sim.base_h(db.h0, db.factor, r.r_tod, db.hcum, db.hw),
            sp.variant, sp.store_id) as h_r,
        sp.level as lvl,
        db.bi0 + width_bucket(db.start_us + r.r_tod, db.break_us) as vis_lo
    from restocks as r
    join retail_sim.sp as sp using (sp_id)
    join retail_sim.day_breaks as db
        on db.store_id = sp.store_id and db.day = r.r_day
    where db.start_us + r.r_tod < r.us_last
),
counted as (
    select st.*, retail_sim.demand(sp.rate * st.h_r, sp.demand_key) as d_r
    from starts as st
    join retail_sim.sp as sp using (sp_id)
),
linked as (
    select
        c.*,
        coalesce(lead(c.vis_lo) over w - 1, l.bi_last) as bi_hi,
        lead(c.r_us) over w as next_us,
        lead(c.r_day) over w as next_day,
        lead(c.h_r) over w as next_h,
        lag(c.lvl) over w as prev_lvl,
        lag(c.d_r) over w as prev_d_r
    from counted as c
    join retail_sim.sp_life as l using (sp_id)
    window w as (partition by c.sp_id order by c.k)
)
select
    lk.sp_id,
    lk.k,
    lk.r_us,
    lk.r_day,
    lk.h_r,
    lk.d_r,
    lk.lvl,
    lk.vis_lo,
    lk.bi_hi,
    lk.next_us,
    lk.next_day,
    lk.next_h,
    lk.prev_lvl,
    lk.prev_d_r,
    case when lk.k > 0
         then lk.lvl - greatest(0, lk.prev_lvl - (lk.d_r - lk.prev_d_r))
    end as restocked,
    -- The product's parameters, copied so the big expansions need no other join.
    sp.store_id,
    sp.rank,
    sp.variant,
    sp.rate,
    sp.demand_key,
    sp.price_key,
    sp.blank_key,
    sp.base_price,
    sp.price_period_us,
    sp.price_phase,
    sp.price_fixed,
    sp.provider_product_id,
    sp.tracked,
    sp.brand,
    sp.category,
    l.bi_first,
    l.introduced,
    l.us_last,
    l.day_last,
    l.h_last
from linked as lk
join retail_sim.sp as sp using (sp_id)
join retail_sim.sp_life as l using (sp_id);

-- step: cycles analyze
analyze retail_sim.cycles;
