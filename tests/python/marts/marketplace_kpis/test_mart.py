"""The marketplace KPI mart on a small hand-written data set, built as `analytics_owner` with
the refresh time pinned: hostile rows (NULL cities, an advisor answering in another city,
negative amounts, offers after a request closed, a request closed before it was posted,
accents and ñ), the contract, one view failing without undoing the other, and empty sources.

The tests run in file order on one database: the last one empties the sources.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.core.settings import ConnectionSettings
from tests.python.databases import drop_database
from tests.python.reliability.conftest import Mart, copy_project, fresh_database

DATABASE = "analytics_marketplace_kpis_mart"
SELECTOR = "+path:models/marts/marketplace_kpis"
VIEWS = ("mv_metricas_mensuales", "mv_ranking_asesores")
AS_OF = "2026-03-31 06:00:00+00"
VARS = ["--vars", json.dumps({"marketplace_as_of": AS_OF})]
X1, X2, X3 = (f"00000000-0000-0000-0000-0000000000{n}" for n in ("e1", "e2", "e3"))

# March 2026 (Bogotá is UTC-5). x1 has no city; x2 works in Bogotá and also answers a Medellín
# request; x3 is Medellín's only advisor. s2 was "closed" before it was posted and got an offer
# after it closed; o2's amount is negative; o1's delivery failed once, then succeeded.
CORPUS = """
insert into marketplace.clientes (id, nombre, ciudad, departamento) values
    ('00000000-0000-0000-0000-0000000000c1', 'María Pérez Ñúñez', 'Bogotá', 'Bogotá D.C.'),
    ('00000000-0000-0000-0000-0000000000c2', 'Iñigo Muñoz', null, null);
insert into marketplace.asesores (id, nombre, email, ciudad, departamento, punto_venta,
                                  confianza, nivel_actual, estado) values
    (%(x1)s, 'José Muñoz', 'jose@example.co', null, null, null, 3.00, 1, 'ACTIVO'),
    (%(x2)s, 'Ana Peña', 'ana@example.co', 'Bogotá', 'Bogotá D.C.', 'Repuestos La Ñapa',
     4.50, 4, 'ACTIVO'),
    (%(x3)s, 'Iñaki Ibáñez', null, 'Medellín', 'Antioquia', 'Autopartes Envigado', 4.00, 3,
     'SUSPENDIDO');
insert into marketplace.solicitudes (id, cliente_id, ciudad_origen, departamento_origen,
                                     marca_vehiculo, estado, created_at, fecha_cierre) values
    ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c1', 'Bogotá',
     'Bogotá D.C.', 'Chevrolet', 'ACEPTADA', '2026-03-10 15:00+00', '2026-03-10 16:00+00'),
    ('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-0000000000c1', 'Medellín',
     'Antioquia', 'Renault', 'RECHAZADA', '2026-03-11 15:00+00', '2026-03-11 14:00+00'),
    ('00000000-0000-0000-0000-0000000000a3', '00000000-0000-0000-0000-0000000000c2', null, null,
     'Mazda', 'EXPIRADA', '2026-03-12 15:00+00', '2026-03-14 15:00+00'),
    ('00000000-0000-0000-0000-0000000000a4', '00000000-0000-0000-0000-0000000000c2', 'Bogotá',
     'Bogotá D.C.', 'Kia', 'CERRADA_SIN_OFERTAS', '2026-03-13 15:00+00', '2026-03-14 15:00+00');
insert into marketplace.ofertas (id, solicitud_id, asesor_id, monto_total, tiempo_entrega_dias,
                                 garantia_meses, es_ganadora, estado, created_at) values
    ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000a1', %(x2)s,
     120000, 2, 6, true, 'ACEPTADA', '2026-03-10 15:30+00'),
    ('00000000-0000-0000-0000-0000000000b2', '00000000-0000-0000-0000-0000000000a1', %(x1)s,
     -50000, 3, 3, false, 'NO_SELECCIONADA', '2026-03-10 15:20+00'),
    ('00000000-0000-0000-0000-0000000000b3', '00000000-0000-0000-0000-0000000000a2', %(x2)s,
     80000, 1, 12, true, 'RECHAZADA', '2026-03-11 15:10+00'),
    ('00000000-0000-0000-0000-0000000000b4', '00000000-0000-0000-0000-0000000000a2', %(x3)s,
     90000, 4, 0, false, 'NO_SELECCIONADA', '2026-03-12 12:00+00'),
    ('00000000-0000-0000-0000-0000000000b5', '00000000-0000-0000-0000-0000000000a3', %(x3)s,
     70000, 5, 1, false, 'EXPIRADA', '2026-03-12 16:00+00');
