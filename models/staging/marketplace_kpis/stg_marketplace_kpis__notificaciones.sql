-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    id as notificacion_id,
    asesor_id,
    solicitud_id,
    enviada_at,
    respondida_at

from {{ source('marketplace', 'notificaciones') }}
