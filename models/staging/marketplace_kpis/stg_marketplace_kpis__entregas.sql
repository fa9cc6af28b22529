-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    id as entrega_id,
    oferta_id,
    estado,
    fecha_entrega

from {{ source('marketplace', 'entregas') }}
