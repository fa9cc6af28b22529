"""The retail mart built on scale S demo data, once per session, in a database of its own.

The mart's schemas are fixed (`retail_raw`, `retail_truth`, `analytics`, `analytics_meta`), so
the tests use their own database on the session's server instead of sharing schemas with
other tests. dbt writes to a temporary target directory, never to the project's `target/`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.core.settings import ConnectionSettings
from orchestration.demo_data.engine import LoadReport
from orchestration.demo_data.marts import load_mart
from tests.python.databases import create_database, drop_database
from tests.python.dbt_runs import run_dbt_captured

RETAIL_DATABASE = "analytics_retail_tests"
SCALE = "S"
SEED = 1
MART_SELECTOR = "+path:models/marts/retail"
MART_VIEWS = (
    "mv_daily_sales_estimates",
    "mv_brand_market_share",
    "mv_sku_velocity",
    "mv_store_performance",
    "mv_category_weekly_trends",
    "mv_product_intelligence",
)
# Kept by refresh_strategy='incremental': tables (relkind 'r') the materialization maintains
# from their source's invalidation log, under the original's name, columns and index names.
INCREMENTAL_TABLES = frozenset({"mv_daily_sales_estimates"})


@dataclass(frozen=True)
class RetailMart:
    settings: ConnectionSettings
    target_path: Path
    load: LoadReport
    build: subprocess.CompletedProcess[str]


@pytest.fixture(scope="session")
def retail_settings(pg_settings: ConnectionSettings) -> Iterator[ConnectionSettings]:
    """A fresh database for the mart, dropped at the end of the session."""
    try:
        yield create_database(pg_settings, RETAIL_DATABASE)
    finally:
        drop_database(pg_settings, RETAIL_DATABASE)


@pytest.fixture(scope="session")
def retail_mart(
    retail_settings: ConnectionSettings, tmp_path_factory: pytest.TempPathFactory
) -> RetailMart:
    """Scale S (seed 1, ending now) loaded and `dbt build` of the mart run on it."""
    load = load_mart(retail_settings, "retail", SCALE, seed=SEED)
    target_path = tmp_path_factory.mktemp("retail_dbt")
    build = run_dbt_captured(retail_settings, ["build", "--select", MART_SELECTOR], target_path)
    assert build.returncode == 0, f"dbt build of the mart failed:\n{build.stdout[-8000:]}"
    return RetailMart(settings=retail_settings, target_path=target_path, load=load, build=build)
