-- Replace the content of marketplace. The demo-data engine runs these steps in one
-- transaction, after it truncated the schema's tables and dropped the bulk tables' indexes and
-- constraints (solicitudes, ofertas, notificaciones, entregas), and recreates them afterwards.
-- Rows go in the order the application wrote them (by time).

-- step: clientes
-- A client with requests signed up before the first one: minutes before it half of the time,
-- up to 300 days before it (long before more rarely); one without signed up at any time
-- before the anchor.
insert into marketplace.clientes (id, nombre, email, ciudad, departamento, created_at)
select
    c.id,
    c.nombre,
    c.email,
    ci.city,
    ci.department,
    case when f.first_at is null
         then marketplace_kpis_sim.between_ts(%(start_ts)s::timestamptz - interval '400 days',
                                              %(ends_at)s::timestamptz - interval '1 hour',
                                              marketplace_kpis_sim.rnd(c.key, 7))
         when marketplace_kpis_sim.rnd(c.key, 8) < 0.5
         then date_trunc('second', f.first_at - (60 + 1800 * marketplace_kpis_sim.rnd(c.key, 9)) * interval '1 second')
         else date_trunc('second', f.first_at - (1 + 300 * power(marketplace_kpis_sim.rnd(c.key, 9), 3)) * interval '1 day')
    end
from marketplace_kpis_sim.clients as c
join marketplace_kpis_sim.cities as ci using (city_no)
left join (select client_no, min(created_at) as first_at
           from marketplace_kpis_sim.requests group by client_no) as f using (client_no)
order by c.client_no;

-- step: asesores
insert into marketplace.asesores (
    id, nombre, email, telefono, ciudad, departamento, punto_venta, confianza, nivel_actual,
    estado, actividad_reciente_pct, desempeno_historico_pct, created_at, updated_at)
select
    a.id, a.nombre, a.email, a.telefono, c.city, c.department, a.punto_venta, a.confianza,
    a.nivel, a.estado, a.actividad_reciente_pct, a.desempeno_historico_pct, a.created_at,
    a.updated_at
from marketplace_kpis_sim.advisors as a
join marketplace_kpis_sim.cities as c using (city_no)
order by a.advisor_no;

-- step: solicitudes
-- A request without offers is CERRADA_SIN_OFERTAS once its window closed. fecha_cierre: the
-- window's end (no offers), the decision (accepted, rejected) or the expiry; NULL while open.
-- updated_at: the last change.
insert into marketplace.solicitudes (
    id, cliente_id, ciudad_origen, departamento_origen, marca_vehiculo, linea_vehiculo,
    anio_vehiculo, estado, created_at, fecha_cierre, updated_at)
select
    s.id, s.cliente_id, s.city, s.department, s.brand, s.line, s.anio, s.estado, s.created_at,
    s.fecha_cierre,
    coalesce(s.fecha_cierre,
             case when s.estado = 'EVALUADA' then s.eval_at end,
             greatest(s.created_at, s.last_offer_at))
from (
    select
        r.*,
        cl.id as cliente_id,
        o.last_offer_at,
        case when o.offers is null and r.status <> 'ABIERTA' then 'CERRADA_SIN_OFERTAS'
             else r.status end as estado,
        case when r.status = 'ABIERTA' then null
             when o.offers is null then r.eval_at
             when r.status = 'EVALUADA' then null
             else r.closes_at end as fecha_cierre
    from marketplace_kpis_sim.requests as r
    join marketplace_kpis_sim.clients as cl using (client_no)
    left join marketplace_kpis_sim.request_offers as o using (request_no)
) as s
order by s.request_no;

-- step: ofertas
insert into marketplace.ofertas (
    id, solicitud_id, asesor_id, monto_total, tiempo_entrega_dias, garantia_meses, es_ganadora,
    estado, created_at, updated_at)
select
    id, solicitud_id, asesor_id, monto_total, tiempo_entrega_dias, garantia_meses, es_ganadora,
    estado, created_at, updated_at
from marketplace_kpis_sim.offers
order by offer_no;

-- step: entregas
insert into marketplace.entregas (id, oferta_id, estado, fecha_entrega, created_at)
select id, oferta_id, estado, fecha_entrega, created_at
from marketplace_kpis_sim.deliveries
order by created_at, delivery_no;

-- step: auditorias
insert into marketplace.auditorias (id, asesor_id, confianza_auditada, fecha_auditoria, observaciones)
select marketplace_kpis_sim.uid(%(seed)s, 'auditoria', audit_no), asesor_id, confianza_auditada,
       fecha_auditoria, observaciones
from marketplace_kpis_sim.audits
order by fecha_auditoria, audit_no;

-- step: notificaciones
insert into marketplace.notificaciones (id, asesor_id, solicitud_id, canal, enviada_at, respondida_at)
select id, asesor_id, solicitud_id, canal, enviada_at, respondida_at
from marketplace_kpis_sim.notifications
order by notification_no;
