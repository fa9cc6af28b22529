"""The marketplace analytics service's four reads, as SQL over the mart's views.

The original service answered four read endpoints with SQL of its own; here each is one
statement over `public.mv_metricas_mensuales` or `public.mv_ranking_asesores`, with psycopg2
named parameters, for the reader role `analytics_reader` (SELECT on the views, nothing else).
Each reads its page through an index of its view, except the monthly range (a one-page view,
read whole) and the city summary, which reads every advisor (see docs/marketplace-kpis-mart.md,
"Benchmark at scale M"):

1. `MONTHLY_METRICS`: the monthly KPIs of the months from the month of `%(mes_desde)s` to
   the month of `%(mes_hasta)s` (dates, both months included), the latest first, at most
   `%(limite)s` of them (unique index on `mes`).
2. `CITY_RANKING`: the advisors of city `%(ciudad)s` by their city rank (ties by `asesor_id`),
   the first `%(limite)s` (index on `(ciudad, ranking_ciudad, asesor_id)`);
   `NATIONAL_RANKING`: every advisor by national rank, the first `%(limite)s` (index on
   `(ranking_nacional, asesor_id)`). `advisor_ranking(ciudad)` picks one of them.
3. `top_advisors_query(metric)`: the advisors of city `%(ciudad)s` by one metric of
   `TOP_ADVISOR_METRICS` (highest first, none last, then `asesor_id`), the first `%(limite)s`
   (one index per metric: `ciudad`, the metric highest first, `asesor_id`). The metric is a
   column name chosen from that fixed list and placed as an identifier
   (`psycopg2.sql.Identifier`) in `TOP_ADVISORS`; anything else is refused with a ValueError
   before any SQL is built.
4. `CITY_SUMMARY`: one row per city (advisors without a city are left out): advisors, active
   advisors (at least one offer in the last 30 days), offers, winning offers, acceptance rate
   (offers the client accepted / offers x 100, NULL without offers) and the average response
   time weighted by each advisor's offers (exact when every offer has a response time; an
   offer sent before its request has none and still weighs). It aggregates the ranking view
   (a few thousand rows) at read time: no view of its own.

The advisors' lists leave out `asesor_email`; the offer and notification columns are those of
the last 30 days before the view's refresh (`calculado_at`). Run them as the reader, e.g.:

    with connect() as conn, conn.cursor() as cur:
        cur.execute("set role analytics_reader")
        cur.execute(top_advisors_query("tasa_respuesta_pct"), {"ciudad": "Cali", "limite": 10})
"""

from __future__ import annotations

from typing import Final

from psycopg2 import sql

MONTHLY_VIEW: Final = "public.mv_metricas_mensuales"
RANKING_VIEW: Final = "public.mv_ranking_asesores"

# The metrics the top-advisors read may order by: columns of the ranking view, nothing else.
TOP_ADVISOR_METRICS: Final = (
    "ofertas_ganadoras",
    "tasa_conversion_ofertas_pct",
    "tasa_exito_completo_pct",
    "tasa_respuesta_pct",
    "volumen_total_ofertas",
)

MONTHLY_METRICS: Final = f"""
select
    mes, solicitudes_creadas, solicitudes_aceptadas, solicitudes_rechazadas,
    solicitudes_expiradas, solicitudes_sin_ofertas, tiempo_promedio_cierre_seg,
    ofertas_totales, ofertas_ganadoras, ofertas_aceptadas, precio_promedio_ofertas,
    precio_minimo_ofertas, precio_maximo_ofertas, tiempo_entrega_promedio,
    garantia_promedio_meses, clientes_activos, asesores_activos, marcas_vehiculos_solicitadas,
    volumen_transaccional_total, tasa_aceptacion_pct, tasa_conversion_ofertas_pct,
    ofertas_promedio_por_solicitud
from {MONTHLY_VIEW}
where
    mes >= date_trunc('month', %(mes_desde)s::date)::date
    and mes <= %(mes_hasta)s::date
order by mes desc
limit %(limite)s
"""

# An advisor's row in the ranking lists.
_ADVISOR_COLUMNS = """
    asesor_id, asesor_nombre, ciudad, departamento, punto_venta, nivel_actual, estado_asesor,
    ofertas_historicas_total, ofertas_ganadoras, ofertas_aceptadas_cliente, entregas_exitosas,
    tasa_conversion_ofertas_pct, tasa_exito_completo_pct, tasa_respuesta_pct,
    tiempo_promedio_respuesta_seg, volumen_total_ofertas, ranking_ciudad, ranking_nacional,
    percentil_ofertas_ganadoras_ciudad, percentil_ofertas_ganadoras_nacional, calculado_at"""

CITY_RANKING: Final = f"""
select {_ADVISOR_COLUMNS}
from {RANKING_VIEW}
where ciudad = %(ciudad)s
order by ranking_ciudad, asesor_id
limit %(limite)s
"""

NATIONAL_RANKING: Final = f"""
select {_ADVISOR_COLUMNS}
from {RANKING_VIEW}
order by ranking_nacional, asesor_id
limit %(limite)s
"""

# The top-advisors read, its metric column written `{metric}` (top_advisors_query fills it).
TOP_ADVISORS: Final = f"""
select {_ADVISOR_COLUMNS}, {{metric}} as valor
from {RANKING_VIEW}
where ciudad = %(ciudad)s
order by {{metric}} desc nulls last, asesor_id
limit %(limite)s
"""

CITY_SUMMARY: Final = f"""
select
    ciudad,
    count(*) as asesores,
    count(*) filter (where ofertas_historicas_total > 0) as asesores_activos,
    sum(ofertas_historicas_total) as ofertas,
    sum(ofertas_ganadoras) as ofertas_ganadoras,
    round(
        sum(ofertas_aceptadas_cliente) * 100.0 / nullif(sum(ofertas_historicas_total), 0), 2
    ) as tasa_aceptacion_pct,
    round(
        sum(tiempo_promedio_respuesta_seg * ofertas_historicas_total)
        / nullif(sum(ofertas_historicas_total)
                 filter (where tiempo_promedio_respuesta_seg is not null), 0), 2
    ) as tiempo_promedio_respuesta_seg
from {RANKING_VIEW}
where ciudad is not null
group by ciudad
order by ciudad
"""


def advisor_ranking(ciudad: str | None) -> str:
    """The ranking read: a city's (`%(ciudad)s`, `%(limite)s`) or, without a city, the
    national one (`%(limite)s`)."""
    return NATIONAL_RANKING if ciudad is None else CITY_RANKING


def checked_metric(metric: str) -> str:
    """`metric` when it is one of TOP_ADVISOR_METRICS; ValueError naming them otherwise."""
    if metric not in TOP_ADVISOR_METRICS:
        raise ValueError(f"unknown metric {metric!r} for the top advisors: use one of "
                         f"{', '.join(TOP_ADVISOR_METRICS)}")
    return metric


def top_advisors_query(metric: str) -> sql.Composed:
    """The top advisors of city `%(ciudad)s` by `metric`, highest first (none last, then
    `asesor_id`), the first `%(limite)s`; ValueError for a metric not in TOP_ADVISOR_METRICS."""
    return sql.SQL(TOP_ADVISORS).format(metric=sql.Identifier(checked_metric(metric)))
