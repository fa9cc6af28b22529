-- Advisors (with their sales points and profiles), their audits, and clients.

-- step: advisors
-- Advisor advisor_no is number city_rank (0, 1, ...) of its city; three advisors in a row
-- share a sales point. Eight in ten were there before the data starts, the others join during
-- it (at least 20 days before the anchor). Sixteen in a hundred are no longer ACTIVO: they left
-- (left_at) between a fifth of the way and the end of their time in the data, and get no
-- request after that. quality drives the trust score (1.00 to 5.00), the level (with tenure)
-- and the application's historical-performance score; activity how often they respond and the
-- application's recent-activity score; slowness stretches their response delays (0.5 to 2);
-- price_level their prices (0.9 to 1.1).
create unlogged table marketplace_kpis_sim.advisors as
with a as (
    select
        c.city_no,
        c.first_advisor + r + 1 as advisor_no,
        r as city_rank,
        marketplace_kpis_sim.entity_key(c.first_advisor + r + 1, 1, %(seed)s) as key
    from marketplace_kpis_sim.cities as c
    cross join generate_series(0, c.advisors - 1) as r
),
t as (
    select
        a.*,
        case when marketplace_kpis_sim.rnd(a.key, 1) < 0.8
                 then date_trunc('second', %(start_ts)s::timestamptz
                                 - (30 + 1500 * marketplace_kpis_sim.rnd(a.key, 2)) * interval '1 day')
             else marketplace_kpis_sim.between_ts(%(start_ts)s::timestamptz,
                                                  %(ends_at)s::timestamptz - interval '20 days',
                                                  marketplace_kpis_sim.rnd(a.key, 2))
        end as created_at,
        case when marketplace_kpis_sim.rnd(a.key, 3) < 0.84 then 'ACTIVO'
             when marketplace_kpis_sim.rnd(a.key, 3) < 0.94 then 'INACTIVO'
             when marketplace_kpis_sim.rnd(a.key, 3) < 0.99 then 'SUSPENDIDO'
             else 'BLOQUEADO'
        end as estado,
        marketplace_kpis_sim.rnd(a.key, 4) as quality,
        marketplace_kpis_sim.rnd(a.key, 5) as activity,
        0.5 * power(4.0, marketplace_kpis_sim.rnd(a.key, 6)) as slowness,
        0.9 + 0.2 * marketplace_kpis_sim.rnd(a.key, 7) as price_level,
        marketplace_kpis_sim.first_name(marketplace_kpis_sim.rnd(a.key, 10)) as first_name,
        marketplace_kpis_sim.surname(marketplace_kpis_sim.rnd(a.key, 11)) as surname1,
        marketplace_kpis_sim.surname(marketplace_kpis_sim.rnd(a.key, 12)) as surname2,
        hashint4extended(a.city_rank / 3, marketplace_kpis_sim.entity_key(a.city_no, 2, %(seed)s))
            as store_key
    from a
),
l as (
    select
        t.*,
        case when t.estado <> 'ACTIVO'
             then marketplace_kpis_sim.between_ts(
                 greatest(t.created_at, %(start_ts)s::timestamptz), %(ends_at)s::timestamptz,
                 0.2 + 0.78 * marketplace_kpis_sim.rnd(t.key, 8))
        end as left_at,
        1 + least(4, floor(2.5 * t.quality
                           + 0.6 * extract(epoch from %(ends_at)s::timestamptz - t.created_at)
                                 / (365.25 * 86400)))::smallint as nivel
    from t
)
select
    l.advisor_no,
    l.city_no,
    l.city_rank,
    l.key,
    marketplace_kpis_sim.uid(%(seed)s, 'asesor', l.advisor_no) as id,
    l.first_name || ' ' || l.surname1 || ' ' || l.surname2 as nombre,
    marketplace_kpis_sim.mail_part(l.first_name) || '.' || marketplace_kpis_sim.mail_part(l.surname1)
        || l.advisor_no::text || '@'
        || (array['gmail.com', 'hotmail.com', 'outlook.com', 'yahoo.es'])
           [1 + floor(4 * marketplace_kpis_sim.rnd(l.key, 13))::integer] as email,
    '+57 3' || lpad(floor(100 * marketplace_kpis_sim.rnd(l.key, 14))::text, 2, '0') || ' '
        || lpad(floor(10000000 * marketplace_kpis_sim.rnd(l.key, 15))::text, 7, '0') as telefono,
    (array['Repuestos', 'Autopartes', 'Lujos y Repuestos', 'Distribuidora de Repuestos',
           'Importadora', 'Almacén', 'Tecnirepuestos', 'Frenos y Embragues', 'Motorepuestos',
           'Centro de Repuestos'])[1 + floor(10 * marketplace_kpis_sim.rnd(l.store_key, 1))::integer]
        || ' ' ||
    (array['El Cóndor', 'La 14', 'San Andrés', 'Los Ángeles', 'El Piñón', 'Santa Fe',
           'La Sabana', 'El Dorado', 'Muñoz e Hijos', 'Peña', 'Jiménez', 'La Ñapa', 'Calle 13',
           'Avenida 68', 'El Motor', 'La Octava', 'Ibáñez', 'Los Andes', 'El Porvenir',
           'Doña Inés'])[1 + floor(20 * marketplace_kpis_sim.rnd(l.store_key, 2))::integer]
        as punto_venta,
    round((1 + 4 * power(l.quality, 0.6))::numeric, 2) as confianza,
    l.nivel,
    l.estado,
    case when l.estado = 'ACTIVO'
         then round((100 * (0.15 + 0.85 * l.activity)
                     * (0.9 + 0.1 * marketplace_kpis_sim.rnd(l.key, 16)))::numeric, 2)
         else round((8 * marketplace_kpis_sim.rnd(l.key, 16))::numeric, 2)
    end as actividad_reciente_pct,
    round((100 * (0.25 + 0.75 * l.quality)
           * (0.85 + 0.15 * marketplace_kpis_sim.rnd(l.key, 17)))::numeric, 2) as desempeno_historico_pct,
    l.created_at,
    -- The application last touched the row when the advisor left, or recomputed the scores
    -- in the last 30 days.
    coalesce(l.left_at,
             marketplace_kpis_sim.between_ts(greatest(l.created_at, %(ends_at)s::timestamptz - interval '30 days'),
                                             %(ends_at)s::timestamptz,
                                             marketplace_kpis_sim.rnd(l.key, 18))) as updated_at,
    l.left_at,
    -- How likely a notification gets a response.
    0.35 + 0.6 * l.activity as response_rate,
    l.slowness,
    l.price_level
