"""The marketplace KPI mart's simulated data set at scale S: scales, the load, determinism,
cities and advisors, request arrivals in Bogotá time, offers and statuses that agree with
each other, deliveries, notifications, audits, and values (names, brands, amounts).

What the views' tests may rely on is what these tests hold; the views' formulas are tested
with the views."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from orchestration.core import migrations
from orchestration.core.marts import discover
from orchestration.core.settings import ConnectionSettings
from orchestration.demo_data.engine import is_empty, parse_scale
from orchestration.marts.marketplace_kpis.simulation import (
    BRANDS,
    CITIES,
    MAX_OFFERS,
    SIMULATOR,
    ScaleSpec,
    advisors_per_city,
    describe,
    scale_spec,
)
from tests.python.marts.built_marts import own_database, reload_seeds
from tests.python.marts.marketplace_kpis.conftest import (
    ANCHOR,
    MART,
    LoadedSources,
    load,
    one,
    query,
)

RELOAD_DATABASE = "analytics_marketplace_kpis_reload_tests"
TABLES = tuple(f"marketplace.{table}" for table in (
    "asesores", "auditorias", "clientes", "entregas", "notificaciones", "ofertas", "solicitudes"))
# Each table's timestamps: all of them are before the anchor.
TIMESTAMPS = {
    "marketplace.clientes": ("created_at",),
    "marketplace.asesores": ("created_at", "updated_at"),
    "marketplace.solicitudes": ("created_at", "fecha_cierre", "updated_at"),
    "marketplace.ofertas": ("created_at", "updated_at"),
    "marketplace.entregas": ("created_at", "fecha_entrega"),
    "marketplace.auditorias": ("fecha_auditoria",),
    "marketplace.notificaciones": ("enviada_at", "respondida_at"),
}
# Every table's rows in id order, hashed: compares whole loads.
FINGERPRINT = "select " + ", ".join(
    f"(select md5(string_agg(t::text, '|' order by t.id)) from {table} t)" for table in TABLES)
LOCAL = "at time zone 'America/Bogota'"


def spec(name: str) -> ScaleSpec:
    return scale_spec(parse_scale(name))


@pytest.fixture()
def loaded(marketplace_s: LoadedSources) -> ConnectionSettings:
    return marketplace_s.settings


# Scales ---------------------------------------------------------------------------------------

def test_scales_and_fractions() -> None:
    small, medium, large = spec("s"), spec("M"), spec("L")
    assert small.days == 365 and medium.days == large.days == 3 * 365
    assert large.requests_per_day == 4 * medium.requests_per_day
    assert (large.advisors, large.clients) == (4 * medium.advisors, 4 * medium.clients)
    # M: at least 2 million offers (some 3.2 a request) over three years.
    assert medium.requests_per_day * medium.days * 3.0 >= 2_000_000
    quarter = spec("M/4")
    assert (quarter.name, quarter.days) == ("M/4", medium.days)
    assert quarter.requests_per_day == medium.requests_per_day / 4
    assert quarter.advisors == medium.advisors // 4
    assert "20 cities" in describe(parse_scale("S"))


def test_the_mart_is_a_plug_in_with_this_simulator() -> None:
    plugin = discover()[MART]
    assert plugin.simulator is SIMULATOR
    assert SIMULATOR.source_schemas == ("marketplace",)


# The load -------------------------------------------------------------------------------------

def test_report_counts_every_table(marketplace_s: LoadedSources) -> None:
    settings, report = marketplace_s.settings, marketplace_s.load
    assert tuple(sorted(report.rows)) == TABLES
    counts = dict(query(settings, " union all ".join(
        f"select '{table}', count(*) from {table}" for table in TABLES)))
    assert report.rows == counts
    assert 20_000 <= counts["marketplace.ofertas"] <= 60_000
    assert 7_000 <= counts["marketplace.solicitudes"] <= 12_000
    assert counts["marketplace.notificaciones"] > counts["marketplace.ofertas"]
    assert counts["marketplace.asesores"] == sum(advisors_per_city(spec("S").advisors))
    assert report.seconds < 15
    assert report.starts_at == ANCHOR - timedelta(days=365) and report.ends_at == ANCHOR
    assert not is_empty(settings, SIMULATOR)


def test_migrations_are_idempotent_and_the_views_owner_reads(loaded: ConnectionSettings) -> None:
    assert migrations.migrate(loaded) == []
    for table in TABLES:
        assert one(loaded, "select has_table_privilege('analytics_owner', %s, 'select')",
                   (table,))[0], table
    assert one(loaded, "select has_schema_privilege('public', 'marketplace', 'usage')")[0] is False


def test_every_timestamp_is_before_the_anchor_and_the_data_runs_up_to_it(
    loaded: ConnectionSettings,
) -> None:
    for table, columns in TIMESTAMPS.items():
        late = one(loaded, "select count(*) from " + table + " where "
                   + " or ".join(f"{column} >= %(anchor)s" for column in columns),
                   {"anchor": ANCHOR})[0]
        assert late == 0, table
    first, last, last_offer, last_notification = one(loaded, """
        select min(created_at), max(created_at),
               (select max(created_at) from marketplace.ofertas),
               (select max(enviada_at) from marketplace.notificaciones)
        from marketplace.solicitudes""")
    assert first >= ANCHOR - timedelta(days=365)
    assert first < ANCHOR - timedelta(days=364)
    for latest in (last, last_offer, last_notification):
        assert latest > ANCHOR - timedelta(days=1)
    # The last 30 days are full: offers and notifications on each of them.
    days_with = one(loaded, """
        select (select count(distinct floor(extract(epoch from %(anchor)s - created_at) / 86400))
                from marketplace.ofertas where created_at > %(anchor)s - interval '30 days'),
               (select count(distinct floor(extract(epoch from %(anchor)s - enviada_at) / 86400))
                from marketplace.notificaciones
                where enviada_at > %(anchor)s - interval '30 days')""", {"anchor": ANCHOR})
    assert days_with == (30, 30)


# Cities and advisors --------------------------------------------------------------------------

def test_twenty_cities_with_their_departments(loaded: ConnectionSettings) -> None:
    expected = {(city, department) for city, department, _weight in CITIES}
    assert len(expected) == 20
    assert {("Bogotá", "Bogotá D.C."), ("Medellín", "Antioquia"), ("Cali", "Valle del Cauca"),
            ("Barranquilla", "Atlántico"), ("Cúcuta", "Norte de Santander"),
            ("Popayán", "Cauca"), ("Tunja", "Boyacá")} <= expected
    for table, city, department in (("asesores", "ciudad", "departamento"),
                                    ("clientes", "ciudad", "departamento"),
                                    ("solicitudes", "ciudad_origen", "departamento_origen")):
        pairs = set(query(loaded, f"select distinct {city}, {department} from marketplace.{table}"))
        assert pairs == expected, table


def test_advisors_per_city_follow_the_citys_size(loaded: ConnectionSettings) -> None:
    advisors = dict(query(loaded, "select ciudad, count(*) from marketplace.asesores group by 1"))
    expected = dict(zip([city for city, _department, _weight in CITIES],
                        advisors_per_city(spec("S").advisors), strict=True))
    assert advisors == expected
    assert max(advisors, key=advisors.__getitem__) == "Bogotá"
    assert advisors["Bogotá"] > 3 * advisors["Cali"] > 3 * advisors["Tunja"] >= 6
    # Requests follow the same weights: requests per advisor are alike from city to city.
    per_advisor = [row[0] for row in query(loaded, """
        select count(*)::float / (select count(*) from marketplace.asesores a
                                  where a.ciudad = s.ciudad_origen)
        from marketplace.solicitudes s group by s.ciudad_origen""")]
    assert max(per_advisor) < 3 * min(per_advisor)


def test_advisor_profiles(loaded: ConnectionSettings) -> None:
    (low, high, levels, bad_levels, active, inactive, suspended, others, rows, bad_scores,
     backwards) = one(loaded, """
        select min(confianza), max(confianza), count(distinct nivel_actual),
               count(*) filter (where nivel_actual not between 1 and 5 or nivel_actual is null),
               count(*) filter (where estado = 'ACTIVO'),
               count(*) filter (where estado = 'INACTIVO'),
               count(*) filter (where estado = 'SUSPENDIDO'),
               count(*) filter (where estado not in ('ACTIVO', 'INACTIVO', 'SUSPENDIDO', 'BLOQUEADO')),
               count(*),
               count(*) filter (where actividad_reciente_pct not between 0 and 100
                                   or desempeno_historico_pct not between 0 and 100
                                   or actividad_reciente_pct is null
                                   or desempeno_historico_pct is null),
               count(*) filter (where updated_at < created_at)
        from marketplace.asesores""")
    assert 1 <= low < 2 and 4.5 < high <= 5
    assert levels == 5 and bad_levels == 0
    assert 0.75 * rows < active < 0.95 * rows and inactive > 0 and suspended > 0 and others == 0
    assert bad_scores == 0 and backwards == 0
    points, nulls = one(loaded, """
        select count(distinct (ciudad, punto_venta)), count(*) filter (where punto_venta is null
                                                                 or email is null
                                                                 or telefono is null)
        from marketplace.asesores""")
    assert 20 < points < 300 and nulls == 0


def test_advisors_who_left_get_no_request_after_leaving(loaded: ConnectionSettings) -> None:
    after, left_with_notifications = one(loaded, """
        select count(*) filter (where n.enviada_at > a.updated_at + interval '15 minutes'),
               count(distinct a.id)
        from marketplace.asesores a
        join marketplace.notificaciones n on n.asesor_id = a.id
        where a.estado <> 'ACTIVO'""")
    assert after == 0 and left_with_notifications > 0
    # Nobody is notified before joining.
    early = one(loaded, """
        select count(*) from marketplace.notificaciones n
        join marketplace.asesores a on a.id = n.asesor_id
        where n.enviada_at < a.created_at""")[0]
    assert early == 0
    # Some advisors sent no offer in the last 30 days (the rankings keep them, tied last);
    # most did.
    idle, advisors = one(loaded, """
        select count(*) filter (where not exists (
                   select 1 from marketplace.ofertas o
                   where o.asesor_id = a.id and o.created_at >= %(anchor)s - interval '30 days')),
               count(*)
        from marketplace.asesores a""", {"anchor": ANCHOR})
    assert 0 < idle < 0.4 * advisors


def test_audits_none_for_some_several_for_others(loaded: ConnectionSettings) -> None:
    never, several, advisors, bad = one(loaded, """
        select count(*) filter (where n = 0), count(*) filter (where n >= 3), count(*),
               (select count(*) from marketplace.auditorias
                where confianza_auditada not between 1 and 5 or confianza_auditada is null)
        from (select a.id, count(u.id) as n from marketplace.asesores a
              left join marketplace.auditorias u on u.asesor_id = a.id group by a.id) x""")
    assert 0.15 * advisors < never < 0.45 * advisors
    assert several > 5 and bad == 0
    before_joining, remarks, without = one(loaded, """
        select count(*) filter (where u.fecha_auditoria < a.created_at),
               count(distinct u.observaciones), count(*) filter (where u.observaciones is null)
        from marketplace.auditorias u join marketplace.asesores a on a.id = u.asesor_id""")
    assert before_joining == 0 and remarks > 3 and without > 0


# Requests in Bogotá time ----------------------------------------------------------------------

def test_requests_are_busier_on_weekdays_and_in_the_daytime(loaded: ConnectionSettings) -> None:
    weekday, sunday = one(loaded, f"""
        select count(*) filter (where extract(isodow from created_at {LOCAL}) <= 5)::float / 5,
               count(*) filter (where extract(isodow from created_at {LOCAL}) = 7)
        from marketplace.solicitudes""")
    assert weekday > 1.8 * sunday > 0
    day, night, total = one(loaded, f"""
        select count(*) filter (where extract(hour from created_at {LOCAL}) between 8 and 17),
               count(*) filter (where extract(hour from created_at {LOCAL}) < 5),
               count(*)
        from marketplace.solicitudes""")
    assert day > 0.6 * total
    assert 0.003 * total < night < 0.05 * total
    # Growth: the last quarter of the year has more requests than the first.
    first, last = one(loaded, """
        select count(*) filter (where created_at < %(anchor)s - interval '274 days'),
               count(*) filter (where created_at >= %(anchor)s - interval '91 days')
        from marketplace.solicitudes""", {"anchor": ANCHOR})
    assert last > 1.3 * first


def test_every_months_last_evening_in_bogota_has_requests(loaded: ConnectionSettings) -> None:
    """Between 23:00 and 24:00 Bogotá on a month's last day: the next month in UTC."""
    rows = query(loaded, f"""
        with month_ends as (
            select (date_trunc('month', d) + interval '1 month' - interval '1 day')::date as day
            from generate_series(date_trunc('month', (%(anchor)s::timestamptz {LOCAL})::date - 365),
                                 (%(anchor)s::timestamptz {LOCAL})::date, interval '1 month') d
        )
        select m.day, count(s.id),
               count(s.id) filter (where date_trunc('month', s.created_at at time zone 'UTC')
                                         <> date_trunc('month', s.created_at {LOCAL}))
        from month_ends m
        left join marketplace.solicitudes s
            on (s.created_at {LOCAL})::date = m.day
           and extract(hour from s.created_at {LOCAL}) = 23
        where (m.day + 1)::timestamp at time zone 'America/Bogota' < %(anchor)s
          and m.day::timestamp at time zone 'America/Bogota' > %(anchor)s - interval '365 days'
        group by m.day order by m.day""", {"anchor": ANCHOR})
    assert len(rows) >= 11
    assert all(late >= 1 and next_month_in_utc == late for _day, late, next_month_in_utc in rows)
    # Some offers are sent in the month after their request's (Bogotá months).
    offers_next_month = one(loaded, f"""
        select count(*) from marketplace.ofertas o
        join marketplace.solicitudes s on s.id = o.solicitud_id
        where date_trunc('month', o.created_at {LOCAL}) <> date_trunc('month', s.created_at {LOCAL})
    """)[0]
    assert offers_next_month > 10


