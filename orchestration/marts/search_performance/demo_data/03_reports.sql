-- The weeks, the market's totals per search query and week, and the reports (one per ASIN and
-- week it sold in).

-- step: weeks
-- Amazon's reporting weeks: Sunday to Saturday, the last one ending before the anchor's date.
-- Season: the niche's own peak (a bell some six weeks wide around peak_doy) times the
-- holiday rush (searches up 30 in a hundred from Black Friday to Christmas, every niche).
create unlogged table search_performance_sim.weeks as
select
    w.week_no,
    w.start_date,
    w.start_date + 6 as end_date,
    n.niche_id,
    (1.0 + n.amplitude * exp(-power(least(abs(w.mid_doy - n.peak_doy), 365 - abs(w.mid_doy - n.peak_doy))
                                     / 40.0, 2)))
        * case when to_char(w.start_date + 3, 'MMDD') between '1120' and '1220' then 1.3 else 1.0 end
        as season
from (
    select
        g as week_no,
        %(first_start)s::date + 7 * g as start_date,
        extract(doy from %(first_start)s::date + 7 * g + 3)::double precision as mid_doy
    from generate_series(0, %(n_weeks)s - 1) as g
) as w
cross join search_performance_sim.niches as n;

-- step: market
-- The market's totals per query and week, the same for every ASIN shown on that query that
-- week: searches (the season and a weekly wobble of 15 in a hundred either way), impressions,
-- clicks, cart adds and purchases, each at most the step before it.
create unlogged table search_performance_sim.market as
select
    query_id,
    week_no,
    volume,
    impressions,
    clicks,
    cart_adds,
    least(cart_adds, round(cart_adds * purchases_per_cart_add
                           * (0.85 + 0.3 * search_performance_sim.rnd(key, 5))))::bigint as purchases
from (
    select
        c.*,
        least(clicks, round(clicks * cart_adds_per_click
                            * (0.85 + 0.3 * search_performance_sim.rnd(key, 4))))::bigint as cart_adds
    from (
        select
            v.*,
            least(impressions, round(volume * clicks_per_search
                                     * (0.9 + 0.2 * search_performance_sim.rnd(key, 3))))::bigint as clicks
        from (
            select
                q.query_id,
                w.week_no,
                hashint4extended(w.week_no, q.key) as key,
                greatest(1, round(q.base_volume * w.season
                                  * (0.85 + 0.3 * search_performance_sim.rnd(hashint4extended(w.week_no, q.key), 1))))::bigint
                    as volume,
                greatest(1, round(q.base_volume * w.season
                                  * (0.85 + 0.3 * search_performance_sim.rnd(hashint4extended(w.week_no, q.key), 1)))
                            * q.impressions_per_search
                            * (0.9 + 0.2 * search_performance_sim.rnd(hashint4extended(w.week_no, q.key), 2)))::bigint
                    as impressions,
                q.clicks_per_search,
                q.cart_adds_per_click,
                q.purchases_per_cart_add
            from search_performance_sim.queries as q
            join search_performance_sim.weeks as w on w.niche_id = q.niche_id
        ) as v
    ) as c
) as a;
create unique index on search_performance_sim.market (query_id, week_no);

-- step: reports
-- One report per ASIN and week from its first to its last week. A launched ASIN ramps up over
-- its first weeks, an ASIN about to stop fades over its last ones (fade). n_queries: how many
-- search queries the report shows (min_queries to max_queries; broad ASINs show more).
-- Loading: a report is first loaded 2 to 4 days after its week ends (the last week's, if that
-- is after the anchor, between the week's end and the anchor); 2 in a hundred were reloaded
-- (corrected) 1 to 20 days later, never after the anchor. Ids follow (week, ASIN) like a
-- weekly loader's; first_row_id + score is the id of each of its search query rows.
create unlogged table search_performance_sim.reports as
with r as (
    select
        a.asin_no,
        a.asin,
        w.week_no,
        w.start_date,
        w.end_date,
        search_performance_sim.entity_key(a.asin_no::bigint * 1024 + w.week_no, 9, %(seed)s) as key,
        case
            when a.life = 'launch' then least(1.0, 0.3 + 0.2 * (w.week_no - a.first_week))
            when a.life = 'stop' then least(1.0, 0.4 + 0.15 * (a.last_week - w.week_no))
            else 1.0
        end as fade,
        a.breadth
    from search_performance_sim.asins as a
    join search_performance_sim.weeks as w
        on w.niche_id = a.niche_id and w.week_no between a.first_week and a.last_week
),
loaded as (
    select
        r.*,
        least(%(max_queries)s, greatest(%(min_queries)s, %(min_queries)s + round(
            (%(max_queries)s - %(min_queries)s)
            * power(0.6 * r.breadth + 0.4 * search_performance_sim.rnd(r.key, 1), 2.5))))::integer
            as n_queries,
        case
            when (r.end_date + 2)::timestamp at time zone 'UTC'
                 + 2 * search_performance_sim.rnd(r.key, 2) * interval '1 day' <= %(ends_at)s::timestamptz
                then date_trunc('second', (r.end_date + 2)::timestamp at time zone 'UTC'
                                          + 2 * search_performance_sim.rnd(r.key, 2) * interval '1 day')
            else search_performance_sim.between_ts((r.end_date + 1)::timestamp at time zone 'UTC',
                                                   %(ends_at)s::timestamptz,
                                                   search_performance_sim.rnd(r.key, 2))
        end as created_at
    from r
),
numbered as (
    select
        l.*,
        row_number() over (order by l.week_no, l.asin_no) as report_id
    from loaded as l
)
select
    n.report_id,
    n.asin_no,
    n.asin,
    n.week_no,
    n.start_date,
    n.end_date,
    n.key,
    n.fade,
    n.n_queries,
    coalesce(sum(n.n_queries) over (order by n.report_id rows between unbounded preceding and 1 preceding), 0)
        ::bigint as first_row_id,
    n.created_at,
    case
        when search_performance_sim.rnd(n.key, 3) >= 0.02
             or n.created_at + interval '1 hour' >= %(ends_at)s::timestamptz then n.created_at
        when n.created_at + (1 + 19 * search_performance_sim.rnd(n.key, 4)) * interval '1 day'
             <= %(ends_at)s::timestamptz
            then date_trunc('second', n.created_at
                                      + (1 + 19 * search_performance_sim.rnd(n.key, 4)) * interval '1 day')
        else search_performance_sim.between_ts(n.created_at + interval '1 minute', %(ends_at)s::timestamptz,
                                               search_performance_sim.rnd(n.key, 4))
    end as updated_at
from numbered as n;
create unique index on search_performance_sim.reports (report_id);
