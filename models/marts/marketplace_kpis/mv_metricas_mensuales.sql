{{
    config(
        meta={
            'cadence': 'daily',
            'schedule_cron': '0 1 * * *',
            'schedule_timezone': 'America/Bogota',
        },
        unique_key=['mes'],
        unique_key_index_name='idx_mv_metricas_mensuales_mes',
        contract={'enforced': true},
    )
}}

with

-- A request's month is its Bogotá month, whatever the session's time zone.
solicitudes as (

    select
        *,
        {{ marketplace_kpis_month_of('created_at') }} as mes

    from {{ ref('stg_marketplace_kpis__solicitudes') }}

),

-- A zero or negative price is a data error: the offer counts, its price does not.
ofertas as (

    select
        *,
        {{ marketplace_kpis_valid_amount('monto_total') }} as monto_valido,
        estado = 'ACEPTADA' as aceptada_cliente

    from {{ ref('stg_marketplace_kpis__ofertas') }}

),

-- An offer belongs to its request's month.
offers_by_month as (

    select
        solicitudes.mes,
        count(*) as ofertas_totales,
        count(*) filter (where ofertas.es_ganadora) as ofertas_ganadoras,
        count(*) filter (where ofertas.aceptada_cliente) as ofertas_aceptadas,
        avg(ofertas.monto_valido) as precio_promedio,
        min(ofertas.monto_valido) as precio_minimo,
        max(ofertas.monto_valido) as precio_maximo,
        avg(ofertas.tiempo_entrega_dias) as tiempo_entrega_promedio,
        avg(ofertas.garantia_meses) as garantia_promedio,
        count(distinct ofertas.asesor_id) as asesores_activos,
        sum(ofertas.monto_valido) filter (where ofertas.aceptada_cliente) as volumen

    from ofertas
    inner join solicitudes on ofertas.solicitud_id = solicitudes.solicitud_id
    group by solicitudes.mes

),

requests_by_month as (

    select
        mes,
        count(*) as solicitudes_creadas,
        count(*) filter (where estado = 'ACEPTADA') as solicitudes_aceptadas,
        count(*) filter (where estado = 'RECHAZADA') as solicitudes_rechazadas,
        count(*) filter (where estado = 'EXPIRADA') as solicitudes_expiradas,
        count(*) filter (
            where not exists (
                select from ofertas
                where ofertas.solicitud_id = solicitudes.solicitud_id
            )
        ) as solicitudes_sin_ofertas,
        -- Closed by the client's decision, and not before it was posted.
        avg(extract(epoch from fecha_cierre - created_at)) filter (
            where estado in ('ACEPTADA', 'RECHAZADA') and fecha_cierre >= created_at
        ) as tiempo_cierre,
        count(distinct cliente_id) as clientes_activos,
        count(distinct marca_vehiculo) as marcas_vehiculos_solicitadas

    from solicitudes
    group by mes

)

-- The original's column order is the dashboards' interface: kept, whatever ST06 prefers.
-- noqa: disable=ST06
select
    requests_by_month.mes,
    requests_by_month.solicitudes_creadas,
    requests_by_month.solicitudes_aceptadas,
    requests_by_month.solicitudes_rechazadas,
    requests_by_month.solicitudes_expiradas,
    requests_by_month.solicitudes_sin_ofertas,
    round(requests_by_month.tiempo_cierre, 2)::numeric(14, 2) as tiempo_promedio_cierre_seg,
    coalesce(offers_by_month.ofertas_totales, 0) as ofertas_totales,
    coalesce(offers_by_month.ofertas_ganadoras, 0) as ofertas_ganadoras,
    coalesce(offers_by_month.ofertas_aceptadas, 0) as ofertas_aceptadas,
    round(offers_by_month.precio_promedio, 2)::numeric(14, 2) as precio_promedio_ofertas,
    offers_by_month.precio_minimo::numeric(14, 2) as precio_minimo_ofertas,
    offers_by_month.precio_maximo::numeric(14, 2) as precio_maximo_ofertas,
    round(offers_by_month.tiempo_entrega_promedio, 2)::numeric(8, 2) as tiempo_entrega_promedio,
    round(offers_by_month.garantia_promedio, 2)::numeric(8, 2) as garantia_promedio_meses,
    requests_by_month.clientes_activos,
    coalesce(offers_by_month.asesores_activos, 0) as asesores_activos,
    requests_by_month.marcas_vehiculos_solicitadas,
    coalesce(offers_by_month.volumen, 0)::numeric(18, 2) as volumen_transaccional_total,
    {{ marketplace_kpis_pct('requests_by_month.solicitudes_aceptadas',
                            'requests_by_month.solicitudes_creadas') }}::numeric(5, 2)
        as tasa_aceptacion_pct,
    {{ marketplace_kpis_pct('offers_by_month.ofertas_aceptadas',
                            'offers_by_month.ofertas_totales') }}::numeric(5, 2)
        as tasa_conversion_ofertas_pct,
    round(
        coalesce(offers_by_month.ofertas_totales, 0)::numeric
        / nullif(requests_by_month.solicitudes_creadas, 0), 2
    )::numeric(8, 2) as ofertas_promedio_por_solicitud

from requests_by_month
left join offers_by_month on requests_by_month.mes = offers_by_month.mes
-- noqa: enable=ST06
