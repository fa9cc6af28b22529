-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    id as auditoria_id,
    asesor_id,
    confianza_auditada,
    fecha_auditoria

from {{ source('marketplace', 'auditorias') }}
