"""The analytics service's four reads (orchestration/marts/marketplace_kpis/queries.py) on the
scale S mart, run as the reader role `analytics_reader`: each returns the rows its docstring
promises (checked against the whole view read in Python), the lists read through their view's
index, the top-advisors read refuses any metric outside its fixed list before building SQL, and
the plug-in's bench asks exactly these queries, which answer as the same questions over the
source tables."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg2.extensions
import pytest
from psycopg2 import sql

from orchestration.bench.dashboard import index_usage
from orchestration.bench.mart import load_mart
from orchestration.bench.queries import normalise_rows, placeholders
from orchestration.core.database import connect
from orchestration.core.marts import discover
from orchestration.core.project import dbt_project, meta_schema
from orchestration.marts.marketplace_kpis.bench import (
    BENCH,
    LIMIT,
    MONTHS,
    QUERIES,
    AsOfRefresh,
)
from orchestration.marts.marketplace_kpis.queries import (
    CITY_RANKING,
    CITY_SUMMARY,
    MONTHLY_METRICS,
    NATIONAL_RANKING,
    TOP_ADVISOR_METRICS,
    advisor_ranking,
    top_advisors_query,
)
from tests.python.databases import query
from tests.python.marts.built_marts import BuiltViews
from tests.python.marts.marketplace_kpis.conftest import MART, MART_VIEWS, BuiltMart

READER = "analytics_reader"
Query = str | sql.Composed


@pytest.fixture
def reader(marketplace_mart: BuiltMart) -> Iterator[psycopg2.extensions.cursor]:
    """A cursor of the reader role on the mart's database (rolled back at the end)."""
    with connect(marketplace_mart.settings) as conn, conn.cursor() as cur:
        cur.execute(f"set role {READER}")
        cur.execute("select current_user")
        assert cur.fetchone() == (READER,)
        yield cur
        conn.rollback()


