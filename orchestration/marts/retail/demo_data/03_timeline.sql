-- The clock of each store. Times are microseconds since the simulation start (t_us), a UTC
-- midnight (start_ts); the data ends at end_us (the anchor). A store's days are its LOCAL
-- calendar days (its state's zone, daylight saving time included: 23, 24 or 25 hours long):
-- day 0 is start_date in the store's zone, and the store's simulation starts at its midnight.
-- Days run past the end (span_days): the rows of a day never depend on where the data ends, so
-- a simulation advanced to a later end keeps every earlier row.
--
-- store_days: each store's demand weight per day (weekday pattern times a daily shock), the
-- day's start and end (start_us, end_us), its shoppers per elapsed hour (hw, hcum: see
-- retail_sim.base_h) and the store's demand clock h0 at the day's start; curves0 / curves1
-- hold the 16 demand curves at the day's start and end.
create unlogged table retail_sim.store_days as
with zone_days as (
    -- The shoppers' profile depends on the zone and the date only: computed once for each.
    select
        z.zone,
        g as day,
        (%(start_date)s::date + g)::timestamp at time zone z.zone as day_start,
        (%(start_date)s::date + g + 1)::timestamp at time zone z.zone as day_end
    from (select distinct zone from retail_sim.stores) as z
    cross join generate_series(0, %(span_days)s) as g
),
hours as (
    select
        zd.zone,
        zd.day,
        e,
        (%(local_hour_weights)s::double precision[])
            [extract(hour from (zd.day_start + e * interval '1 hour') at time zone zd.zone)::integer + 1]
            as w
    from zone_days as zd
    cross join generate_series(0, (extract(epoch from zd.day_end - zd.day_start) / 3600)::integer - 1) as e
),
profiles as (
    select
        zone,
        day,
        array_agg(w / total order by e) as hw,
        array_agg(before / total order by e) as hcum
    from (
        select
            hours.*,
            sum(w) over (partition by zone, day) as total,
            coalesce(sum(w) over (partition by zone, day order by e
                                  rows between unbounded preceding and 1 preceding), 0.0) as before
        from hours
    ) as weighted
    group by zone, day
),
d as (
    select
        s.store_id,
        zd.day,
        zd.day_start,
        zd.day_end,
        p.hw,
        p.hcum,
        (array[0.92, 0.90, 0.95, 1.00, 1.12, 1.18, 0.93])
            [extract(isodow from (%(start_date)s::date + zd.day))::integer]
        * (0.8 + 0.4 * retail_sim.rnd(s.day_key, zd.day)) as factor
    from retail_sim.stores as s
    join zone_days as zd on zd.zone = s.zone
    join profiles as p on p.zone = s.zone and p.day = zd.day
),
h as (
    select
        d.store_id,
        d.day,
        (extract(epoch from d.day_start - %(start_ts)s::timestamptz) * 1000000)::bigint as start_us,
        (extract(epoch from d.day_end - %(start_ts)s::timestamptz) * 1000000)::bigint as end_us,
        d.factor,
        d.hw,
        d.hcum,
        coalesce(sum(d.factor) over (partition by d.store_id order by d.day
                                     rows between unbounded preceding and 1 preceding), 0.0) as h0
    from d
),
c as (
    select h.*, retail_sim.curves(h0, store_id) as curves0 from h
)
select c.*, lead(curves0) over (partition by store_id order by day) as curves1
from c;
create unique index on retail_sim.store_days (store_id, day);

-- Each store's start (its first local midnight, s_us) and its days' starts in order, the end of
-- the last one included: the local day of a moment t is width_bucket(t, day_starts) - 1.
create unlogged table retail_sim.clocks as
select
    store_id,
    min(start_us) as s_us,
    array_agg(start_us order by day) || max(end_us) as day_starts
from retail_sim.store_days
group by store_id;
create unique index on retail_sim.clocks (store_id);

