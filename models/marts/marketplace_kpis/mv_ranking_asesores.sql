{{
    config(
        meta={
            'cadence': 'daily',
            'schedule_cron': '0 1 * * *',
            'schedule_timezone': 'America/Bogota',
        },
        unique_key=['asesor_id'],
        unique_key_index_name='idx_mv_ranking_asesores_id',
        contract={'enforced': true},
        post_hook=[
            mv_index(['ciudad', 'ranking_ciudad', 'asesor_id'],
                     name='idx_mv_ranking_asesores_ciudad'),
            mv_index(['departamento'], name='idx_mv_ranking_asesores_departamento'),
            mv_index(['ranking_nacional', 'asesor_id'], name='idx_mv_ranking_asesores_nacional'),
            mv_index(['ciudad', 'ofertas_ganadoras desc nulls last', 'asesor_id'],
                     name='idx_mv_ranking_asesores_ganadoras'),
            mv_index(['ciudad', 'tasa_respuesta_pct desc nulls last', 'asesor_id'],
                     name='idx_mv_ranking_asesores_tasa_respuesta'),
            mv_index(['ciudad', 'tasa_conversion_ofertas_pct desc nulls last', 'asesor_id'],
                     name='idx_mv_ranking_asesores_tasa_conversion'),
            mv_index(['ciudad', 'tasa_exito_completo_pct desc nulls last', 'asesor_id'],
                     name='idx_mv_ranking_asesores_tasa_exito'),
            mv_index(['ciudad', 'volumen_total_ofertas desc nulls last', 'asesor_id'],
                     name='idx_mv_ranking_asesores_volumen'),
        ],
    )
}}

with

asesores as (

    select * from {{ ref('stg_marketplace_kpis__asesores') }}

),

solicitudes as (

    select * from {{ ref('stg_marketplace_kpis__solicitudes') }}

),

-- A zero or negative price is a data error: the offer counts, its price does not.
ofertas as (

    select
        *,
        {{ marketplace_kpis_valid_amount('monto_total') }} as monto_valido,
        estado = 'ACEPTADA' as aceptada_cliente

    from {{ ref('stg_marketplace_kpis__ofertas') }}

),

entregas as (

    select * from {{ ref('stg_marketplace_kpis__entregas') }}

),

auditorias as (

    select * from {{ ref('stg_marketplace_kpis__auditorias') }}

),

notificaciones as (

    select * from {{ ref('stg_marketplace_kpis__notificaciones') }}

),

-- Offers sent in the last 30 days, by when they were sent.
window_offers as (

    select
        ofertas.asesor_id,
        ofertas.es_ganadora,
        ofertas.aceptada_cliente,
        ofertas.monto_valido,
        exists(
            select from entregas
            where entregas.oferta_id = ofertas.oferta_id and entregas.estado = 'EXITOSA'
        ) as entregada,
        -- An offer "sent" before its request was posted has no response time.
        case
            when ofertas.created_at >= solicitudes.created_at
                then extract(epoch from ofertas.created_at - solicitudes.created_at)
        end as respuesta_seg

    from ofertas
    inner join solicitudes on ofertas.solicitud_id = solicitudes.solicitud_id
    where
        ofertas.created_at >= {{ marketplace_kpis_window_start() }}
        and ofertas.created_at < {{ marketplace_kpis_as_of() }}

),

offer_stats as (

    select
        asesor_id,
        count(*) as ofertas,
        count(*) filter (where es_ganadora) as ganadoras,
        count(*) filter (where aceptada_cliente) as aceptadas,
        count(*) filter (where entregada) as entregadas,
        avg(respuesta_seg) as respuesta_seg,
        avg(monto_valido) as monto_promedio,
        sum(monto_valido) as volumen

    from window_offers
    group by asesor_id

),

notification_stats as (

    select
        asesor_id,
        count(*) as recibidas,
        count(respondida_at) as respondidas,
        avg(extract(epoch from respondida_at - enviada_at)) filter (
            where respondida_at >= enviada_at
        ) as respuesta_seg

    from notificaciones
    where
        enviada_at >= {{ marketplace_kpis_window_start() }}
        and enviada_at < {{ marketplace_kpis_as_of() }}
    group by asesor_id

),