def _dicts(cur: psycopg2.extensions.cursor, statement: Query,
           params: Mapping[str, Any]) -> list[dict[str, Any]]:
    cur.execute(statement, params)
    assert cur.description is not None
    names = [column.name for column in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _advisors(built: BuiltMart) -> list[dict[str, Any]]:
    """Every row of the ranking view, read by the test's own (owner) role."""
    with connect(built.settings) as conn, conn.cursor() as cur:
        return _dicts(cur, "select * from public.mv_ranking_asesores", {})


def _biggest_city(advisors: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for advisor in advisors:
        if advisor["ciudad"] is not None:
            counts[advisor["ciudad"]] = counts.get(advisor["ciudad"], 0) + 1
    return min(counts, key=lambda city: (-counts[city], city))


def _months(built: BuiltMart) -> list[date]:
    return [row[0] for row in query(built.settings,
                                    "select mes from public.mv_metricas_mensuales order by mes")]


# -- 1. monthly metrics --------------------------------------------------------------------------

def test_monthly_metrics_keep_the_range_latest_first_up_to_the_limit(
        marketplace_mart: BuiltMart, reader: psycopg2.extensions.cursor) -> None:
    months = _months(marketplace_mart)
    assert len(months) >= 10, months
    first, last = months[2], months[8]
    # Any day of a month stands for its month: both ends are included whole.
    params = {"mes_desde": first + timedelta(days=14), "mes_hasta": last + timedelta(days=14)}
    in_range = [m for m in months if first <= m <= last]

    rows = _dicts(reader, MONTHLY_METRICS, {**params, "limite": 100})
    assert [r["mes"] for r in rows] == sorted(in_range, reverse=True)
    assert all(r["solicitudes_creadas"] > 0 for r in rows)

    limited = _dicts(reader, MONTHLY_METRICS, {**params, "limite": 4})
    assert [r["mes"] for r in limited] == sorted(in_range, reverse=True)[:4]

    assert _dicts(reader, MONTHLY_METRICS,
                  {"mes_desde": last, "mes_hasta": first, "limite": 100}) == []


# -- 2. rankings ---------------------------------------------------------------------------------

def test_city_ranking_is_the_city_by_rank_up_to_the_limit(
        marketplace_mart: BuiltMart, reader: psycopg2.extensions.cursor) -> None:
    advisors = _advisors(marketplace_mart)
    city = _biggest_city(advisors)
    expected = sorted((a for a in advisors if a["ciudad"] == city),
                      key=lambda a: (a["ranking_ciudad"], str(a["asesor_id"])))
    assert len(expected) > 10

    rows = _dicts(reader, advisor_ranking(city), {"ciudad": city, "limite": 10})
    assert advisor_ranking(city) == CITY_RANKING
    assert [r["asesor_id"] for r in rows] == [a["asesor_id"] for a in expected[:10]]
    assert rows[0]["ranking_ciudad"] == 1
    assert all(r["ciudad"] == city for r in rows)
    assert "asesor_email" not in rows[0]

    everyone = _dicts(reader, CITY_RANKING, {"ciudad": city, "limite": 10_000})
    assert [r["asesor_id"] for r in everyone] == [a["asesor_id"] for a in expected]
    assert _dicts(reader, CITY_RANKING, {"ciudad": "Atlantis", "limite": 10}) == []


def test_without_a_city_the_ranking_is_national(
        marketplace_mart: BuiltMart, reader: psycopg2.extensions.cursor) -> None:
    advisors = _advisors(marketplace_mart)
    expected = sorted(advisors, key=lambda a: (a["ranking_nacional"], str(a["asesor_id"])))

    assert advisor_ranking(None) == NATIONAL_RANKING
    rows = _dicts(reader, advisor_ranking(None), {"limite": 25})
    assert [r["asesor_id"] for r in rows] == [a["asesor_id"] for a in expected[:25]]
    assert rows[0]["ranking_nacional"] == 1
    assert {r["ciudad"] for r in rows} != {rows[0]["ciudad"]}, "the whole country, not one city"


# -- 3. top advisors by a metric -----------------------------------------------------------------

def _metric_order(metric: str) -> Any:
    """Highest first, none last, then asesor_id (as uuid text: the order of the uuid type for
    the simulator's lower-case ids)."""
    def key(advisor: dict[str, Any]) -> tuple[bool, Decimal, str]:
        value = advisor[metric]
        return value is None, -(value if value is not None else 0), str(advisor["asesor_id"])
    return key


@pytest.mark.parametrize("metric", TOP_ADVISOR_METRICS)
def test_top_advisors_of_a_city_by_each_metric(
        marketplace_mart: BuiltMart, reader: psycopg2.extensions.cursor, metric: str) -> None:
    advisors = _advisors(marketplace_mart)
    city = _biggest_city(advisors)
    expected = sorted((a for a in advisors if a["ciudad"] == city), key=_metric_order(metric))

    rows = _dicts(reader, top_advisors_query(metric), {"ciudad": city, "limite": 15})
    assert [r["asesor_id"] for r in rows] == [a["asesor_id"] for a in expected[:15]]
    assert all(r["valor"] == r[metric] and r["ciudad"] == city for r in rows)
    values = [r["valor"] for r in rows]
    assert any(v is not None for v in values)
    # Not a constant: the order is the metric's, not the ranking's by chance.
    assert len({a[metric] for a in expected}) > 1


@pytest.mark.parametrize("metric", [
    "ranking_ciudad",                                   # a column, but not in the list
    "OFERTAS_GANADORAS",
    " ofertas_ganadoras",
    '"ofertas_ganadoras"',
    "ofertas_ganadoras desc, asesor_id",
    "ofertas_ganadoras; drop materialized view public.mv_ranking_asesores; --",
    "(select count(*) from pg_roles)",
    "",
])
def test_any_other_metric_is_refused_naming_the_allowed_ones(metric: str) -> None:
    with pytest.raises(ValueError, match="unknown metric") as refused:
        top_advisors_query(metric)
    message = str(refused.value)
    assert all(allowed in message for allowed in TOP_ADVISOR_METRICS), message


def test_the_metric_is_an_identifier_never_pasted_text(
        marketplace_mart: BuiltMart) -> None:
    with connect(marketplace_mart.settings) as conn:
        text = top_advisors_query("tasa_respuesta_pct").as_string(conn)
    assert 'order by "tasa_respuesta_pct" desc nulls last, asesor_id' in text
    assert '"tasa_respuesta_pct" as valor' in text


# -- 4. city summary -----------------------------------------------------------------------------

def _pct(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / denominator).quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_city_summary_adds_up_to_the_advisors_of_each_city(
        marketplace_mart: BuiltMart, reader: psycopg2.extensions.cursor) -> None:
    advisors = _advisors(marketplace_mart)
    rows = _dicts(reader, CITY_SUMMARY, {})
    by_city = {r["ciudad"]: r for r in rows}

    assert [r["ciudad"] for r in rows] == sorted(by_city)
    assert None not in by_city
    assert sum(r["asesores"] for r in rows) == sum(1 for a in advisors if a["ciudad"] is not None)
    for city, row in by_city.items():
        mine = [a for a in advisors if a["ciudad"] == city]
        offers = sum(a["ofertas_historicas_total"] for a in mine)
        timed = [a for a in mine if a["tiempo_promedio_respuesta_seg"] is not None]
        weights = sum(a["ofertas_historicas_total"] for a in timed)
        weighted = (sum(a["tiempo_promedio_respuesta_seg"] * a["ofertas_historicas_total"]
                        for a in timed) / weights).quantize(Decimal("0.01"), ROUND_HALF_UP) \
            if weights else None
        assert row == {
            "ciudad": city,
            "asesores": len(mine),
            "asesores_activos": sum(1 for a in mine if a["ofertas_historicas_total"] > 0),
            "ofertas": offers,
            "ofertas_ganadoras": sum(a["ofertas_ganadoras"] for a in mine),
            "tasa_aceptacion_pct": _pct(sum(a["ofertas_aceptadas_cliente"] for a in mine), offers),
            "tiempo_promedio_respuesta_seg": weighted,
        }, city
    assert any(r["asesores_activos"] < r["asesores"] for r in rows)
    assert any(r["tasa_aceptacion_pct"] for r in rows)


# -- index use -----------------------------------------------------------------------------------

def _plan(cur: psycopg2.extensions.cursor, statement: Query,
          params: Mapping[str, Any]) -> dict[str, Any]:
    text = statement.as_string(cur) if isinstance(statement, sql.Composed) else statement
    # At scale S the views are a few pages (13 months, 300 advisors): the planner reads pages
    # that few whole, or gathers a third of them through a bitmap and sorts, whatever the index.
    # Sequential and bitmap scans off, the plan shows whether an index answers the question, in
    # its order (at M the bench reports the planner's own choice).
    cur.execute("set local enable_seqscan = off")
    cur.execute("set local enable_bitmapscan = off")
    return index_usage(cur, text, params)


def test_the_monthly_range_reads_the_unique_index_on_mes(
        marketplace_mart: BuiltMart, reader: psycopg2.extensions.cursor) -> None:
    months = _months(marketplace_mart)
    plan = _plan(reader, MONTHLY_METRICS,
                 {"mes_desde": months[0], "mes_hasta": months[-1], "limite": 12})
    assert any("idx_mv_metricas_mensuales_mes" in node for node in plan["index_nodes"]), plan
    # The index gives the order: no sort.
    assert "Sort" not in plan["node_types"], plan


def test_rankings_read_their_index_in_rank_order(
        marketplace_mart: BuiltMart, reader: psycopg2.extensions.cursor) -> None:
    city = _biggest_city(_advisors(marketplace_mart))
    for statement, params, index in (
            (CITY_RANKING, {"ciudad": city, "limite": LIMIT}, "idx_mv_ranking_asesores_ciudad"),
            (NATIONAL_RANKING, {"limite": LIMIT}, "idx_mv_ranking_asesores_nacional")):
        plan = _plan(reader, statement, params)
        assert any(index in node for node in plan["index_nodes"]), plan
        # (ciudad, ranking_ciudad, asesor_id) and (ranking_nacional, asesor_id) are the order.
        assert "Sort" not in plan["node_types"] and "Incremental Sort" not in plan["node_types"], \
            plan


METRIC_INDEXES = {
    "ofertas_ganadoras": "idx_mv_ranking_asesores_ganadoras",
    "tasa_conversion_ofertas_pct": "idx_mv_ranking_asesores_tasa_conversion",
    "tasa_exito_completo_pct": "idx_mv_ranking_asesores_tasa_exito",
    "tasa_respuesta_pct": "idx_mv_ranking_asesores_tasa_respuesta",
    "volumen_total_ofertas": "idx_mv_ranking_asesores_volumen",
}


@pytest.mark.parametrize("metric", TOP_ADVISOR_METRICS)
def test_top_advisors_read_an_index_of_the_ranking_view(
        marketplace_mart: BuiltMart, reader: psycopg2.extensions.cursor, metric: str) -> None:
    city = _biggest_city(_advisors(marketplace_mart))
    plan = _plan(reader, top_advisors_query(metric), {"ciudad": city, "limite": LIMIT})
    # Each metric has its index (city, metric highest first, advisor): the page is one range.
    assert any(f" on {METRIC_INDEXES[metric]} " in f"{node} " for node in plan["index_nodes"]), plan
    assert "Sort" not in plan["node_types"] and "Incremental Sort" not in plan["node_types"], plan


# -- the bench -----------------------------------------------------------------------------------

def test_the_plugin_carries_its_bench_of_these_queries() -> None:
    assert discover()[MART].bench is BENCH
    assert BENCH.views == set(MART_VIEWS)
    names = {q.name for q in QUERIES}
    assert {"monthly_metrics_12_months", "city_ranking", "national_ranking", "city_summary"} \
        <= names
    assert {f"top_advisors_by_{metric}" for metric in TOP_ADVISOR_METRICS} <= names
    for bench_query, statement in zip(QUERIES[:3],
                                      (MONTHLY_METRICS, CITY_RANKING, NATIONAL_RANKING),
                                      strict=True):
        assert bench_query.sql.replace("{source}", "") == \
            statement.replace(f"public.{bench_query.view}", ""), bench_query.name


def test_bench_queries_answer_as_over_the_raw_tables(marketplace_mart: BuiltMart) -> None:
    """The ranking view is a snapshot at its refresh (`calculado_at`, the 30-day window): its
    raw variants answer as of that refresh (`AsOfRefresh`), whenever they run."""
    mart = load_mart(marketplace_mart.target_path / "manifest.json", MART,
                     meta_schema(dbt_project()))
    params = BENCH.pick_parameters(BuiltViews(marketplace_mart, mart))
    assert {name for q in QUERIES for name in placeholders(q.sql)} <= set(params)
    assert params["ciudad"] == _biggest_city(_advisors(marketplace_mart))
    assert params["mes_hasta"] == _months(marketplace_mart)[-1]
    assert len([m for m in _months(marketplace_mart)
                if params["mes_desde"] <= m <= params["mes_hasta"]]) == MONTHS
    assert all(isinstance(q, AsOfRefresh) for q in QUERIES if q.view == "mv_ranking_asesores")
    with connect(marketplace_mart.settings) as conn, conn.cursor() as cur:
        for bench_query in QUERIES:
            cur.execute(bench_query.on_view(mart), params)
            on_view = cur.fetchall()
            cur.execute(bench_query.on_raw(mart), params)
            raw = cur.fetchall()
            assert on_view, bench_query.name
            assert normalise_rows(on_view) == normalise_rows(raw), bench_query.name
        conn.rollback()