-- Breakpoints of each store's timeline, numbered bi = 1, 2, ... in time order: the start
-- ('s'), every local midnight ('m'), every crawler visit ('v') and the end ('e'). Visits stop
-- at the store's stop_us for stores no longer crawled. Each row carries its local day, the
-- demand curves at its moment, the previous breakpoint's, and for visits the previous visit's,
-- so that the state before and after can be computed without a window over the big expansion.
--
-- Late crawls: about 1 visit in 20 (rnd(late_key, 2k) < 0.05) reaches the crawler's database
-- late: its rows are published (pub_us) 30 to 95 %% of the way to the store's next scheduled
-- visit instead of at the visit (pub_us = t_us). A load to end_us holds the visits published
-- before it; one that was still in flight arrives with the advance that passes its pub_us,
-- with its own captured_at, before that advance's start. The truth (stock_events,
-- daily_product_truth) is what happened, whenever the crawler's rows arrive.
create unlogged table retail_sim.store_breaks as
with visits as (
    select
        s.store_id,
        k,
        s.phase * s.gap_us * 0.9 + s.gap_us * 0.1 + k * s.gap_us
            + ((retail_sim.rnd(s.visit_key, k) - 0.5) * 0.2 * s.gap_us) as t,
        s.phase * s.gap_us * 0.9 + s.gap_us * 0.1 + (k + 1) * s.gap_us
            + ((retail_sim.rnd(s.visit_key, k + 1) - 0.5) * 0.2 * s.gap_us) as t_next,
        retail_sim.rnd(s.late_key, 2 * k) < 0.05 as late,
        0.3 + 0.65 * retail_sim.rnd(s.late_key, 2 * k + 1) as delay,
        s.stop_us,
        c.s_us
    from retail_sim.stores as s
    join retail_sim.clocks as c using (store_id)
    cross join generate_series(0, (%(end_us)s::bigint / s.gap_us)::integer + 1) as k
),
points as (
    select store_id, s_us as t_us, 's' as kind, null::bigint as pub_us from retail_sim.clocks
    union all
    select c.store_id, c.day_starts[g + 1], 'm', null
    from retail_sim.clocks as c
    cross join generate_series(1, %(span_days)s) as g
    where c.day_starts[g + 1] < %(end_us)s::bigint
    union all
    select
        store_id,
        round(t)::bigint,
        'v',
        case when late then round(t + delay * (t_next - t))::bigint else round(t)::bigint end
    from visits
    where round(t) > s_us and round(t) <= stop_us and round(t) < %(end_us)s::bigint
    union all
    select store_id, %(end_us)s::bigint, 'e', null from retail_sim.stores
),
numbered as (
    select
        p.store_id,
        row_number() over (partition by p.store_id order by p.t_us, p.kind)::integer as bi,
        p.t_us,
        p.kind,
        p.pub_us,
        width_bucket(p.t_us, c.day_starts) - 1 as day,
        case when p.kind = 'v'
             then row_number() over (partition by p.kind order by p.t_us, p.store_id)
        end as visit_no
    from points as p
    join retail_sim.clocks as c using (store_id)
),
curved as (
    select
        n.*,
        case when n.kind in ('s', 'm')
             then sd.curves0
             else retail_sim.curves(
                 retail_sim.base_h(sd.h0, sd.factor, n.t_us - sd.start_us, sd.hcum, sd.hw),
                 n.store_id)
        end as curves
    from numbered as n
    join retail_sim.store_days as sd
        on sd.store_id = n.store_id and sd.day = n.day
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
    c.pub_us,
    c.day,
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

-- What this run publishes per store: a full load everything (from_us far before the start);
-- an advance from the previous end (from_us) on. first_bi: the first visit whose rows are
-- new (captured or published at or after from_us); from_day: the first local day whose truth is
-- (re)written (the previous end's day, which was partial); crawled_from_us / crawled_to_us: the
-- store's last visit before the previous end and before this one (restocks in between are new).
create unlogged table retail_sim.store_window as
select
    c.store_id,
    coalesce(min(b.bi) filter (where b.kind = 'v' and (b.t_us >= %(from_us)s::bigint
                                                      or b.pub_us >= %(from_us)s::bigint)),
             max(b.bi) + 1) as first_bi,
    width_bucket(%(from_us)s::bigint - 1, c.day_starts) - 1 as from_day,
    coalesce(max(b.t_us) filter (where b.kind = 'v' and b.t_us < %(from_us)s::bigint), -1)
        as crawled_from_us,
    coalesce(max(b.t_us) filter (where b.kind = 'v'), -1) as crawled_to_us
from retail_sim.clocks as c
join retail_sim.store_breaks as b using (store_id)
group by c.store_id, c.day_starts;
create unique index on retail_sim.store_window (store_id);

-- Per store and day: the demand clock, the day's start and shoppers' profile, the first
-- breakpoint of the day (bi0) and the times of the day's breakpoints, so that the first
-- breakpoint after any moment t of the day is bi0 + width_bucket(t, break_us) (the count of the
-- day's breakpoints at or before t).
create unlogged table retail_sim.day_breaks as
select
    sd.store_id,
    sd.day,
    sd.start_us,
    sd.h0,
    sd.factor,
    sd.hw,
    sd.hcum,
    b.bi0,
    b.break_us
from retail_sim.store_days as sd
join (
    select store_id, day, min(bi) as bi0, array_agg(t_us order by bi) as break_us
    from retail_sim.store_breaks
    group by store_id, day
) as b on b.store_id = sd.store_id and b.day = sd.day;
create unique index on retail_sim.day_breaks (store_id, day);

-- Life of each store product on its store's timeline: from breakpoint bi_first (the start, or
-- the visit that first saw a product added during the period) to bi_last (the end, or the
-- last visit that saw a delisted product). seen_bi is the last published visit that saw it
-- (its menu row's state); gone_bi the visit that noticed a delisting. Introductions and
-- delistings happen at fractions of the store's visits before the anchor's date (the UTC
-- midnight start_ts + days, never after the end), so they do not move when the simulation
-- advances. day_first /
-- day_last: the local days of the life's first moment and of its last.
create unlogged table retail_sim.sp_life as
with nv as (
    select
        b.store_id,
        count(*) filter (where b.kind = 'v' and b.t_us < %(days)s::bigint * 86400000000) as visits,
        max(b.vi) filter (where b.pub_us < %(end_us)s::bigint) as published_vi,
        max(b.bi) as last_bi,
        c.day_starts
    from retail_sim.store_breaks as b
    join retail_sim.clocks as c using (store_id)
    group by b.store_id, c.day_starts
),
planned as (
    select
        sp.sp_id,
        sp.store_id,
        sp.variant,
        nv.last_bi,
        nv.published_vi,
        nv.day_starts,
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
    coalesce(fb.t_us, sb.t_us) as us_first,
    coalesce(fb.day, sb.day) as day_first,
    (coalesce(fb.curves, sb.curves))[p.variant + 1] as h_first,
    p.intro_vi is not null as introduced,
    coalesce(lb.bi, p.last_bi) as bi_last,
    coalesce(lb.t_us, eb.t_us) as us_last,
    width_bucket(coalesce(lb.t_us, eb.t_us) - 1, p.day_starts) - 1 as day_last,
    (coalesce(lb.curves, eb.curves))[p.variant + 1] as h_last,
    p.remove_vi is not null as removed,
    coalesce(lb.bi, vb.bi) as seen_bi,
    gb.bi as gone_bi
from planned as p
join retail_sim.store_breaks as sb on sb.store_id = p.store_id and sb.bi = 1
join retail_sim.store_breaks as eb on eb.store_id = p.store_id and eb.bi = p.last_bi
join retail_sim.store_breaks as vb on vb.store_id = p.store_id and vb.vi = p.published_vi
left join retail_sim.store_breaks as fb on fb.store_id = p.store_id and fb.vi = p.intro_vi
left join retail_sim.store_breaks as lb on lb.store_id = p.store_id and lb.vi = p.remove_vi
left join retail_sim.store_breaks as gb on gb.store_id = p.store_id and gb.vi = p.remove_vi + 1;

-- Statistics of the join and filter columns only (those of the big arrays cost seconds).
analyze retail_sim.store_days (store_id, day);
analyze retail_sim.store_breaks (store_id, bi, vi, kind, t_us, pub_us);
analyze retail_sim.day_breaks (store_id, day);
analyze retail_sim.clocks, retail_sim.store_window, retail_sim.sp_life;