latest_audits as (

    select distinct on (asesor_id)
        asesor_id,
        confianza_auditada,
        fecha_auditoria

    from auditorias
    order by asesor_id asc, fecha_auditoria desc, auditoria_id desc

),

audit_counts as (

    select
        asesor_id,
        count(*) as auditorias

    from auditorias
    group by asesor_id

),

-- The original's column order is the dashboards' interface: kept, whatever ST06 prefers.
-- noqa: disable=ST06
advisors as (

    select
        asesores.asesor_id,
        asesores.nombre as asesor_nombre,
        asesores.email as asesor_email,
        asesores.ciudad,
        asesores.departamento,
        asesores.punto_venta,
        asesores.confianza,
        asesores.nivel_actual,
        asesores.estado as estado_asesor,
        asesores.actividad_reciente_pct,
        asesores.desempeno_historico_pct,
        coalesce(offer_stats.ofertas, 0) as ofertas_historicas_total,
        coalesce(offer_stats.ganadoras, 0) as ofertas_ganadoras,
        coalesce(offer_stats.aceptadas, 0) as ofertas_aceptadas_cliente,
        coalesce(offer_stats.entregadas, 0) as entregas_exitosas,
        round(offer_stats.respuesta_seg, 2)::numeric(14, 2) as tiempo_promedio_respuesta_seg,
        round(offer_stats.monto_promedio, 2)::numeric(14, 2) as monto_promedio_ofertas,
        coalesce(offer_stats.volumen, 0)::numeric(18, 2) as volumen_total_ofertas,
        latest_audits.confianza_auditada,
        coalesce(audit_counts.auditorias, 0) as auditorias_realizadas,
        latest_audits.fecha_auditoria as ultima_auditoria,
        coalesce(notification_stats.recibidas, 0) as notificaciones_recibidas,
        coalesce(notification_stats.respondidas, 0) as notificaciones_respondidas,
        round(notification_stats.respuesta_seg, 2)::numeric(14, 2)
            as tiempo_promedio_respuesta_notif_seg,
        {{ marketplace_kpis_pct('notification_stats.respondidas',
                                'notification_stats.recibidas') }}::numeric(5, 2)
            as tasa_respuesta_pct,
        {{ marketplace_kpis_pct('offer_stats.ganadoras', 'offer_stats.ofertas') }}::numeric(5, 2)
            as tasa_conversion_ofertas_pct,
        {{ marketplace_kpis_pct('offer_stats.entregadas', 'offer_stats.ofertas') }}::numeric(5, 2)
            as tasa_exito_completo_pct

    from asesores
    left join offer_stats on asesores.asesor_id = offer_stats.asesor_id
    left join notification_stats on asesores.asesor_id = notification_stats.asesor_id
    left join latest_audits on asesores.asesor_id = latest_audits.asesor_id
    left join audit_counts on asesores.asesor_id = audit_counts.asesor_id

)
-- noqa: enable=ST06

select
    *,
    -- Most winning offers first, then complete success, then the fastest response.
    case
        when ciudad is not null then
            rank() over (
                partition by ciudad
                order by
                    ofertas_ganadoras desc,
                    tasa_exito_completo_pct desc nulls last,
                    tiempo_promedio_respuesta_seg asc nulls last
            )
    end as ranking_ciudad,
    rank() over (
        order by
            ofertas_ganadoras desc,
            tasa_exito_completo_pct desc nulls last,
            tiempo_promedio_respuesta_seg asc nulls last
    ) as ranking_nacional,
    case
        when ciudad is not null then
            round((cume_dist() over (partition by ciudad order by ofertas_ganadoras))::numeric * 100, 2)
    end::numeric(5, 2) as percentil_ofertas_ganadoras_ciudad,
    round((cume_dist() over (order by ofertas_ganadoras))::numeric * 100, 2)::numeric(5, 2)
        as percentil_ofertas_ganadoras_nacional,
    {{ marketplace_kpis_as_of() }} as calculado_at

from advisors
