-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    id as solicitud_id,
    cliente_id,
    ciudad_origen,
    departamento_origen,
    marca_vehiculo,
    estado,
    created_at,
    fecha_cierre

from {{ source('marketplace', 'solicitudes') }}