# Offers and statuses --------------------------------------------------------------------------

def test_zero_to_eight_offers_per_request_from_the_citys_advisors(
    loaded: ConnectionSettings,
) -> None:
    fewest, most, full, mean, without = one(loaded, """
        select min(n), max(n), count(*) filter (where n = %(most)s), avg(n),
               count(*) filter (where n = 0)
        from (select s.id, count(o.id) as n from marketplace.solicitudes s
              left join marketplace.ofertas o on o.solicitud_id = s.id group by s.id) x""",
        {"most": MAX_OFFERS})
    assert (fewest, most) == (0, MAX_OFFERS) and full > 10 and without > 100
    assert 2 < mean < 4
    local, offers, twice = one(loaded, """
        select count(*) filter (where a.ciudad = s.ciudad_origen), count(*),
               (select count(*) from (select 1 from marketplace.ofertas
                                      group by solicitud_id, asesor_id having count(*) > 1) d)
        from marketplace.ofertas o
        join marketplace.solicitudes s on s.id = o.solicitud_id
        join marketplace.asesores a on a.id = o.asesor_id""")
    assert 0.9 * offers < local < offers
    assert twice == 0


def test_request_and_offer_statuses_agree(loaded: ConnectionSettings) -> None:
    checks = {
        "closed iff fecha_cierre": "(s.fecha_cierre is null) <> (s.estado in ('ABIERTA', 'EVALUADA'))",
        "closed after created": "s.fecha_cierre <= s.created_at",
        "at most one winner": "x.winners > 1",
        "ACEPTADA": "s.estado = 'ACEPTADA' and (x.winners <> 1 or x.accepted <> 1"
                    " or x.not_selected <> x.offers - 1 or x.winner_status <> 'ACEPTADA')",
        "RECHAZADA": "s.estado = 'RECHAZADA' and (x.winners <> 1 or x.accepted <> 0"
                     " or x.not_selected <> x.offers - 1 or x.winner_status <> 'RECHAZADA')",
        "EVALUADA": "s.estado = 'EVALUADA' and (x.winners <> 1 or x.accepted <> 0"
                    " or x.not_selected <> x.offers - 1 or x.winner_status <> 'GANADORA')",
        "EXPIRADA": "s.estado = 'EXPIRADA' and (x.offers = 0 or x.accepted <> 0"
                    " or x.expired <> x.offers)",
        "CERRADA_SIN_OFERTAS": "s.estado = 'CERRADA_SIN_OFERTAS' and x.offers <> 0",
        "ABIERTA": "s.estado = 'ABIERTA' and (x.winners <> 0 or x.sent <> x.offers)",
        "ENVIADA only while open": "s.estado <> 'ABIERTA' and x.sent > 0",
        "offers before the request": "x.first_offer < s.created_at",
        "offers after closing": "x.last_offer > s.fecha_cierre",
        "updated before created": "s.updated_at < s.created_at",
    }
    violations = one(loaded, "select " + ", ".join(
        f"count(*) filter (where {check})" for check in checks.values()) + """
        from marketplace.solicitudes s
        cross join lateral (
            select count(o.id) as offers,
                   count(*) filter (where o.es_ganadora) as winners,
                   count(*) filter (where o.estado = 'ACEPTADA') as accepted,
                   count(*) filter (where o.estado = 'NO_SELECCIONADA') as not_selected,
                   count(*) filter (where o.estado = 'EXPIRADA') as expired,
                   count(*) filter (where o.estado = 'ENVIADA') as sent,
                   max(o.estado) filter (where o.es_ganadora) as winner_status,
                   min(o.created_at) as first_offer, max(o.created_at) as last_offer
            from marketplace.ofertas o where o.solicitud_id = s.id
        ) x""")
    assert dict(zip(checks, violations, strict=True)) == dict.fromkeys(checks, 0)
    offer_states = {row[0] for row in query(loaded, "select distinct estado from marketplace.ofertas")}
    assert offer_states == {"ENVIADA", "NO_SELECCIONADA", "GANADORA", "ACEPTADA", "RECHAZADA",
                            "EXPIRADA"}
    bad_updates = one(loaded, "select count(*) from marketplace.ofertas where updated_at < created_at")
    assert bad_updates == (0,)


