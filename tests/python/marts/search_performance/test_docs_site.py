"""The dbt docs site shows the search-performance mart: both views with every column described,
and the segment metadata function (created by a macro, so documented on the macro's page)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.python.browser import COLUMN_ROW, render
from tests.python.marts.built_marts import docs_site_of

VIEWS = ("brand_product_segments", "brand_performance_enhanced")
FUNCTION_MACRO = "macro.analytics.search_performance_segment_metadata_function"


@pytest.fixture(scope="module")
def docs_url(search_performance_mart: Any) -> Iterator[str]:
    with docs_site_of(search_performance_mart) as url:
        yield url


def test_catalog_describes_every_column(search_performance_mart: Any, docs_url: str) -> None:
    target: Path = search_performance_mart.target_path
    catalog = json.loads((target / "catalog.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    for view in VIEWS:
        unique_id = f"model.analytics.{view}"
        node = catalog["nodes"][unique_id]
        assert node["metadata"]["type"] == "MATERIALIZED VIEW", view
        assert node["metadata"]["schema"] == "public", view
        built = [c["name"] for c in sorted(node["columns"].values(), key=lambda c: c["index"])]
        documented = manifest["nodes"][unique_id]["columns"]
        assert list(documented) == built, f"{view}: yml columns in the view's order"
        assert all(column["description"] for column in documented.values()), view
    macro = manifest["macros"][FUNCTION_MACRO]
    assert "get_product_segment_metadata" in macro["description"]


def test_model_and_function_pages_render(docs_url: str, tmp_path: Path) -> None:
    dom = render(f"{docs_url}#!/model/model.analytics.brand_product_segments",
                 tmp_path / "profile", "--dump-dom")
    assert "segment_type" in COLUMN_ROW.findall(dom)
    assert "brand_performance_enhanced" in dom, "the downstream view is linked"
    dom = render(f"{docs_url}#!/macro/{FUNCTION_MACRO}", tmp_path / "profile", "--dump-dom")
    assert "get_product_segment_metadata" in dom
    assert "total_segment_impressions" in dom
