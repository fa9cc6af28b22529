-- Offers: the first max_offers of each request's would-be offers, their terms, the winner and
-- every offer's status at the anchor; then each request's offers counted.

-- step: offers table
create unlogged table marketplace_kpis_sim.offers (
    offer_no            bigint not null,
    request_no          bigint not null,
    id                  uuid not null,
    solicitud_id        uuid not null,
    asesor_id           uuid not null,
    monto_total         numeric(14, 2) not null,
    tiempo_entrega_dias smallint not null,
    garantia_meses      smallint not null,
    es_ganadora         boolean not null,
    estado              text not null,
    created_at          timestamptz not null,
    updated_at          timestamptz not null,
    -- The request's status, and when the client decided (accepted offers' deliveries start then).
    request_status      text not null,
    closes_at           timestamptz not null
);

-- step: offers (parallel)
-- Run once per part by as many sessions (request_no modulo parts); offer_no is the
-- notification's number. Amount: the part's price times the advisor's price level and 0.8 to
-- 1.2, in whole hundreds of pesos, from 50 thousand to 3 million. Delivery: same day 15 in a
-- hundred, 1 to 5 days 70, 6 to 15 days 15. Warranty: 0, 1, 2, 3, 6 or 12 months. The winner
-- has the best score (price against the part's, delivery, warranty, the advisor's trust
-- score and some noise). Statuses: ENVIADA while the request is ABIERTA; once evaluated the
-- winner is GANADORA (EVALUADA), ACEPTADA or RECHAZADA like its request and the others
-- NO_SELECCIONADA; every offer of an EXPIRADA request is EXPIRADA (its winner keeps
-- es_ganadora).
insert into marketplace_kpis_sim.offers
select
    w.offer_no,
    w.request_no,
    marketplace_kpis_sim.uid(%(seed)s, 'oferta', w.offer_no),
    w.solicitud_id,
    w.asesor_id,
    w.monto_total,
    w.tiempo_entrega_dias,
    w.garantia_meses,
    w.status <> 'ABIERTA' and w.score_rank = 1,
    case when w.status = 'ABIERTA' then 'ENVIADA'
         when w.status = 'EXPIRADA' then 'EXPIRADA'
         when w.score_rank > 1 then 'NO_SELECCIONADA'
         when w.status = 'EVALUADA' then 'GANADORA'
         else w.status end,
    w.offer_at,
    case when w.status = 'ABIERTA' then w.offer_at
         when w.status = 'EVALUADA' then w.eval_at
         when w.status = 'EXPIRADA' then w.closes_at
         when w.score_rank > 1 then w.eval_at
         else w.closes_at end,
    w.status,
    w.closes_at
from (
    select
        t.*,
        row_number() over (partition by t.request_no order by t.score, t.offer_no) as score_rank
    from (
        select
            o.*,
            o.monto_total / o.part_price::numeric
                * (1 + 0.04 * o.tiempo_entrega_dias) * (1 - 0.015 * o.garantia_meses)
                * (1.3 - 0.1 * o.confianza) * (0.9 + 0.2 * marketplace_kpis_sim.rnd(o.key, 5))::numeric
                as score
        from (
            select
                c.offer_no,
                c.request_no,
                c.key,
                c.solicitud_id,
                c.asesor_id,
                c.offer_at,
                r.part_price,
                r.eval_at,
                r.closes_at,
                r.status,
                a.confianza,
                least(3000000, greatest(50000,
                    100 * round(r.part_price * a.price_level
                                * (0.8 + 0.4 * marketplace_kpis_sim.rnd(c.key, 1)) / 100)))::numeric(14, 2)
                    as monto_total,
                case when marketplace_kpis_sim.rnd(c.key, 2) < 0.15 then 0
                     when marketplace_kpis_sim.rnd(c.key, 2) < 0.85
                         then 1 + floor(5 * marketplace_kpis_sim.rnd(c.key, 3))
                     else 6 + floor(10 * marketplace_kpis_sim.rnd(c.key, 3))
                end::smallint as tiempo_entrega_dias,
                ('{0,0,1,1,2,3,3,3,3,3,3,6,6,6,6,6,6,12,12,12}'::smallint[])
                    [1 + floor(20 * marketplace_kpis_sim.rnd(c.key, 4))::integer] as garantia_meses
            from (
                select
                    n.notification_no as offer_no,
                    n.request_no,
                    n.advisor_no,
                    hashint8extended(n.notification_no, %(seed)s + 1) as key,
                    n.solicitud_id,
                    n.asesor_id,
                    n.offer_at,
                    row_number() over (partition by n.request_no order by n.offer_at, n.notification_no)
                        as arrival
                from marketplace_kpis_sim.notifications as n
                where n.offer_at is not null and mod(n.request_no, %(parts)s) = %(part)s
            ) as c
            join marketplace_kpis_sim.requests as r on r.request_no = c.request_no
            join marketplace_kpis_sim.advisors as a on a.advisor_no = c.advisor_no
            where c.arrival <= %(max_offers)s
            offset 0
        ) as o
    ) as t
) as w;

-- step: request offers
-- Each request's offers: how many and the last one's time.
create unlogged table marketplace_kpis_sim.request_offers as
select request_no, count(*)::integer as offers, max(created_at) as last_offer_at
from marketplace_kpis_sim.offers
group by request_no;
create unique index on marketplace_kpis_sim.request_offers (request_no);