def test_status_shares_and_open_requests_are_recent(loaded: ConnectionSettings) -> None:
    shares = dict(query(loaded, """
        select estado, count(*)::float / sum(count(*)) over () from marketplace.solicitudes
        group by estado"""))
    assert set(shares) == {"ABIERTA", "EVALUADA", "ACEPTADA", "RECHAZADA", "EXPIRADA",
                           "CERRADA_SIN_OFERTAS"}
    assert 0.45 < shares["ACEPTADA"] < 0.7
    assert 0.12 < shares["RECHAZADA"] < 0.3
    assert 0.07 < shares["EXPIRADA"] < 0.2
    assert 0.02 < shares["CERRADA_SIN_OFERTAS"] < 0.15
    oldest_open = one(loaded, """
        select min(created_at) from marketplace.solicitudes
        where estado in ('ABIERTA', 'EVALUADA')""")[0]
    assert oldest_open > ANCHOR - timedelta(days=4)
    # Closing times vary: minutes to days after the request.
    fastest, slowest = one(loaded, """
        select min(fecha_cierre - created_at), max(fecha_cierre - created_at)
        from marketplace.solicitudes where estado in ('ACEPTADA', 'RECHAZADA')""")
    assert fastest < timedelta(hours=3) and slowest > timedelta(days=3)