from l;
create unique index on marketplace_kpis_sim.advisors (advisor_no);

-- step: audits
-- Three advisors in ten were never audited; the others one to five times (fewer more often),
-- since they joined (at most two years before the data starts), before the anchor. An audit
-- finds a trust score within 0.6 of the advisor's; a quarter have no remarks.
create unlogged table marketplace_kpis_sim.audits as
select
    a.advisor_no * 16 + i as audit_no,
    a.id as asesor_id,
    least(5.00, greatest(1.00, round((a.confianza + 1.2 * (marketplace_kpis_sim.rnd(a.key, 40 + i) - 0.5))::numeric, 2)))
        as confianza_auditada,
    marketplace_kpis_sim.between_ts(greatest(a.created_at, %(start_ts)s::timestamptz - interval '730 days'),
                                    %(ends_at)s::timestamptz - interval '1 hour',
                                    marketplace_kpis_sim.rnd(a.key, 60 + i)) as fecha_auditoria,
    case when marketplace_kpis_sim.rnd(a.key, 80 + i) >= 0.25
         then (array['Sin novedades.', 'Precios por encima del mercado.', 'Demora en las respuestas.',
                     'Excelente atención al cliente.', 'Documentación incompleta; se pidió el RUT.',
                     'Garantías bien explicadas.', 'Reclamo de un cliente resuelto en el día.',
                     'Inventario verificado en el punto de venta.'])
              [1 + floor(8 * marketplace_kpis_sim.rnd(a.key, 100 + i))::integer]
    end as observaciones
from marketplace_kpis_sim.advisors as a
cross join lateral generate_series(
    1,
    case when marketplace_kpis_sim.rnd(a.key, 20) < 0.3 then 0
         else 1 + floor(5 * power(marketplace_kpis_sim.rnd(a.key, 21), 1.5))::integer end) as i;

-- step: clients
-- Clients live in a city drawn by the cities' weights; one in 25 gave no e-mail. When they
-- signed up is known once their requests are (publish_marketplace.sql).
create unlogged table marketplace_kpis_sim.clients as
with c as (
    select g as client_no, marketplace_kpis_sim.entity_key(g, 3, %(seed)s) as key
    from generate_series(1, %(n_clients)s) as g
),
n as (
    select
        c.*,
        width_bucket(marketplace_kpis_sim.rnd(c.key, 1), %(city_starts)s::double precision[]) as city_no,
        marketplace_kpis_sim.first_name(marketplace_kpis_sim.rnd(c.key, 2)) as first_name,
        marketplace_kpis_sim.surname(marketplace_kpis_sim.rnd(c.key, 3)) as surname1,
        marketplace_kpis_sim.surname(marketplace_kpis_sim.rnd(c.key, 4)) as surname2
    from c
)
select
    n.client_no,
    n.key,
    n.city_no,
    marketplace_kpis_sim.uid(%(seed)s, 'cliente', n.client_no) as id,
    n.first_name || ' ' || n.surname1 || ' ' || n.surname2 as nombre,
    case when marketplace_kpis_sim.rnd(n.key, 5) >= 0.04
         then marketplace_kpis_sim.mail_part(n.first_name) || '.' || marketplace_kpis_sim.mail_part(n.surname1)
              || n.client_no::text || '@'
              || (array['gmail.com', 'hotmail.com', 'outlook.com', 'yahoo.es', 'une.net.co'])
                 [1 + floor(5 * marketplace_kpis_sim.rnd(n.key, 6))::integer]
    end as email
from n;
create unique index on marketplace_kpis_sim.clients (client_no);
