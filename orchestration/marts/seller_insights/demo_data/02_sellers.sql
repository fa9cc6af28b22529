-- Sellers and what drives their demand: open weekdays and their factors, pickup windows, the
-- kinds of bundle each posts and their categories.

-- step: sellers
-- A seller's type and city by weight; its parameters (simulation.py says what each means).
-- start_ts: its first pickup window; most sellers were there before the history starts,
-- new ones start during it or a few days after the anchor.
create unlogged table seller_insights_sim.sellers as
with s as (
    select g as seller_id, seller_insights_sim.entity_key(g, 1, %(seed)s) as key
    from generate_series(1, %(n_sellers)s) as g
)
select
    s.seller_id,
    s.key,
    t.type_no,
    c.city_no,
    (%(name_words)s::text[])[1 + floor(seller_insights_sim.rnd(s.key, 3)
                                        * cardinality(%(name_words)s::text[]))::integer]
        || ' ' || t.label || ' ' || c.city as name,
    round((c.latitude + 0.08 * (seller_insights_sim.rnd(s.key, 4) - 0.5))::numeric, 6) as latitude,
    round((c.longitude + 0.12 * (seller_insights_sim.rnd(s.key, 5) - 0.5))::numeric, 6) as longitude,
    c.zone as time_zone,
    case when seller_insights_sim.rnd(s.key, 6) < %(new_seller_share)s
         then seller_insights_sim.between_ts(%(start_ts)s::timestamptz + interval '7 days',
                                             %(ends_at)s::timestamptz + interval '3 days',
                                             seller_insights_sim.rnd(s.key, 7))
         else %(start_ts)s::timestamptz
    end as start_ts,
    exp(%(base_log_median)s + %(base_sigma)s
        * seller_insights_sim.normal(seller_insights_sim.rnd(s.key, 8), seller_insights_sim.rnd(s.key, 9)))
        as base_demand,
    round(seller_insights_sim.between(t.price_lo, t.price_hi, seller_insights_sim.rnd(s.key, 10))::numeric * 2)
        / 2 as ref_price,
    seller_insights_sim.between(%(elasticity_lo)s, %(elasticity_hi)s, seller_insights_sim.rnd(s.key, 11))
        as elasticity,
    seller_insights_sim.between(%(trend_lo)s, %(trend_hi)s, seller_insights_sim.rnd(s.key, 12))
        as trend_per_week,
    seller_insights_sim.between(%(posting_lo)s, %(posting_hi)s, seller_insights_sim.rnd(s.key, 13))
        as posting,
    -- Bundles are posted between post_min_days and 14 days before their window.
    1 + 6 * seller_insights_sim.rnd(s.key, 14) as post_min_days,
    seller_insights_sim.between(%(lead_shape_lo)s, %(lead_shape_hi)s, seller_insights_sim.rnd(s.key, 15))
        as lead_shape,
    %(no_show_base)s + %(no_show_spread)s * (seller_insights_sim.rnd(s.key, 16) - 0.5) as no_show_a,
    width_bucket(seller_insights_sim.rnd(s.key, 17), %(window_count_starts)s::double precision[])
        as n_windows,
    seller_insights_sim.rnd(s.key, 18) as created_u
from s
join seller_insights_sim.types as t
    on t.type_no = width_bucket(seller_insights_sim.rnd(s.key, 1), %(type_starts)s::double precision[])
join seller_insights_sim.cities as c
    on c.city_no = width_bucket(seller_insights_sim.rnd(s.key, 2), %(city_starts)s::double precision[]);
create unique index on seller_insights_sim.sellers (seller_id);

-- step: weekdays
-- Per seller and local ISO weekday (1 = Monday): open or not, and the demand multiplier.
create unlogged table seller_insights_sim.seller_weekdays as
select
    s.seller_id,
    d.dow::integer as dow,
    seller_insights_sim.rnd(s.key, 100 + d.dow::integer) < d.open_share as open,
    d.profile * (0.85 + 0.33 * seller_insights_sim.rnd(s.key, 110 + d.dow::integer)) as mult
