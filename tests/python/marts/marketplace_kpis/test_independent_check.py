"""An independent check of the marketplace KPI mart: the views' numbers recomputed in plain
Python from the simulator's raw rows (scale S) and the written definitions
(docs/marketplace-kpis-mart.md and the columns' descriptions), never from the models' SQL.

- `mv_metricas_mensuales`: one complete, busy month (the most requests; neither the first
  month of the data, which may start mid-month, nor the current one), every KPI, months read
  in America/Bogota.
- `mv_ranking_asesores`: the 30-day window counted back from the view's `calculado_at`, the
  whole ranking (RANK over all advisors, and within each profile city) and the cume_dist
  percentiles computed for everyone, compared for ten advisors chosen deterministically
  (top, middle, bottom of the national ranking, a tie, an advisor of the smallest city).

Averages and rates are exact fractions rounded half away from zero to two decimals, as
Postgres' `round(numeric, 2)`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from math import floor
from zoneinfo import ZoneInfo

import pytest

from tests.python.databases import query
from tests.python.marts.marketplace_kpis.conftest import BuiltMart

BOGOTA = ZoneInfo("America/Bogota")
WINDOW = timedelta(days=30)
CHOSEN = 10


def round2(value: Fraction | None) -> Decimal | None:
    """`round(value, 2)` as Postgres rounds numeric: half away from zero, exact."""
    if value is None:
        return None
    cents = floor(abs(value) * 100 + Fraction(1, 2))
    return Decimal(-cents if value < 0 else cents).scaleb(-2)


def average(values: list[Fraction]) -> Fraction | None:
    return Fraction(sum(values, Fraction(0)), len(values)) if values else None


def percent(part: int, whole: int) -> Decimal | None:
    return round2(Fraction(part * 100, whole)) if whole else None


def seconds(delta: timedelta) -> Fraction:
    """A duration in exact seconds (microseconds kept)."""
    return Fraction(delta.days * 86400 + delta.seconds) + Fraction(delta.microseconds, 10**6)


def month_of(moment: datetime) -> date:
    """The first day of the Bogotá calendar month `moment` falls in."""
    local = moment.astimezone(BOGOTA)
    return date(local.year, local.month, 1)


@dataclass(frozen=True)
class Request:
    id: object
    cliente_id: object
    marca: str | None
    estado: str
    created_at: datetime
    fecha_cierre: datetime | None


@dataclass(frozen=True)
class Offer:
    id: object
    solicitud_id: object
    asesor_id: object
    monto: Decimal
    entrega_dias: int | None
    garantia_meses: int | None
    es_ganadora: bool
    estado: str
    created_at: datetime


@dataclass(frozen=True)
class Raw:
    requests: dict[object, Request]
    offers: list[Offer]
    delivered: set[object]  # offers with at least one EXITOSA delivery
    notifications: list[tuple[object, datetime, datetime | None]]  # asesor, enviada, respondida
    audits: dict[object, list[tuple[datetime, Decimal | None]]]  # asesor -> (fecha, confianza)
    advisor_city: dict[object, str | None]


@pytest.fixture(scope="module")
def raw(marketplace_mart: BuiltMart) -> Raw:
    """The simulator's rows, plain SELECTs of the columns the definitions need."""
    settings = marketplace_mart.settings
    requests = {row[0]: Request(*row) for row in query(settings, """
        select id, cliente_id, marca_vehiculo, estado, created_at, fecha_cierre
        from marketplace.solicitudes""")}
    offers = [Offer(*row) for row in query(settings, """
        select id, solicitud_id, asesor_id, monto_total, tiempo_entrega_dias, garantia_meses,
               es_ganadora, estado, created_at
        from marketplace.ofertas""")]
    delivered = {oferta_id for oferta_id, estado
                 in query(settings, "select oferta_id, estado from marketplace.entregas")
                 if estado == "EXITOSA"}
    notifications = query(settings, """
        select asesor_id, enviada_at, respondida_at from marketplace.notificaciones""")
    audits: dict[object, list[tuple[datetime, Decimal | None]]] = defaultdict(list)
    for asesor_id, fecha, confianza in query(settings, """
            select asesor_id, fecha_auditoria, confianza_auditada from marketplace.auditorias"""):
        audits[asesor_id].append((fecha, confianza))
    advisor_city = dict(query(settings, "select id, ciudad from marketplace.asesores"))
    assert requests and offers and advisor_city, "the simulator's sources are empty"
    return Raw(requests, offers, delivered, notifications, dict(audits), advisor_city)