insert into marketplace.entregas (id, oferta_id, estado, fecha_entrega) values
    ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000b1', 'FALLIDA',
     '2026-03-12 10:00+00'),
    ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000b1', 'EXITOSA',
     '2026-03-13 10:00+00');
insert into marketplace.notificaciones (id, asesor_id, solicitud_id, enviada_at,
                                        respondida_at) values
    ('00000000-0000-0000-0000-0000000000f1', %(x2)s, '00000000-0000-0000-0000-0000000000a1',
     '2026-03-10 15:00+00', '2026-03-10 15:05+00'),
    ('00000000-0000-0000-0000-0000000000f2', %(x3)s, '00000000-0000-0000-0000-0000000000a2',
     '2026-03-11 15:00+00', null);
"""


@pytest.fixture(scope="module")
def mart(pg_settings: ConnectionSettings, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Mart]:
    created: list[ConnectionSettings] = []
    settings = fresh_database(pg_settings, created, DATABASE)
    mart = Mart(settings=settings, work_dir=tmp_path_factory.mktemp("marketplace_kpis_dbt"))
    with mart.connect() as conn, conn.cursor() as cur:
        cur.execute(CORPUS, {"x1": X1, "x2": X2, "x3": X3})
    mart.dbt(["build", "--select", SELECTOR, *VARS])
    try:
        yield mart
    finally:
        drop_database(pg_settings, DATABASE)


def row(mart: Mart, query: str, params: tuple[object, ...] = ()) -> dict[str, object]:
    with mart.connect() as conn, conn.cursor() as cur:
        cur.execute(query, params or None)
        found = cur.fetchall()
        assert len(found) == 1, found
        return {column.name: value for column, value in zip(cur.description, found[0],
                                                            strict=True)}


def advisor(mart: Mart, asesor_id: str) -> dict[str, object]:
    return row(mart, "select * from public.mv_ranking_asesores where asesor_id = %s",
               (asesor_id,))


def test_hostile_requests_and_offers_count_as_documented(mart: Mart) -> None:
    march = row(mart, "select * from public.mv_metricas_mensuales where mes = '2026-03-01'")
    assert (march["solicitudes_creadas"], march["solicitudes_aceptadas"],
            march["solicitudes_rechazadas"], march["solicitudes_expiradas"],
            march["solicitudes_sin_ofertas"]) == (4, 1, 1, 1, 1)
    # The request closed before it was posted is left out of the closing time: a1's hour only.
    assert march["tiempo_promedio_cierre_seg"] == Decimal("3600.00")
    # The offer sent after its request closed counts; the negative amount is no price.
    assert (march["ofertas_totales"], march["ofertas_ganadoras"], march["ofertas_aceptadas"]) == (
        5, 2, 1)
    assert (march["precio_promedio_ofertas"], march["precio_minimo_ofertas"],
            march["precio_maximo_ofertas"]) == (Decimal("90000.00"), Decimal("70000.00"),
                                                Decimal("120000.00"))
    assert march["volumen_transaccional_total"] == Decimal("120000.00")
    assert (march["clientes_activos"], march["asesores_activos"]) == (2, 3)
    assert (march["tasa_aceptacion_pct"], march["tasa_conversion_ofertas_pct"],
            march["ofertas_promedio_por_solicitud"]) == (Decimal("25.00"), Decimal("20.00"),
                                                         Decimal("1.25"))


def test_hostile_advisors_are_ranked_as_documented(mart: Mart) -> None:
    x1, x2, x3 = advisor(mart, X1), advisor(mart, X2), advisor(mart, X3)
    # Names keep their accents and ñ.
    assert (x1["asesor_nombre"], x2["punto_venta"], x3["asesor_nombre"]) == (
        "José Muñoz", "Repuestos La Ñapa", "Iñaki Ibáñez")
    # x2 is ranked in Bogotá, its profile's city, though one of its offers was in Medellín;
    # the retried delivery counts once.
    assert (x2["ciudad"], x2["ofertas_historicas_total"], x2["ofertas_ganadoras"],
            x2["entregas_exitosas"], x2["tasa_exito_completo_pct"]) == (
        "Bogotá", 2, 2, 1, Decimal("50.00"))
    assert (x2["ranking_ciudad"], x2["ranking_nacional"]) == (1, 1)
    # No city: no city rank or percentile; a negative amount is no price.
    assert (x1["ranking_ciudad"], x1["percentil_ofertas_ganadoras_ciudad"]) == (None, None)
    assert (x1["monto_promedio_ofertas"], x1["volumen_total_ofertas"]) == (None, Decimal("0.00"))
    # Medellín's lone advisor is first there, at the 100th percentile; nationally x1 (1,200 s
    # to answer) is ahead of x3 (39,600 s on average), both without a winner or a success.
    assert (x3["ranking_ciudad"], x3["percentil_ofertas_ganadoras_ciudad"]) == (
        1, Decimal("100.00"))
    assert (x1["ranking_nacional"], x3["ranking_nacional"]) == (2, 3)
    assert x3["tiempo_promedio_respuesta_seg"] == Decimal("39600.00")
    assert (x3["notificaciones_recibidas"], x3["notificaciones_respondidas"],
            x3["tasa_respuesta_pct"]) == (1, 0, Decimal("0.00"))
    assert str(x2["calculado_at"]).startswith("2026-03-31 06:00:00")


def _project_with_renamed_column(directory: Path) -> Path:
    """A copy of the project whose mv_metricas_mensuales renames `mes` to `month`."""
    copy_project(directory)
    model = directory / "models" / "marts" / "marketplace_kpis" / "mv_metricas_mensuales.sql"
    text = model.read_text()
    renamed = text.replace("    requests_by_month.mes,\n", "    requests_by_month.mes as month,\n")
    assert renamed != text
    model.write_text(renamed)
    return directory


def test_a_renamed_column_fails_the_contract_and_the_view_keeps_serving(
    mart: Mart, tmp_path: Path
) -> None:
    before = mart.fingerprints(VIEWS[:1], schema="public")
    log_id = mart.last_log_id()
    copy = Mart(settings=mart.settings, work_dir=tmp_path / "dbt",
                project_dir=_project_with_renamed_column(tmp_path / "project"))
    result = copy.dbt(["run", "--select", "mv_metricas_mensuales", *VARS], expect_ok=False)
    assert "enforced contract" in result.stdout and "month" in result.stdout, result.stdout[-3000:]
    assert mart.log_since(log_id) == [
        ("mv_metricas_mensuales", "contract", "error",
         "the query's columns differ from the contract in the model's yml (names and data types):"
         " the view was left as it was")]
    assert mart.fingerprints(VIEWS[:1], schema="public") == before
    assert mart.scalar("select count(mes) from public.mv_metricas_mensuales") == 1


def test_one_view_failing_does_not_undo_the_other(mart: Mart) -> None:
    before = mart.fingerprints(("mv_ranking_asesores",), schema="public")
    mart.sql("insert into marketplace.solicitudes (id, cliente_id, estado, created_at) values"
             " (gen_random_uuid(), '00000000-0000-0000-0000-0000000000c1', 'ABIERTA',"
             "  '2026-03-20 15:00+00')")
    mart.sql("revoke select on marketplace.notificaciones from analytics_owner")
    try:
        log_id = mart.last_log_id()
        mart.dbt(["run", "--select", "path:models/marts/marketplace_kpis", *VARS],
                 expect_ok=False)
        outcome = {model: (status, error) for model, _, status, error in mart.log_since(log_id)}
    finally:
        mart.sql("grant select on marketplace.notificaciones to analytics_owner")
    assert outcome["mv_metricas_mensuales"] == ("success", None)
    status, error = outcome["mv_ranking_asesores"]
    assert status == "error" and "permission denied" in str(error)
    # The metrics have the new request; the rankings keep serving their previous rows.
    assert mart.scalar("select solicitudes_creadas from public.mv_metricas_mensuales") == 5
    assert mart.fingerprints(("mv_ranking_asesores",), schema="public") == before


def test_empty_sources_build_empty_views_with_a_warning(mart: Mart) -> None:
    mart.sql("truncate marketplace.entregas, marketplace.notificaciones, marketplace.auditorias,"
             " marketplace.ofertas, marketplace.solicitudes, marketplace.asesores,"
             " marketplace.clientes")
    result = mart.dbt(["build", "--select", SELECTOR, *VARS])
    assert "mv_metricas_mensuales_not_empty" in result.stdout and "WARN" in result.stdout
    for view in VIEWS:
        assert mart.scalar(f"select count(*) from public.{view}") == 0
