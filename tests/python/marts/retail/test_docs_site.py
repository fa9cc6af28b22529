"""The dbt docs site (`analytics docs`): generated, served, rendered in headless Chromium.

Takes a screenshot of the mart's lineage graph; ANALYTICS_UPDATE_SCREENSHOTS=1 copies it to
docs/dbt-docs.png (like the Dagster UI test), otherwise it stays in the test's temp dir.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.cli import docs_site
from orchestration.core.paths import PROJECT_DIR
from tests.python.browser import COLUMN_ROW, HOST, free_port, render
from tests.python.marts.retail.conftest import INCREMENTAL_TABLES, MART_VIEWS, RetailMart
from tests.python.marts.retail.original_views import ORIGINAL_COLUMNS

DOCS_SCREENSHOT = PROJECT_DIR / "docs" / "dbt-docs.png"


@pytest.fixture(scope="module")
def docs_url(retail_mart: RetailMart) -> Iterator[str]:
    """The site generated from the built mart and served on a free port; stopped afterwards."""
    docs_site.generate_docs(retail_mart.settings, target_path=retail_mart.target_path)
    port = free_port()
    server = docs_site.start_docs_server(retail_mart.settings, HOST, port,
                                         target_path=retail_mart.target_path)
    try:
        yield f"http://{HOST}:{port}/"
    finally:
        docs_site.stop_docs_server(server)
        assert server.poll() is not None, "the docs server is still running"


def test_catalog_lists_every_column_of_every_view(
    retail_mart: RetailMart, docs_url: str
) -> None:
    catalog = json.loads((retail_mart.target_path / "catalog.json").read_text())
    manifest = json.loads((retail_mart.target_path / "manifest.json").read_text())
    for view in MART_VIEWS:
        unique_id = f"model.analytics.{view}"
        node = catalog["nodes"][unique_id]
        kind = "BASE TABLE" if view in INCREMENTAL_TABLES else "MATERIALIZED VIEW"
        assert node["metadata"]["type"] == kind, view
        columns = sorted(node["columns"].values(), key=lambda column: column["index"])
        assert [column["name"] for column in columns] == ORIGINAL_COLUMNS[view], view
        documented = manifest["nodes"][unique_id]["columns"]
        assert list(documented) == ORIGINAL_COLUMNS[view], f"{view}: yml columns in the original order"
        assert all(column["description"] for column in documented.values()), view
        assert manifest["nodes"][unique_id]["description"], view


def test_model_page_lists_columns_and_neighbours(docs_url: str, tmp_path: Path) -> None:
    dom = render(f"{docs_url}#!/model/model.analytics.mv_sku_velocity", tmp_path / "profile",
                  "--dump-dom")
    assert COLUMN_ROW.findall(dom) == ORIGINAL_COLUMNS["mv_sku_velocity"]
    links = set(re.findall(r'href="#!/model/model\.analytics\.(\w+)"', dom))
    assert {"mv_daily_sales_estimates", "mv_product_intelligence"} <= links
    assert "Lineage Graph" in dom
    assert "hourly" in dom, "the cadence from meta is shown in the details"


def test_lineage_graph_renders(docs_url: str, tmp_path: Path) -> None:
    url = f"{docs_url}#!/model/model.analytics.mv_sku_velocity?g_v=1"
    dom = render(url, tmp_path / "profile", "--dump-dom")
    assert "Lineage Graph" in dom
    layers = set(re.findall(r'data-id="(layer\d-\w+)"', dom))
    assert "layer2-node" in layers, f"no graph canvas rendered: {sorted(layers)}"

    screenshot = tmp_path / "dbt-docs.png"
    render(url, tmp_path / "profile", f"--screenshot={screenshot}")
    image = screenshot.read_bytes()
    assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 20_000
    if os.environ.get("ANALYTICS_UPDATE_SCREENSHOTS"):
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(screenshot, DOCS_SCREENSHOT)


def test_the_lineage_ends_at_the_mart_dashboard(
    retail_mart: RetailMart, docs_url: str, tmp_path: Path
) -> None:
    manifest = json.loads((retail_mart.target_path / "manifest.json").read_text())
    exposure = manifest["exposures"]["exposure.analytics.retail"]
    assert exposure["type"] == "dashboard" and exposure["url"].endswith("/superset/dashboard/retail/")
    reads = set(exposure["depends_on"]["nodes"])
    assert reads and reads <= {f"model.analytics.{view}" for view in MART_VIEWS}
    # The exposure's page on the site links each view it reads; each view's children include it.
    dom = render(f"{docs_url}#!/exposure/exposure.analytics.retail", tmp_path / "profile",
                 "--dump-dom")
    links = set(re.findall(r'href="#!/model/(model\.analytics\.\w+)"', dom))
    assert reads <= links, sorted(reads - links)
    assert all("exposure.analytics.retail" in manifest["child_map"][node] for node in reads)