@pytest.fixture(scope="module")
def as_of(marketplace_mart: BuiltMart) -> datetime:
    """The view's refresh time: the same in every row."""
    values = query(marketplace_mart.settings,
                   "select distinct calculado_at from public.mv_ranking_asesores")
    assert len(values) == 1, f"calculado_at is not the same in every row: {values}"
    return values[0][0]


# --- mv_metricas_mensuales --------------------------------------------------------------------

METRIC_COLUMNS = (
    "solicitudes_creadas", "solicitudes_aceptadas", "solicitudes_rechazadas",
    "solicitudes_expiradas", "solicitudes_sin_ofertas", "tiempo_promedio_cierre_seg",
    "ofertas_totales", "ofertas_ganadoras", "ofertas_aceptadas", "precio_promedio_ofertas",
    "precio_minimo_ofertas", "precio_maximo_ofertas", "tiempo_entrega_promedio",
    "garantia_promedio_meses", "clientes_activos", "asesores_activos",
    "marcas_vehiculos_solicitadas", "volumen_transaccional_total", "tasa_aceptacion_pct",
    "tasa_conversion_ofertas_pct", "ofertas_promedio_por_solicitud",
)


def busiest_complete_month(raw: Raw, as_of: datetime) -> date:
    """The month with the most requests, leaving out the first month of the data (it may start
    mid-month) and the current one (as of the refresh); the latest such month on a tie."""
    per_month: dict[date, int] = defaultdict(int)
    for request in raw.requests.values():
        per_month[month_of(request.created_at)] += 1
    candidates = {month: n for month, n in per_month.items()
                  if month != min(per_month) and month < month_of(as_of)}
    assert candidates, f"no complete month in the data: {sorted(per_month)}"
    return max(candidates, key=lambda month: (candidates[month], month))


def monthly_kpis(raw: Raw, month: date) -> dict[str, object]:
    """Every KPI of `month`, from the definitions."""
    requests = [r for r in raw.requests.values() if month_of(r.created_at) == month]
    ids = {r.id for r in requests}
    offers = [o for o in raw.offers if o.solicitud_id in ids]  # an offer is its request's month's
    with_offers = {o.solicitud_id for o in offers}
    status = defaultdict(int)
    for request in requests:
        status[request.estado] += 1
    closing = [seconds(r.fecha_cierre - r.created_at) for r in requests
               if r.estado in ("ACEPTADA", "RECHAZADA") and r.fecha_cierre is not None
               and r.fecha_cierre >= r.created_at]
    prices = [Fraction(o.monto) for o in offers if o.monto > 0]
    accepted = [o for o in offers if o.estado == "ACEPTADA"]
    return {
        "solicitudes_creadas": len(requests),
        "solicitudes_aceptadas": status["ACEPTADA"],
        "solicitudes_rechazadas": status["RECHAZADA"],
        "solicitudes_expiradas": status["EXPIRADA"],
        "solicitudes_sin_ofertas": len(ids - with_offers),
        "tiempo_promedio_cierre_seg": round2(average(closing)),
        "ofertas_totales": len(offers),
        "ofertas_ganadoras": sum(o.es_ganadora for o in offers),
        "ofertas_aceptadas": len(accepted),
        "precio_promedio_ofertas": round2(average(prices)),
        "precio_minimo_ofertas": round2(min(prices)) if prices else None,
        "precio_maximo_ofertas": round2(max(prices)) if prices else None,
        "tiempo_entrega_promedio": round2(average(
            [Fraction(o.entrega_dias) for o in offers if o.entrega_dias is not None])),
        "garantia_promedio_meses": round2(average(
            [Fraction(o.garantia_meses) for o in offers if o.garantia_meses is not None])),
        "clientes_activos": len({r.cliente_id for r in requests}),
        "asesores_activos": len({o.asesor_id for o in offers}),
        "marcas_vehiculos_solicitadas": len({r.marca for r in requests if r.marca is not None}),
        "volumen_transaccional_total": round2(sum(
            (Fraction(o.monto) for o in accepted if o.monto > 0), Fraction(0))),
        "tasa_aceptacion_pct": percent(status["ACEPTADA"], len(requests)),
        "tasa_conversion_ofertas_pct": percent(len(accepted), len(offers)),
        "ofertas_promedio_por_solicitud": (round2(Fraction(len(offers), len(requests)))
                                           if requests else None),
    }


