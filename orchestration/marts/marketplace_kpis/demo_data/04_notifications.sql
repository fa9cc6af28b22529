-- Notifications: each request's advisors (those in the data and not gone at the request's
-- time), when they were sent, whether and when the advisor responded, and when a responding
-- advisor would send an offer.

-- step: notifications table
create unlogged table marketplace_kpis_sim.notifications (
    notification_no bigint not null,
    request_no      bigint not null,
    advisor_no      integer not null,
    id              uuid not null,
    solicitud_id    uuid not null,
    asesor_id       uuid not null,
    canal           text not null,
    enviada_at      timestamptz not null,
    respondida_at   timestamptz,
    -- When the advisor's offer would be sent; NULL when there is none (no response, no offer
    -- meant, too late for the request's window, or after the anchor).
    offer_at        timestamptz
);

-- step: notifications (parallel)
-- Run once per part by as many sessions (request_no modulo parts). notification_no is
-- request_no * 16 + j: j < notified for the city's advisors, 15 for the one of another city.
-- Sent 0 to 2 minutes after the request plus 3 minutes per level below 5 (the best advisors
-- hear first), on WhatsApp (70 in a hundred), push (22) or e-mail. The advisor responds with
-- their response rate (times 0.3 for a rare part), after 30 seconds to 6 hours (short ones
-- more often) stretched by their slowness. Eight in ten who respond mean to offer, 1 to 21
-- minutes later; the offer counts if it comes before the request's window closes (and the
-- anchor). Nothing at or after the anchor: a notification not yet sent is left out, a
-- response not yet given is NULL.
insert into marketplace_kpis_sim.notifications
select
    x.notification_no,
    x.request_no,
    x.advisor_no,
    marketplace_kpis_sim.uid(%(seed)s, 'notificacion', x.notification_no),
    x.solicitud_id,
    x.asesor_id,
    case when marketplace_kpis_sim.rnd(x.key, 6) < 0.7 then 'WHATSAPP'
         when marketplace_kpis_sim.rnd(x.key, 6) < 0.92 then 'PUSH'
         else 'EMAIL' end,
    x.enviada_at,
    case when x.responded_at < %(ends_at)s::timestamptz then x.responded_at end,
    case when x.responded_at is not null
              and marketplace_kpis_sim.rnd(x.key, 5) < 0.8
              and x.responded_at + (60 + 1200 * marketplace_kpis_sim.rnd(x.key, 4)) * interval '1 second'
                  < least(x.eval_at, %(ends_at)s::timestamptz)
         then date_trunc('second', x.responded_at
                                   + (60 + 1200 * marketplace_kpis_sim.rnd(x.key, 4)) * interval '1 second')
    end
from (
    select
        s.*,
        case when marketplace_kpis_sim.rnd(s.key, 2) < s.response_rate * (case when s.rare then 0.3 else 1 end)
             then date_trunc('second', s.enviada_at
                                       + 30 * power(720.0, power(marketplace_kpis_sim.rnd(s.key, 3), 1.2))
                                         * s.slowness * interval '1 second')
        end as responded_at
    from (
        select
            p.*,
            date_trunc('second', p.created_at
                                 + ((5 - p.nivel) * 180 + 120 * marketplace_kpis_sim.rnd(p.key, 1))
                                   * interval '1 second') as enviada_at
        from (
            select
                n.request_no * 16 + n.j as notification_no,
                n.request_no,
                a.advisor_no,
                hashint8extended(n.request_no * 16 + n.j, %(seed)s) as key,
                n.solicitud_id,
                a.id as asesor_id,
                n.created_at,
                n.eval_at,
                n.rare,
                a.nivel,
                a.response_rate,
                a.slowness
            from (
                select r.request_no, j, r.id as solicitud_id, r.created_at, r.eval_at, r.rare,
                       r.first_advisor + 1 + mod(r.start + j * r.stride, r.city_advisors) as advisor_no
                from marketplace_kpis_sim.requests as r
                cross join generate_series(0, r.notified - 1) as j
                where mod(r.request_no, %(parts)s) = %(part)s
                union all
                select r.request_no, 15, r.id, r.created_at, r.eval_at, r.rare, r.outsider
                from marketplace_kpis_sim.requests as r
                where mod(r.request_no, %(parts)s) = %(part)s
                  and r.outsider is not null
                  and r.outsider not between r.first_advisor + 1 and r.first_advisor + r.city_advisors
            ) as n
            join marketplace_kpis_sim.advisors as a on a.advisor_no = n.advisor_no
            where a.created_at <= n.created_at
              and (a.left_at is null or a.left_at > n.created_at)
            offset 0
        ) as p
        offset 0
    ) as s
    where s.enviada_at < %(ends_at)s::timestamptz
    offset 0
) as x;