from seller_insights_sim.sellers as s
cross join unnest(%(weekday_profile)s::double precision[], %(open_share)s::double precision[])
    with ordinality as d (profile, open_share, dow);
create unique index on seller_insights_sim.seller_weekdays (seller_id, dow);

-- step: windows
-- Each seller's 1 to 3 daily windows: distinct start times of its type's, in random order;
-- window_no 1 to 3; 30 to 120 minutes long; the demand multiplier of the start hour times
-- the seller's own (0.8 to 1.25).
create unlogged table seller_insights_sim.seller_windows as
select
    w.seller_id,
    w.window_no::integer as window_no,
    w.start_time,
    (%(window_minutes)s::integer[])[1 + floor(seller_insights_sim.rnd(w.key, 130 + w.window_no::integer)
                                               * cardinality(%(window_minutes)s::integer[]))::integer]
        as minutes,
    seller_insights_sim.hour_mult(extract(hour from w.start_time)::integer)
        * (0.8 + 0.45 * seller_insights_sim.rnd(w.key, 140 + w.window_no::integer)) as mult,
    extract(hour from w.start_time) >= 19 as late,
    extract(hour from w.start_time) < 10 as early
from (
    select
        s.seller_id,
        s.key,
        s.n_windows,
        tw.start_time,
        row_number() over (partition by s.seller_id
                           order by seller_insights_sim.rnd(s.key, 120 + tw.ord), tw.ord) as window_no
    from seller_insights_sim.sellers as s
    join seller_insights_sim.type_windows as tw using (type_no)
) as w
where w.window_no <= w.n_windows;

-- step: kinds
-- Each seller's KINDS kinds of bundle: how many categories (0 to 3), a price factor (0.8 to
-- 1.3 of the seller's reference price).
create unlogged table seller_insights_sim.kinds as
select
    s.seller_id,
    k as kind_no,
    width_bucket(seller_insights_sim.rnd(s.key, 200 + k), %(category_count_starts)s::double precision[]) - 1
        as n_categories,
    0.8 + 0.5 * seller_insights_sim.rnd(s.key, 220 + k) as price_factor
from seller_insights_sim.sellers as s
cross join generate_series(1, %(kinds)s) as k;

-- step: kind categories
-- A kind's categories: drawn from the seller's mix (its type's weights times the seller's own
-- factor, 0.5 to 1.5) without replacement (exponential race). The seller's taste for a
-- category (0.8 to 1.25) multiplies the category's demand multiplier.
create unlogged table seller_insights_sim.kind_categories as
select x.seller_id, x.kind_no, x.category_id, x.mult
from (
    select
        k.seller_id,
        k.kind_no,
        k.n_categories,
        tc.category_id,
        c.mult * (0.8 + 0.45 * seller_insights_sim.rnd(s.key, 300 + tc.category_id)) as mult,
        row_number() over (
            partition by k.seller_id, k.kind_no
            order by -ln(1.0 - seller_insights_sim.rnd(s.key, 1000 * k.kind_no + tc.category_id))
                     / (tc.weight * (0.5 + seller_insights_sim.rnd(s.key, 320 + tc.category_id))),
                     tc.category_id) as pick
    from seller_insights_sim.kinds as k
    join seller_insights_sim.sellers as s using (seller_id)
    join seller_insights_sim.type_categories as tc using (type_no)
    join seller_insights_sim.categories as c using (category_id)
) as x
where x.pick <= x.n_categories;

-- step: kind effects
-- A kind's category effect: the geometric mean of its categories' multipliers (1 for none).
create unlogged table seller_insights_sim.kind_effects as
select k.seller_id, k.kind_no, k.price_factor, coalesce(exp(avg(ln(kc.mult))), 1.0) as category_effect
from seller_insights_sim.kinds as k
left join seller_insights_sim.kind_categories as kc using (seller_id, kind_no)
group by k.seller_id, k.kind_no, k.price_factor;
create unique index on seller_insights_sim.kind_effects (seller_id, kind_no);
