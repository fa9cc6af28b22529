-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    id as oferta_id,
    solicitud_id,
    asesor_id,
    monto_total,
    tiempo_entrega_dias,
    garantia_meses,
    es_ganadora,
    estado,
    created_at

from {{ source('marketplace', 'ofertas') }}
