"""The dbt docs site shows the marketplace KPI mart: both views with every column described and
typed (their contracts), and the definitions a manager reads rendered on the model's page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.python.browser import COLUMN_ROW, render
from tests.python.marts.built_marts import docs_site_of
from tests.python.marts.marketplace_kpis.conftest import MART_VIEWS, BuiltMart


@pytest.fixture(scope="module")
def docs_url(marketplace_mart: BuiltMart) -> Iterator[str]:
    with docs_site_of(marketplace_mart) as url:
        yield url


def test_catalog_describes_and_types_every_column(marketplace_mart: BuiltMart,
                                                  docs_url: str) -> None:
    target = marketplace_mart.target_path
    catalog = json.loads((target / "catalog.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    for view, width in zip(MART_VIEWS, (22, 32), strict=True):
        unique_id = f"model.analytics.{view}"
        node = catalog["nodes"][unique_id]
        assert node["metadata"]["type"] == "MATERIALIZED VIEW", view
        assert node["metadata"]["schema"] == "public", view
        built = [c["name"] for c in sorted(node["columns"].values(), key=lambda c: c["index"])]
        assert len(built) == width, f"{view} keeps the original's {width} columns"
        model = manifest["nodes"][unique_id]
        assert model["contract"]["enforced"], view
        assert list(model["columns"]) == built, f"{view}: yml columns in the view's order"
        for name, column in model["columns"].items():
            assert column["description"] and column["data_type"], f"{view}.{name}"


def test_model_page_renders_the_definitions(docs_url: str, tmp_path: Path) -> None:
    dom = render(f"{docs_url}#!/model/model.analytics.mv_ranking_asesores",
                 tmp_path / "profile", "--dump-dom")
    assert "percentil_ofertas_ganadoras_ciudad" in COLUMN_ROW.findall(dom)
    assert "cume_dist" in dom and "RANK()" in dom
    dom = render(f"{docs_url}#!/model/model.analytics.mv_metricas_mensuales",
                 tmp_path / "profile", "--dump-dom")
    assert "America/Bogota" in dom
