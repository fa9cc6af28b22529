-- The clock of each store. Times are microseconds since the simulation start (t_us), a UTC
-- midnight; a day is 86400000000 us. The data ends at end_us (the anchor).
--
-- store_days: each store's demand weight per day (weekday pattern times a daily shock) and the
-- store's demand clock h0 at the day's start; curves0 / curves1 hold the 16 demand curves at
-- the day's start and end.
create unlogged table retail_sim.store_days as
with d as (
    select
        s.store_id,
        g as day,
        (array[0.92, 0.90, 0.95, 1.00, 1.12, 1.18, 0.93])
            [extract(isodow from (%(start_date)s::date + g))::integer]
        * (0.8 + 0.4 * retail_sim.rnd(s.day_key, g)) as factor
    from retail_sim.stores as s
    cross join generate_series(0, %(days)s) as g
),
h as (
    select
        d.*,
        coalesce(sum(factor) over (partition by store_id order by day
                                   rows between unbounded preceding and 1 preceding), 0.0) as h0
    from d
),
c as (
    select h.*, retail_sim.curves(h0, store_id) as curves0 from h
)
select c.*, lead(curves0) over (partition by store_id order by day) as curves1
from c;
create unique index on retail_sim.store_days (store_id, day);

-- Breakpoints of each store's timeline, numbered bi = 1, 2, ... in time order: the start
-- ('s'), every UTC midnight ('m'), every crawler visit ('v') and the end ('e'). Visits stop
-- at the store's stop_us for stores no longer crawled. Each row carries the demand curves at
-- its moment, the previous breakpoint's, and for visits the previous visit's, so that the
-- state before and after can be computed without a window over the big expansion.
create unlogged table retail_sim.store_breaks as
with visits as (
    select
        s.store_id,
        s.phase * s.gap_us * 0.9 + s.gap_us * 0.1 + k * s.gap_us
            + ((retail_sim.rnd(s.visit_key, k) - 0.5) * 0.2 * s.gap_us) as t,
        s.stop_us
    from retail_sim.stores as s
    cross join generate_series(0, (%(end_us)s::bigint / s.gap_us)::integer + 1) as k
),
points as (
    select store_id, 0::bigint as t_us, 's' as kind from retail_sim.stores
    union all
    select s.store_id, g * 86400000000, 'm'
    from retail_sim.stores as s
    cross join generate_series(1, (%(end_us)s::bigint - 1) / 86400000000) as g
    union all
    select store_id, round(t)::bigint, 'v'
    from visits
    where round(t) > 0 and round(t) <= stop_us and round(t) < %(end_us)s::bigint
    union all
    select store_id, %(end_us)s::bigint, 'e' from retail_sim.stores
),
numbered as (
    select
        p.store_id,
        row_number() over (partition by p.store_id order by p.t_us, p.kind)::integer as bi,
        p.t_us,
        p.kind,
        case when p.kind = 'v'
             then row_number() over (partition by p.kind order by p.t_us, p.store_id)
        end as visit_no
    from points as p
),
curved as (
    select
        n.*,
        case when n.kind in ('s', 'm')
             then sd.curves0
             else retail_sim.curves(
                 retail_sim.base_h(sd.h0, sd.factor, n.t_us - sd.day * 86400000000), n.store_id)
        end as curves
    from numbered as n
    join retail_sim.store_days as sd
        on sd.store_id = n.store_id and sd.day = n.t_us / 86400000000
),
visit_lags as (
    select
        store_id,
        bi,
        row_number() over w::integer as vi,
        lag(bi) over w as pv_bi,
        lag(t_us) over w as pv_us,
        lag(visit_no) over w as pv_no,
        lag(curves) over w as pv_curves
    from curved
    where kind = 'v'
    window w as (partition by store_id order by bi)
)
select
    c.store_id,
    c.bi,
    c.t_us,
    c.kind,
    c.visit_no,
    c.curves,
    lag(c.t_us) over w as prev_us,
    lag(c.curves) over w as prev_curves,
    v.vi,
    v.pv_bi,
    v.pv_us,
    v.pv_no,
    v.pv_curves
from curved as c
left join visit_lags as v using (store_id, bi)
window w as (partition by c.store_id order by c.bi);
create unique index on retail_sim.store_breaks (store_id, bi);
create unique index on retail_sim.store_breaks (store_id, vi);

-- Per store and day: the demand clock, the first breakpoint of the day (bi0) and the times of
-- the day's breakpoints, so that the first breakpoint after any moment t of the day is
-- bi0 + width_bucket(t, break_us) (the count of the day's breakpoints at or before t).
create unlogged table retail_sim.day_breaks as
select
    sd.store_id,
    sd.day,
    sd.h0,
    sd.factor,
    b.bi0,
    b.break_us
from retail_sim.store_days as sd
join (
    select store_id, t_us / 86400000000 as day, min(bi) as bi0, array_agg(t_us order by bi) as break_us
    from retail_sim.store_breaks
    group by store_id, t_us / 86400000000
) as b on b.store_id = sd.store_id and b.day = sd.day;
create unique index on retail_sim.day_breaks (store_id, day);

-- Life of each store product on its store's timeline: from breakpoint bi_first (the start, or
-- the visit that first saw a product added during the period) to bi_last (the end, or the
-- last visit that saw a delisted product). seen_bi is the last visit that saw it (its menu
-- row's state); gone_bi the visit that noticed a delisting.
create unlogged table retail_sim.sp_life as
with nv as (
    select store_id, max(vi) as visits, max(bi) as last_bi
    from retail_sim.store_breaks
    group by store_id
),
planned as (
    select
        sp.sp_id,
        sp.store_id,
        sp.variant,
        nv.last_bi,
        case when sp.intro_frac is not null
             then greatest(1, ceil(sp.intro_frac * nv.visits))::integer
        end as intro_vi,
        case when sp.remove_frac is not null
                  and ceil(sp.remove_frac * nv.visits) < nv.visits
                  and ceil(sp.remove_frac * nv.visits)
                      > coalesce(ceil(sp.intro_frac * nv.visits), 0) + 1
             then ceil(sp.remove_frac * nv.visits)::integer
        end as remove_vi,
        nv.visits
    from retail_sim.sp as sp
    join nv using (store_id)
)
select
    p.sp_id,
    coalesce(fb.bi, 1) as bi_first,
    coalesce(fb.t_us, 0) as us_first,
    (coalesce(fb.curves, sb.curves))[p.variant + 1] as h_first,
    p.intro_vi is not null as introduced,
    coalesce(lb.bi, p.last_bi) as bi_last,
    coalesce(lb.t_us, eb.t_us) as us_last,
    (coalesce(lb.curves, eb.curves))[p.variant + 1] as h_last,
    p.remove_vi is not null as removed,
    coalesce(lb.bi, vb.bi) as seen_bi,
    gb.bi as gone_bi
from planned as p
join retail_sim.store_breaks as sb on sb.store_id = p.store_id and sb.bi = 1
join retail_sim.store_breaks as eb on eb.store_id = p.store_id and eb.bi = p.last_bi
join retail_sim.store_breaks as vb on vb.store_id = p.store_id and vb.vi = p.visits
left join retail_sim.store_breaks as fb on fb.store_id = p.store_id and fb.vi = p.intro_vi
left join retail_sim.store_breaks as lb on lb.store_id = p.store_id and lb.vi = p.remove_vi
left join retail_sim.store_breaks as gb on gb.store_id = p.store_id and gb.vi = p.remove_vi + 1;

analyze retail_sim.store_days, retail_sim.store_breaks, retail_sim.day_breaks, retail_sim.sp_life;