# Deliveries -----------------------------------------------------------------------------------

def test_deliveries_of_accepted_offers_some_failed_some_retried(
    loaded: ConnectionSettings,
) -> None:
    not_accepted, before_acceptance, per_offer = one(loaded, """
        select count(*) filter (where o.estado <> 'ACEPTADA'),
               count(*) filter (where e.created_at < s.fecha_cierre),
               (select max(n) from (select count(*) as n from marketplace.entregas
                                    group by oferta_id) x)
        from marketplace.entregas e
        join marketplace.ofertas o on o.id = e.oferta_id
        join marketplace.solicitudes s on s.id = o.solicitud_id""")
    assert (not_accepted, before_acceptance, per_offer) == (0, 0, 2)
    states = dict(query(loaded, "select estado, count(*) from marketplace.entregas group by 1"))
    assert set(states) == {"EN_CURSO", "EXITOSA", "FALLIDA"}
    assert 0.05 * sum(states.values()) < states["FALLIDA"] < 0.2 * sum(states.values())
    ended_badly, open_old = one(loaded, """
        select count(*) filter (where (estado = 'EN_CURSO') <> (fecha_entrega is null)
                                   or fecha_entrega < created_at),
               count(*) filter (where estado = 'EN_CURSO'
                                  and created_at < %(anchor)s - interval '30 days')
        from marketplace.entregas""", {"anchor": ANCHOR})
    assert (ended_badly, open_old) == (0, 0)
    retried_ok, retry_first = one(loaded, """
        select count(distinct f.oferta_id) filter (where r.estado = 'EXITOSA'),
               count(*) filter (where r.created_at < f.fecha_entrega)
        from marketplace.entregas f
        join marketplace.entregas r on r.oferta_id = f.oferta_id and r.id <> f.id
        where f.estado = 'FALLIDA'
          and f.created_at < r.created_at""")
    assert retried_ok > 10 and retry_first == 0
    # Most offers accepted more than 30 days ago were delivered.
    delivered, accepted = one(loaded, """
        select count(*) filter (where exists (select 1 from marketplace.entregas e
                                              where e.oferta_id = o.id and e.estado = 'EXITOSA')),
               count(*)
        from marketplace.ofertas o
        where o.estado = 'ACEPTADA' and o.updated_at < %(anchor)s - interval '30 days'""",
        {"anchor": ANCHOR})
    assert 0.85 * accepted < delivered < accepted


