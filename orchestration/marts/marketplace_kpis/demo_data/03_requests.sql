-- Requests: when they arrive (Bogotá days and hours), who posts them, for what vehicle and
-- part, which advisors are notified, how long they collect offers and what the client decides.

-- step: days
-- Every Bogotá day from the start's to the anchor's: the expected requests (the rate, the
-- weekday's weight, the growth over the period and a daily wobble of 15 in a hundred either
-- way) and whether it is its month's last day.
create unlogged table marketplace_kpis_sim.days as
with d as (
    select
        g::date as day,
        extract(isodow from g)::integer as isodow,
        (g::date - %(first_local_day)s::date)::double precision / greatest(1, %(days)s) as progress,
        g::date = (date_trunc('month', g) + interval '1 month' - interval '1 day')::date as month_end,
        marketplace_kpis_sim.entity_key(g::date - date '2000-01-01', 4, %(seed)s) as key
    from generate_series(%(first_local_day)s::date, %(last_local_day)s::date, interval '1 day') as g
)
select
    d.*,
    %(requests_per_day)s::double precision
        * (%(weekday_weight)s::double precision[])[d.isodow]
        * (%(growth_start)s + (%(growth_end)s - %(growth_start)s) * d.progress)
        * (0.85 + 0.3 * marketplace_kpis_sim.rnd(d.key, 1)) as expected
from d;

-- step: arrivals
-- A day's requests: the expected number rounded up or down at random, each at a Bogotá hour
-- drawn from the hour profile and a second within it; plus one to three between 23:00 and
-- 24:00 on a month's last day. Only those from the start to the anchor are kept. request_no
-- follows created_at. The client: a few post many requests, most few.
create unlogged table marketplace_kpis_sim.arrivals as
with arrivals as (
    select
        d.day,
        k,
        hashint4extended(k, d.key) as key,
        width_bucket(marketplace_kpis_sim.rnd(hashint4extended(k, d.key), 1),
                     %(hour_starts)s::double precision[]) - 1 as hour
    from marketplace_kpis_sim.days as d
    cross join generate_series(1, floor(d.expected + marketplace_kpis_sim.rnd(d.key, 2))::integer) as k
    union all
    select d.day, 1000 + k, hashint4extended(1000 + k, d.key), 23
    from marketplace_kpis_sim.days as d
    cross join generate_series(1, 1 + floor(3 * marketplace_kpis_sim.rnd(d.key, 3))::integer) as k
    where d.month_end
),
timed as (
    select
        a.*,
        (a.day + (a.hour * 3600 + floor(3600 * marketplace_kpis_sim.rnd(a.key, 2))) * interval '1 second')
            at time zone %(time_zone)s as created_at
    from arrivals as a
)
select
    row_number() over (order by t.created_at, t.day, t.k) as request_no,
    t.created_at,
    t.key,
    1 + floor(%(n_clients)s * power(marketplace_kpis_sim.rnd(t.key, 3), 1.5))::integer as client_no
from timed as t
where t.created_at >= %(start_ts)s::timestamptz and t.created_at < %(ends_at)s::timestamptz;
analyze marketplace_kpis_sim.arrivals;

