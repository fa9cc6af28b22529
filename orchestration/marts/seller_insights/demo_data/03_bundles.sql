-- Bundles: every open local day's windows of every seller in the period (the history before
-- the anchor and 14 days after it), POST_SHARE of them posted, each of one of the seller's
-- kinds; only those posted by the anchor exist. Their expected demand (the truth's model,
-- simulation.py), posted quantity and demand, drawn exactly from the Poisson law.

-- step: bundle candidates table
create unlogged table seller_insights_sim.bundle_base (
    bundle_id        bigint not null,
    key              bigint not null,
    seller_id        integer not null,
    window_no        integer not null,
    late             boolean not null,
    early            boolean not null,
    lead_shape       double precision not null,
    no_show_a        double precision not null,
    window_start     timestamptz not null,
    window_end       timestamptz not null,
    posted_at        timestamptz not null,
    price            numeric(8, 2) not null,
    kind_no          integer not null,
    expected_demand  double precision not null,
    total_qty        integer not null
);

-- step: bundle candidates (parallel)
-- Run once per part by as many sessions (sellers modulo parts). The `offset 0` fences make
-- Postgres compute each hash and zone conversion once per row.
insert into seller_insights_sim.bundle_base
select
    x.bundle_id, x.key, x.seller_id, x.window_no, x.late, x.early, x.lead_shape, x.no_show_a,
    x.window_start, x.window_end, x.posted_at, x.price, x.kind_no,
    least(%(max_demand)s::double precision, greatest(0.01, round(x.lambda::numeric, 2)::double precision))
        as expected_demand,
    greatest(1, round(x.lambda * x.posting * (0.8 + 0.45 * seller_insights_sim.rnd(x.key, 5))))::integer
        as total_qty
from (
    select
        b.*,
        b.base_demand * b.weekday_mult * b.window_mult * b.category_effect
            * power(b.price::double precision / b.ref_price::double precision, -b.elasticity)
            * exp(b.trend_per_week * extract(epoch from b.window_start - %(start_ts)s::timestamptz) / 604800.0)
            as lambda
    from (
        select
            c.*,
            date_trunc('minute', c.window_start
                       - (c.post_min_days + (14 - c.post_min_days) * seller_insights_sim.rnd(c.key, 4))
                         * interval '1 day') as posted_at,
            greatest(0.99, round(c.ref_price * (c.price_factor * (0.9 + 0.2 * seller_insights_sim.rnd(c.key, 3)))::numeric * 2) / 2 - 0.01)
                ::numeric(8, 2) as price
        from (
            select
                w.*,
                ke.kind_no,
                ke.price_factor,
                ke.category_effect
            from (
                select
                    s.seller_id * 100000::bigint + (d.day - %(first_day)s::date) * 4 + sw.window_no as bundle_id,
                    seller_insights_sim.entity_key(s.seller_id * 100000::bigint + (d.day - %(first_day)s::date) * 4 + sw.window_no, 2, %(seed)s)
                        as key,
                    s.seller_id,
                    s.time_zone,
                    s.base_demand,
                    s.ref_price,
                    s.elasticity,
                    s.trend_per_week,
                    s.posting,
                    s.post_min_days,
                    s.lead_shape,
                    s.no_show_a,
                    s.start_ts as seller_start,
                    sw.window_no,
                    sw.late,
                    sw.early,
                    sw.mult as window_mult,
                    wd.mult as weekday_mult,
                    (d.day + sw.start_time) at time zone s.time_zone as window_start,
                    (d.day + sw.start_time) at time zone s.time_zone + sw.minutes * interval '1 minute'
                        as window_end
                from seller_insights_sim.sellers as s
                join seller_insights_sim.seller_windows as sw using (seller_id)
                cross join generate_series(%(first_day)s::date, %(last_day)s::date, interval '1 day')
                    as g (d)
                cross join lateral (select g.d::date as day) as d
                join seller_insights_sim.seller_weekdays as wd
                    on wd.seller_id = s.seller_id and wd.dow = extract(isodow from d.day)::integer
                where wd.open and mod(s.seller_id, %(parts)s) = %(part)s
                offset 0
            ) as w
            join seller_insights_sim.kind_effects as ke
                on ke.seller_id = w.seller_id
               and ke.kind_no = 1 + floor(seller_insights_sim.rnd(w.key, 2) * %(kinds)s)::integer
            where w.window_start >= greatest(%(start_ts)s::timestamptz, w.seller_start)
              and w.window_start < %(end_future)s::timestamptz
              and seller_insights_sim.rnd(w.key, 1) < %(post_share)s
            offset 0
        ) as c
        offset 0
    ) as b
    where b.posted_at <= %(ends_at)s::timestamptz
    offset 0
) as x;

