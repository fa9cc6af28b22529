-- Deliveries of accepted offers: a first attempt, and for most failed ones a retry.

-- step: deliveries
-- The first attempt starts 10 minutes to 4 hours after the client accepted and ends after the
-- promised days (half to 1.3 times them) and 2 to 10 hours; it fails one time in eight. Seven
-- failed attempts in ten are retried 2 to 48 hours later, taking 4 to 72 hours, failing one
-- time in ten. At the anchor: an attempt not started yet has no row, one not ended is
-- EN_CURSO with no fecha_entrega. delivery_no is offer_no * 2 + attempt - 1.
create unlogged table marketplace_kpis_sim.deliveries as
with first_attempt as (
    select
        o.offer_no,
        o.id as oferta_id,
        hashint8extended(o.offer_no, %(seed)s + 2) as key,
        date_trunc('second', o.closes_at
                   + (600 + 13800 * marketplace_kpis_sim.rnd(hashint8extended(o.offer_no, %(seed)s + 2), 1))
                     * interval '1 second') as created_at,
        o.tiempo_entrega_dias
    from marketplace_kpis_sim.offers as o
    where o.estado = 'ACEPTADA'
),
attempts as (
    select
        f.*,
        date_trunc('second', f.created_at
                   + (f.tiempo_entrega_dias * 86400 * (0.5 + 0.8 * marketplace_kpis_sim.rnd(f.key, 2))
                      + 7200 + 28800 * marketplace_kpis_sim.rnd(f.key, 3)) * interval '1 second') as ended_at,
        marketplace_kpis_sim.rnd(f.key, 4) < 0.125 as failed
    from first_attempt as f
),
retries as (
    select
        a.*,
        case when a.failed and marketplace_kpis_sim.rnd(a.key, 5) < 0.7
             then date_trunc('second', a.ended_at
                             + (7200 + 165600 * marketplace_kpis_sim.rnd(a.key, 6)) * interval '1 second')
        end as retry_at
    from attempts as a
),
both_attempts as (
    select offer_no * 2 as delivery_no, oferta_id, created_at, ended_at, failed
    from retries
    union all
    select
        offer_no * 2 + 1,
        oferta_id,
        retry_at,
        date_trunc('second', retry_at + (14400 + 244800 * marketplace_kpis_sim.rnd(key, 7)) * interval '1 second'),
        marketplace_kpis_sim.rnd(key, 8) < 0.1
    from retries
    where retry_at is not null
)
select
    b.delivery_no,
    marketplace_kpis_sim.uid(%(seed)s, 'entrega', b.delivery_no) as id,
    b.oferta_id,
    case when b.ended_at >= %(ends_at)s::timestamptz then 'EN_CURSO'
         when b.failed then 'FALLIDA'
         else 'EXITOSA' end as estado,
    case when b.ended_at < %(ends_at)s::timestamptz then b.ended_at end as fecha_entrega,
    b.created_at
from both_attempts as b
where b.created_at < %(ends_at)s::timestamptz;