-- step: requests
-- Each request's city (the client's nine times in ten); the brand (by popularity), line and
-- year; a rare part (harder to find: few advisors answer); the part's price (50 thousand to
-- 1.8 million pesos, cheap ones more often); the offer window (2 to 24 hours); the advisors
-- notified (notified_min to notified_max of the city's, at most all of them: positions start,
-- start + stride, ... of the city's list, all different) and, one time in twelve, one advisor
-- of another city; and what the client will do with the winner (accept 63, reject 23, let
-- expire 14 in a hundred), and when.
create unlogged table marketplace_kpis_sim.requests as
with placed as (
    select
        n.*,
        case when marketplace_kpis_sim.rnd(n.key, 4) < 0.9 then cl.city_no
             else width_bucket(marketplace_kpis_sim.rnd(n.key, 5), %(city_starts)s::double precision[])
        end as city_no,
        width_bucket(marketplace_kpis_sim.rnd(n.key, 6), %(brand_starts)s::double precision[]) as brand_no,
        extract(year from %(ends_at)s::timestamptz at time zone %(time_zone)s)::integer
            - floor(22 * power(marketplace_kpis_sim.rnd(n.key, 8), 1.4))::integer as anio
    from marketplace_kpis_sim.arrivals as n
    join marketplace_kpis_sim.clients as cl using (client_no)
),
placed_line as (
    select p.*, 1 + floor(b.n_lines * marketplace_kpis_sim.rnd(p.key, 7))::integer as line_no
    from placed as p
    join marketplace_kpis_sim.brands as b using (brand_no)
),
vehicle as (
    select
        p.*,
        l.brand,
        l.line,
        marketplace_kpis_sim.rnd(p.key, 9) < 0.03
            or (p.anio < extract(year from %(ends_at)s::timestamptz) - 15
                and marketplace_kpis_sim.rnd(p.key, 9) < 0.15) as rare,
        c.city,
        c.department,
        c.advisors as city_advisors,
        c.first_advisor,
        least(c.advisors, %(notified_min)s
              + floor((%(notified_max)s - %(notified_min)s + 1) * marketplace_kpis_sim.rnd(p.key, 12))::integer)
            as notified,
        floor(c.advisors * marketplace_kpis_sim.rnd(p.key, 13))::integer as start,
        1 + floor((c.advisors - 1) * marketplace_kpis_sim.rnd(p.key, 14))::integer as stride0
    from placed_line as p
    join marketplace_kpis_sim.cities as c using (city_no)
    join marketplace_kpis_sim.lines as l using (brand_no, line_no)
),
timeline as (
    select
        v.*,
        date_trunc('second', v.created_at
                   + (2 + 22 * power(marketplace_kpis_sim.rnd(v.key, 10), 1.5)) * interval '1 hour') as eval_at,
        case when marketplace_kpis_sim.rnd(v.key, 17) < 0.63 then 'ACEPTADA'
             when marketplace_kpis_sim.rnd(v.key, 17) < 0.86 then 'RECHAZADA'
             else 'EXPIRADA'
        end as outcome,
        (300 + power(marketplace_kpis_sim.rnd(v.key, 18), 2) * (%(decision_hours)s * 3600 - 600))
            * interval '1 second' as decision_delay
    from vehicle as v
)
select
    t.request_no,
    t.key,
    marketplace_kpis_sim.uid(%(seed)s, 'solicitud', t.request_no) as id,
    t.client_no,
    t.city_no,
    t.city,
    t.department,
    t.brand,
    t.line,
    t.anio,
    t.rare,
    t.created_at,
    50000 * power(36.0, power(marketplace_kpis_sim.rnd(t.key, 11), 1.3)) as part_price,
    t.first_advisor,
    t.city_advisors,
    t.notified,
    t.start,
    -- Positions start + j * stride (mod the city's advisors), j < notified, are all different
    -- when the stride's cycle is at least that long; else stride 1.
    case when t.city_advisors > 1
              and t.city_advisors / gcd(t.stride0, t.city_advisors) >= t.notified
         then t.stride0 else 1 end as stride,
    case when marketplace_kpis_sim.rnd(t.key, 15) < 1.0 / 12
         then 1 + floor((select sum(advisors) from marketplace_kpis_sim.cities)
                        * marketplace_kpis_sim.rnd(t.key, 16))::integer
    end as outsider,
    t.eval_at,
    t.outcome,
    -- When the request closes if it has offers: the client's decision, or the expiry.
    case when t.outcome = 'EXPIRADA' then t.eval_at + %(decision_hours)s * interval '1 hour'
         else date_trunc('second', t.eval_at + t.decision_delay) end as closes_at,
    -- Its status at the anchor if it has offers (CERRADA_SIN_OFERTAS if it has none and the
    -- window closed).
    case when t.eval_at >= %(ends_at)s::timestamptz then 'ABIERTA'
         when (case when t.outcome = 'EXPIRADA' then t.eval_at + %(decision_hours)s * interval '1 hour'
                    else date_trunc('second', t.eval_at + t.decision_delay) end)
              >= %(ends_at)s::timestamptz then 'EVALUADA'
         else t.outcome
    end as status
from timeline as t;
create unique index on marketplace_kpis_sim.requests (request_no);