# Notifications --------------------------------------------------------------------------------

def test_offers_come_from_notified_advisors_after_they_responded(
    loaded: ConnectionSettings,
) -> None:
    unnotified, before_response = one(loaded, """
        select count(*) filter (where n.id is null),
               count(*) filter (where n.respondida_at is null or n.respondida_at > o.created_at)
        from marketplace.ofertas o
        left join marketplace.notificaciones n
            on n.solicitud_id = o.solicitud_id and n.asesor_id = o.asesor_id""")
    assert (unnotified, before_response) == (0, 0)
    early, backwards, twice = one(loaded, """
        select count(*) filter (where n.enviada_at < s.created_at),
               count(*) filter (where n.respondida_at <= n.enviada_at),
               (select count(*) from (select 1 from marketplace.notificaciones
                                      group by solicitud_id, asesor_id having count(*) > 1) d)
        from marketplace.notificaciones n join marketplace.solicitudes s on s.id = n.solicitud_id""")
    assert (early, backwards, twice) == (0, 0, 0)


def test_notifications_responded_or_not_with_delays(loaded: ConnectionSettings) -> None:
    notifications, responded, led_to_offer, quickest, slowest = one(loaded, """
        select count(*), count(respondida_at),
               count(*) filter (where exists (select 1 from marketplace.ofertas o
                                              where o.solicitud_id = n.solicitud_id
                                                and o.asesor_id = n.asesor_id)),
               min(respondida_at - enviada_at), max(respondida_at - enviada_at)
        from marketplace.notificaciones n""")
    assert 0.3 * notifications < responded < 0.85 * notifications
    assert led_to_offer > 0.5 * responded
    assert quickest < timedelta(minutes=1) and slowest > timedelta(hours=3)
    channels = {row[0] for row in query(loaded,
                                        "select distinct canal from marketplace.notificaciones")}
    assert channels == {"WHATSAPP", "PUSH", "EMAIL"}
    # Almost every request notified someone (not one whose advisors all left, or posted in
    # the anchor's last minutes).
    per_request, unnotified, requests = one(loaded, """
        select count(*)::float / count(distinct solicitud_id),
               (select count(*) from marketplace.solicitudes s where not exists (
                    select 1 from marketplace.notificaciones n where n.solicitud_id = s.id)),
               (select count(*) from marketplace.solicitudes)
        from marketplace.notificaciones""")
    assert 3 < per_request < 12 and unnotified < 0.002 * requests