-- step: poisson table
create unlogged table seller_insights_sim.poisson (
    lam_c integer not null,
    cdf   double precision[] not null
);

-- step: poisson (parallel)
-- The Poisson CDF for every expected demand the load uses (in hundredths; each part those
-- modulo parts), from 0 units to 7 standard deviations plus 10 above the mean:
-- cdf[k + 1] = P(demand <= k). ln k! is a running sum of logarithms.
insert into seller_insights_sim.poisson
select p.lam_c, array_agg(p.cdf order by p.k)
from (
    select
        f.lam_c,
        f.k,
        sum(exp(f.k * ln(f.lam_c / 100.0::double precision) - f.lam_c / 100.0::double precision - f.ln_fact))
            over (partition by f.lam_c order by f.k rows unbounded preceding) as cdf
    from (
        select
            d.lam_c,
            g.k,
            sum(ln(greatest(g.k, 1)::double precision))
                over (partition by d.lam_c order by g.k rows unbounded preceding) as ln_fact
        from (select distinct round(expected_demand * 100)::integer as lam_c
              from seller_insights_sim.bundle_base) as d
        cross join generate_series(0, ceil(d.lam_c / 100.0 + 7 * sqrt(d.lam_c / 100.0) + 10)::integer) as g (k)
        where mod(d.lam_c, %(parts)s) = %(part)s
    ) as f
) as p
group by p.lam_c;

-- step: poisson index
create unique index on seller_insights_sim.poisson (lam_c);

-- step: bundles
-- demand = the inverse CDF of a uniform: the number of CDF values at or below it. The
-- reservations' lead times run from lead_min hours to lead_max hours (at most since posting;
-- posted_seconds before the window);
-- default_no_show: the no-show probability of a reservation at the seller's median lead.
create unlogged table seller_insights_sim.bundles as
select
    b.bundle_id,
    b.key,
    b.seller_id,
    b.window_no,
    b.window_start,
    b.window_end,
    b.total_qty,
    b.price,
    b.posted_at,
    b.kind_no,
    b.expected_demand,
    width_bucket(seller_insights_sim.rnd(b.key, 6), p.cdf) as demand,
    b.late,
    b.early,
    b.lead_shape,
    b.no_show_a,
    extract(epoch from b.window_end - b.window_start)::integer as window_seconds,
    extract(epoch from b.window_start - b.posted_at)::integer as posted_seconds,
    %(lead_min)s::double precision as lead_min,
    least(%(lead_max)s::double precision,
          extract(epoch from b.window_start - b.posted_at) / 3600.0) as lead_max,
    seller_insights_sim.logistic(
        b.no_show_a + %(no_show_late)s * b.late::integer + %(no_show_early)s * b.early::integer
        + %(no_show_lead)s * ln(%(lead_min)s * power(
            least(%(lead_max)s::double precision, extract(epoch from b.window_start - b.posted_at) / 3600.0)
                / %(lead_min)s, power(0.5, b.lead_shape)))) as default_no_show
from seller_insights_sim.bundle_base as b
join seller_insights_sim.poisson as p on p.lam_c = round(b.expected_demand * 100)::integer;
create unique index on seller_insights_sim.bundles (bundle_id);

-- step: bundle categories
create unlogged table seller_insights_sim.bundle_category_rows as
select b.bundle_id, kc.category_id
from seller_insights_sim.bundles as b
join seller_insights_sim.kind_categories as kc using (seller_id, kind_no);

-- step: bundles analyze
analyze seller_insights_sim.bundles;
