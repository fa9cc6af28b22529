-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    id as asesor_id,
    nombre,
    email,
    ciudad,
    departamento,
    punto_venta,
    confianza,
    nivel_actual,
    estado,
    actividad_reciente_pct,
    desempeno_historico_pct

from {{ source('marketplace', 'asesores') }}
