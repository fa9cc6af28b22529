-- The search query rows of every report: the first n_queries candidates of its ASIN, with
-- the market's totals of the query and week and the ASIN's counts.
--
-- An ASIN's weight on a query and week: its strength times the query's relevance for it (by
-- rank), its fade, and a weekly wobble; its clicks, cart adds and purchases weigh that times
-- its own factors (so it can do better or worse than its impression share further down the
-- funnel). On each query and week the weights of all simulated ASINs are scaled down, when
-- needed, to sum to at most 0.8 (the simulated ASINs hold at most 80 in a hundred of a
-- market), then count = the total times the share, rounded up or down at random (so small
-- shares still show some counts). The funnel holds: impressions >= clicks >= cart adds >=
-- purchases for the ASIN as for the market, and every ASIN count is at most its total.
-- The median purchase price: the ASIN's list price, 10 in a hundred either way; NULL without
-- purchases, and for 3 in a hundred rows with purchases (Amazon omits it now and then).

-- step: rows table
create unlogged table search_performance_sim.query_rows (
    id            bigint not null,
    report_id     bigint not null,
    week_no       integer not null,
    query_id      integer not null,
    score         integer not null,
    key           bigint not null,
    list_price    double precision not null,
    w_impressions double precision not null,
    w_clicks      double precision not null,
    w_cart_adds   double precision not null,
    w_purchases   double precision not null
);

-- step: rows (parallel)
-- Run once per part by as many sessions (report_id modulo parts); `offset 0` fences make each
-- hash computed once per row.
insert into search_performance_sim.query_rows
select
    x.id,
    x.report_id,
    x.week_no,
    x.query_id,
    x.score,
    x.key,
    x.list_price,
    x.w_impressions,
    x.w_impressions * x.click_factor * (0.85 + 0.3 * search_performance_sim.rnd(x.key, 2)),
    x.w_impressions * x.click_factor * (0.85 + 0.3 * search_performance_sim.rnd(x.key, 2))
        * x.cart_add_factor * (0.85 + 0.3 * search_performance_sim.rnd(x.key, 3)),
    x.w_impressions * x.click_factor * (0.85 + 0.3 * search_performance_sim.rnd(x.key, 2))
        * x.cart_add_factor * (0.85 + 0.3 * search_performance_sim.rnd(x.key, 3))
        * x.purchase_factor * (0.85 + 0.3 * search_performance_sim.rnd(x.key, 4))
from (
    select
        k.*,
        k.strength * k.relevance * k.fade * (0.75 + 0.5 * search_performance_sim.rnd(k.key, 1))
            as w_impressions
    from (
        select
            r.first_row_id + c.j as id,
            r.report_id,
            r.week_no,
            c.query_id,
            c.j as score,
            hashint8extended(r.first_row_id + c.j, %(seed)s) as key,
            a.list_price,
            a.strength,
            c.relevance,
            r.fade,
            a.click_factor,
            a.cart_add_factor,
            a.purchase_factor
        from search_performance_sim.reports as r
        join search_performance_sim.candidates as c on c.asin_no = r.asin_no and c.j <= r.n_queries
        join search_performance_sim.asins as a on a.asin_no = r.asin_no
        where mod(r.report_id, %(parts)s) = %(part)s
        offset 0
    ) as k
    offset 0
) as x;

-- step: shares
-- What the weights of each query and week are divided by: 1, or their sum over 0.8.
create unlogged table search_performance_sim.share_divisors as
select
    query_id,
    week_no,
    greatest(1.0, sum(w_impressions) / 0.8) as impressions,
    greatest(1.0, sum(w_clicks) / 0.8) as clicks,
    greatest(1.0, sum(w_cart_adds) / 0.8) as cart_adds,
    greatest(1.0, sum(w_purchases) / 0.8) as purchases
from search_performance_sim.query_rows
group by query_id, week_no;
create unique index on search_performance_sim.share_divisors (query_id, week_no);

-- step: output table
create unlogged table search_performance_sim.query_out (
    id                           bigint not null,
    asin_performance_id          bigint not null,
    search_query                 text not null,
    search_query_score           integer not null,
    search_query_volume          bigint not null,
    total_query_impression_count bigint not null,
    asin_impression_count        bigint not null,
    total_click_count            bigint not null,
    asin_click_count             bigint not null,
    total_cart_add_count         bigint not null,
    asin_cart_add_count          bigint not null,
    total_purchase_count         bigint not null,
    asin_purchase_count          bigint not null,
    asin_median_purchase_price   numeric(12, 2),
    created_at                   timestamptz not null,
    updated_at                   timestamptz not null
);

-- step: output (parallel)
insert into search_performance_sim.query_out
select
    z.id,
    z.report_id,
    z.search_query,
    z.score,
    z.volume,
    z.impressions,
    z.asin_impressions,
    z.clicks,
    least(z.asin_impressions, z.x_clicks),
    z.cart_adds,
    least(z.asin_impressions, z.x_clicks, z.x_cart_adds),
    z.purchases,
    least(z.asin_impressions, z.x_clicks, z.x_cart_adds, z.x_purchases),
    case
        when least(z.asin_impressions, z.x_clicks, z.x_cart_adds, z.x_purchases) > 0
             and search_performance_sim.rnd(z.key, 9) >= 0.03
            then round((z.list_price * (0.9 + 0.2 * search_performance_sim.rnd(z.key, 10)))::numeric, 2)
    end,
    z.created_at,
    z.updated_at
from (
    select
        q.id,
        q.report_id,
        q.score,
        q.key,
        q.list_price,
        qq.search_query,
        m.volume,
        m.impressions,
        m.clicks,
        m.cart_adds,
        m.purchases,
        r.created_at,
        r.updated_at,
        least(m.impressions, floor(m.impressions * q.w_impressions / s.impressions
                                   + search_performance_sim.rnd(q.key, 5)))::bigint as asin_impressions,
        least(m.clicks, floor(m.clicks * q.w_clicks / s.clicks
                              + search_performance_sim.rnd(q.key, 6)))::bigint as x_clicks,
        least(m.cart_adds, floor(m.cart_adds * q.w_cart_adds / s.cart_adds
                                 + search_performance_sim.rnd(q.key, 7)))::bigint as x_cart_adds,
        least(m.purchases, floor(m.purchases * q.w_purchases / s.purchases
                                 + search_performance_sim.rnd(q.key, 8)))::bigint as x_purchases
    from search_performance_sim.query_rows as q
    join search_performance_sim.share_divisors as s on s.query_id = q.query_id and s.week_no = q.week_no
    join search_performance_sim.market as m on m.query_id = q.query_id and m.week_no = q.week_no
    join search_performance_sim.queries as qq on qq.query_id = q.query_id
    join search_performance_sim.reports as r on r.report_id = q.report_id
    where mod(q.id, %(parts)s) = %(part)s
    offset 0
) as z;