# Clients, names, brands, amounts --------------------------------------------------------------

def test_clients_signed_up_before_their_first_request(loaded: ConnectionSettings) -> None:
    late, with_requests, clients, no_email = one(loaded, """
        select count(*) filter (where c.created_at > f.first_at), count(f.first_at), count(*),
               count(*) filter (where c.email is null)
        from marketplace.clientes c
        left join (select cliente_id, min(created_at) as first_at from marketplace.solicitudes
                   group by 1) f on f.cliente_id = c.id""")
    assert late == 0
    assert 0.3 * clients < with_requests < clients
    assert 0 < no_email < 0.1 * clients
    busiest = one(loaded, """
        select max(n) from (select count(*) as n from marketplace.solicitudes
                            group by cliente_id) x""")[0]
    assert busiest > 10


def test_names_hold_accents_and_enye(loaded: ConnectionSettings) -> None:
    for table in ("asesores", "clientes"):
        enye, accented, names, surnames, bad_emails = one(loaded, f"""
            select count(*) filter (where strpos(nombre, 'ñ') > 0),
                   count(*) filter (where nombre ~ '[áéíóúÁÉÍÓÚ]'),
                   count(*),
                   count(*) filter (where nombre ~ '(Peña|Muñoz|Jiménez)'),
                   count(*) filter (where email !~ '^[a-z0-9.]+@[a-z.]+$')
            from marketplace.{table}""")
        assert enye > 0 and accented > 0.3 * names and surnames > 0 and bad_emails == 0, table