def test_monthly_kpis_of_the_busiest_complete_month_match_the_definitions(
        marketplace_mart: BuiltMart, raw: Raw, as_of: datetime) -> None:
    month = busiest_complete_month(raw, as_of)
    rows = query(marketplace_mart.settings,
                 f"select {', '.join(METRIC_COLUMNS)} from public.mv_metricas_mensuales"
                 " where mes = %s", (month,))
    assert len(rows) == 1, f"mv_metricas_mensuales has {len(rows)} rows for {month}"
    view = dict(zip(METRIC_COLUMNS, rows[0], strict=True))
    expected = monthly_kpis(raw, month)
    assert expected["solicitudes_creadas"] > 100 and expected["ofertas_totales"] > 100, expected
    differences = [f"{column} of {month}: view {view[column]!r}, definition {expected[column]!r}"
                   for column in METRIC_COLUMNS if view[column] != expected[column]]
    assert not differences, "mv_metricas_mensuales disagrees with the definitions:\n" + \
        "\n".join(differences)


def test_months_are_bogota_months_in_the_view(marketplace_mart: BuiltMart, raw: Raw) -> None:
    """Requests per month for every month: a view bucketing in UTC (or the session's zone)
    moves the requests of the last five hours of each month and fails here."""
    per_month: dict[date, int] = defaultdict(int)
    for request in raw.requests.values():
        per_month[month_of(request.created_at)] += 1
    view = dict(query(marketplace_mart.settings,
                      "select mes, solicitudes_creadas from public.mv_metricas_mensuales"))
    assert view == dict(per_month), (
        "requests per Bogotá month differ: "
        + ", ".join(f"{m}: view {view.get(m)!r}, definition {per_month.get(m)!r}"
                    for m in sorted(set(view) | set(per_month)) if view.get(m) != per_month.get(m)))


# --- mv_ranking_asesores ----------------------------------------------------------------------

@dataclass(frozen=True)
class AdvisorWindow:
    """An advisor's last 30 days, from the definitions."""

    ofertas: int
    ganadoras: int
    exitosas: int
    exito_pct: Decimal | None  # rounded to 2 decimals, as the view's column
    exito_exact: Fraction | None
    respuesta_seg: Decimal | None
    respuesta_exact: Fraction | None
    conversion_pct: Decimal | None
    notif_recibidas: int
    notif_respondidas: int
    notif_tasa_pct: Decimal | None
    notif_respuesta_seg: Decimal | None
    auditorias: int
    confianza_auditada: Decimal | None
    ultima_auditoria: datetime | None