def test_brands_with_realistic_popularity(loaded: ConnectionSettings) -> None:
    counts = dict(query(loaded, """
        select marca_vehiculo, count(*) from marketplace.solicitudes group by 1"""))
    assert set(counts) == {brand for brand, _weight, _lines in BRANDS}
    ranked = sorted(counts, key=counts.__getitem__, reverse=True)
    assert ranked[0] == "Chevrolet" and ranked[1] == "Renault"
    assert counts["Chevrolet"] > 3 * counts["Suzuki"] > 0
    lines = {(brand, line) for brand, _weight, names in BRANDS for line in names}
    pairs = set(query(loaded, """
        select distinct marca_vehiculo, linea_vehiculo from marketplace.solicitudes"""))
    assert pairs <= lines and len(pairs) > 0.8 * len(lines)
    oldest, newest = one(loaded, "select min(anio_vehiculo), max(anio_vehiculo)"
                                 " from marketplace.solicitudes")
    # Years are counted back from the anchor's year in Bogotá (one less early on 1 January UTC).
    assert ANCHOR.year - 1 <= newest <= ANCHOR.year
    assert newest - 21 <= oldest <= newest - 15


def test_amounts_in_pesos_delivery_days_and_warranty(loaded: ConnectionSettings) -> None:
    (cheapest, dearest, not_hundreds, fastest, slowest, same_day, long, warranties,
     undefined) = one(loaded, """
        select min(monto_total), max(monto_total),
               count(*) filter (where mod(monto_total, 100) <> 0),
               min(tiempo_entrega_dias), max(tiempo_entrega_dias),
               count(*) filter (where tiempo_entrega_dias = 0),
               count(*) filter (where tiempo_entrega_dias > 10),
               array_agg(distinct garantia_meses order by garantia_meses),
               count(*) filter (where tiempo_entrega_dias is null or garantia_meses is null)
        from marketplace.ofertas""")
    assert cheapest == 50_000 and 1_000_000 < dearest <= 3_000_000 and not_hundreds == 0
    assert (fastest, slowest) == (0, 15) and same_day > 0 and long > 0
    assert warranties == [0, 1, 2, 3, 6, 12] and undefined == 0
    # Offers of one request differ in price: a winner is a choice.
    spread = one(loaded, """
        select avg(max_amount / min_amount) from (
            select max(monto_total) as max_amount, min(monto_total) as min_amount
            from marketplace.ofertas group by solicitud_id having count(*) > 1) x""")[0]
    assert spread > 1.1


# Determinism ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def reload_settings(pg_settings: ConnectionSettings) -> Iterator[ConnectionSettings]:
    """Another database, to reload in without touching the session's loaded one."""
    with own_database(pg_settings, RELOAD_DATABASE) as settings:
        yield settings


def test_same_seed_same_rows_another_seed_others(
    loaded: ConnectionSettings, reload_settings: ConnectionSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reloads = reload_seeds(reload_settings, MART, load, FINGERPRINT, monkeypatch)
    expected = one(loaded, FINGERPRINT)
    assert reloads.same_seed == expected
    assert all(a != b for a, b in zip(reloads.other_seed, expected, strict=True))
    assert reloads.recorded == (1, "S")