def advisor_windows(raw: Raw, as_of: datetime) -> dict[object, AdvisorWindow]:
    start = as_of - WINDOW
    offers: dict[object, list[Offer]] = defaultdict(list)
    for offer in raw.offers:
        if start <= offer.created_at < as_of:
            offers[offer.asesor_id].append(offer)
    notifications: dict[object, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for asesor_id, sent, answered in raw.notifications:
        if start <= sent < as_of:
            notifications[asesor_id].append((sent, answered))
    windows = {}
    for asesor_id in raw.advisor_city:
        own = offers.get(asesor_id, [])
        exitosas = sum(o.id in raw.delivered for o in own)
        exito = Fraction(exitosas * 100, len(own)) if own else None
        response = average([seconds(o.created_at - raw.requests[o.solicitud_id].created_at)
                            for o in own
                            if o.created_at >= raw.requests[o.solicitud_id].created_at])
        sent = notifications.get(asesor_id, [])
        answered = [(s, a) for s, a in sent if a is not None]
        audits = sorted(raw.audits.get(asesor_id, []), key=lambda audit: audit[0])
        windows[asesor_id] = AdvisorWindow(
            ofertas=len(own),
            ganadoras=sum(o.es_ganadora for o in own),
            exitosas=exitosas,
            exito_pct=round2(exito),
            exito_exact=exito,
            respuesta_seg=round2(response),
            respuesta_exact=response,
            conversion_pct=percent(sum(o.es_ganadora for o in own), len(own)),
            notif_recibidas=len(sent),
            notif_respondidas=len(answered),
            notif_tasa_pct=percent(len(answered), len(sent)),
            notif_respuesta_seg=round2(average([seconds(a - s) for s, a in answered if a >= s])),
            auditorias=len(audits),
            confianza_auditada=audits[-1][1] if audits else None,
            ultima_auditoria=audits[-1][0] if audits else None,
        )
    return windows


def rank_key(window: AdvisorWindow, exact: bool = False) -> tuple:
    """Winning offers (most first), complete-success rate (highest first, none last),
    response time (fastest first, none last)."""
    success = window.exito_exact if exact else window.exito_pct
    response = window.respuesta_exact if exact else window.respuesta_seg
    return (-window.ganadoras,
            success is None, -success if success is not None else 0,
            response is None, response if response is not None else 0)


def ranks(keys: dict[object, tuple]) -> dict[object, int]:
    """RANK(): 1 + the number of advisors strictly ahead (ties share, the next rank skips)."""
    ordered = sorted(keys.values())
    return {asesor_id: bisect_left(ordered, key) + 1 for asesor_id, key in keys.items()}


def cume_dist_pct(values: dict[object, int]) -> dict[object, Decimal]:
    """cume_dist() * 100 over winning offers: the share of advisors with as many or fewer."""
    population = sorted(values.values())
    return {asesor_id: round2(Fraction(bisect_right(population, value) * 100, len(population)))
            for asesor_id, value in values.items()}


@dataclass(frozen=True)
class Rankings:
    nacional: dict[object, int]
    ciudad: dict[object, int | None]
    pct_nacional: dict[object, Decimal]
    pct_ciudad: dict[object, Decimal | None]
    by_city: dict[str, list[object]]


def rankings(raw: Raw, windows: dict[object, AdvisorWindow], exact: bool = False) -> Rankings:
    keys = {a: rank_key(w, exact) for a, w in windows.items()}
    by_city: dict[str, list[object]] = defaultdict(list)
    for asesor_id, city in raw.advisor_city.items():
        if city is not None:
            by_city[city].append(asesor_id)
    ciudad: dict[object, int | None] = dict.fromkeys(windows)
    pct_ciudad: dict[object, Decimal | None] = dict.fromkeys(windows)
    for members in by_city.values():
        ciudad.update(ranks({a: keys[a] for a in members}))
        pct_ciudad.update(cume_dist_pct({a: windows[a].ganadoras for a in members}))
    return Rankings(
        nacional=ranks(keys), ciudad=ciudad,
        pct_nacional=cume_dist_pct({a: w.ganadoras for a, w in windows.items()}),
        pct_ciudad=pct_ciudad, by_city=dict(by_city))


def choose_advisors(windows: dict[object, AdvisorWindow], ranked: Rankings) -> list[object]:
    """Ten advisors, deterministically (national rank, then id): the top 3, 4 from the middle
    and 3 from the bottom; when none of them shares a rank with another advisor, a middle one
    gives way to an advisor who does, and one to an advisor of the smallest city."""
    order = sorted(windows, key=lambda a: (ranked.nacional[a], str(a)))
    if len(order) <= CHOSEN:
        return order
    mid = len(order) // 2
    top, middle, bottom = order[:3], order[mid - 2:mid + 2], order[-3:]
    shared: dict[int, int] = defaultdict(int)
    for asesor_id in order:
        shared[ranked.nacional[asesor_id]] += 1
    if not any(shared[ranked.nacional[a]] > 1 for a in top + middle + bottom):
        tied = [a for a in order if shared[ranked.nacional[a]] > 1]
        if tied:
            middle[-1] = tied[len(tied) // 2]
    if ranked.by_city:
        smallest = min(len(members) for members in ranked.by_city.values())
        small = sorted((a for city, members in ranked.by_city.items() if len(members) == smallest
                        for a in members), key=lambda a: (ranked.nacional[a], str(a)))
        if not set(small) & set(top + middle + bottom):
            middle[0] = small[0]
    return top + middle + bottom


RANKING_COLUMNS = (
    "asesor_id", "ciudad", "ofertas_historicas_total", "ofertas_ganadoras", "entregas_exitosas",
    "tasa_exito_completo_pct", "tiempo_promedio_respuesta_seg", "tasa_conversion_ofertas_pct",
    "notificaciones_recibidas", "notificaciones_respondidas",
    "tiempo_promedio_respuesta_notif_seg", "tasa_respuesta_pct", "auditorias_realizadas",
    "confianza_auditada", "ultima_auditoria", "ranking_ciudad", "ranking_nacional",
    "percentil_ofertas_ganadoras_ciudad", "percentil_ofertas_ganadoras_nacional",
)


def expected_row(asesor_id: object, raw: Raw, window: AdvisorWindow, ranked: Rankings) -> dict:
    return {
        "asesor_id": asesor_id,
        "ciudad": raw.advisor_city[asesor_id],
        "ofertas_historicas_total": window.ofertas,
        "ofertas_ganadoras": window.ganadoras,
        "entregas_exitosas": window.exitosas,
        "tasa_exito_completo_pct": window.exito_pct,
        "tiempo_promedio_respuesta_seg": window.respuesta_seg,
        "tasa_conversion_ofertas_pct": window.conversion_pct,
        "notificaciones_recibidas": window.notif_recibidas,
        "notificaciones_respondidas": window.notif_respondidas,
        "tiempo_promedio_respuesta_notif_seg": window.notif_respuesta_seg,
        "tasa_respuesta_pct": window.notif_tasa_pct,
        "auditorias_realizadas": window.auditorias,
        "confianza_auditada": window.confianza_auditada,
        "ultima_auditoria": window.ultima_auditoria,
        "ranking_ciudad": ranked.ciudad[asesor_id],
        "ranking_nacional": ranked.nacional[asesor_id],
        "percentil_ofertas_ganadoras_ciudad": ranked.pct_ciudad[asesor_id],
        "percentil_ofertas_ganadoras_nacional": ranked.pct_nacional[asesor_id],
    }


def test_rankings_and_percentiles_of_ten_advisors_match_the_definitions(
        marketplace_mart: BuiltMart, raw: Raw, as_of: datetime) -> None:
    windows = advisor_windows(raw, as_of)
    ranked = rankings(raw, windows)
    assert sum(w.ofertas for w in windows.values()) > 100, "too few offers in the 30-day window"
    chosen = choose_advisors(windows, ranked)
    assert len(chosen) == min(CHOSEN, len(windows))

    rows = query(marketplace_mart.settings,
                 f"select {', '.join(RANKING_COLUMNS)} from public.mv_ranking_asesores")
    assert len(rows) == len(raw.advisor_city), (
        f"mv_ranking_asesores has {len(rows)} rows, marketplace.asesores {len(raw.advisor_city)}")
    view = {row[0]: dict(zip(RANKING_COLUMNS, row, strict=True)) for row in rows}

    differences = []
    for asesor_id in chosen:
        expected = expected_row(asesor_id, raw, windows[asesor_id], ranked)
        got = view.get(asesor_id)
        if got is None:
            differences.append(f"advisor {asesor_id}: missing from the view")
            continue
        differences += [
            f"advisor {asesor_id} (city {expected['ciudad']!r}, national rank "
            f"{expected['ranking_nacional']}): {column}: view {got[column]!r}, "
            f"definition {expected[column]!r}"
            for column in RANKING_COLUMNS if got[column] != expected[column]]
    assert not differences, (
        f"mv_ranking_asesores disagrees with the definitions (as of {as_of}):\n"
        + "\n".join(differences))


def test_ranking_choice_covers_ties_and_a_small_city(raw: Raw, as_of: datetime) -> None:
    """The ten advisors exercise what RANK and cume_dist are about, when the data has it."""
    windows = advisor_windows(raw, as_of)
    ranked = rankings(raw, windows)
    chosen = choose_advisors(windows, ranked)
    national = [ranked.nacional[a] for a in windows]
    if len(set(national)) < len(national):
        assert any(national.count(ranked.nacional[a]) > 1 for a in chosen), chosen
    if ranked.by_city:
        smallest = min(len(members) for members in ranked.by_city.values())
        assert any(raw.advisor_city[a] is not None
                   and len(ranked.by_city[raw.advisor_city[a]]) == smallest for a in chosen)
