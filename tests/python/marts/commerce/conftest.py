"""The commerce mart's sources holding scale S demo data, loaded once per session in a database
of its own.

The mart's source schemas are fixed (`products`, `transactions`), so its tests use their own
database on the session's server instead of sharing tables with other tests. The load is
anchored at the start of the current hour: the data runs up to it, so windows counted back from
now() see data.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from orchestration.core.settings import ConnectionSettings
from orchestration.demo_data.engine import LoadReport
from orchestration.demo_data.marts import load_mart
from tests.python.databases import query
from tests.python.marts.built_marts import (
    BuiltMart,
    LoadedSources,
    build_mart,
    one,
    own_database,
)

__all__ = ["BuiltMart", "LoadedSources", "one", "query"]

MART = "commerce"
DATABASE = "analytics_commerce_tests"
SCALE = "S"
SEED = 1
ANCHOR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
MART_SELECTOR = "+path:models/marts/commerce"
MART_VIEWS = (
    "metabase_brand_analytics",
    "metabase_customer_geography",
    "metabase_executive_metrics",
    "metabase_inventory_status",
    "metabase_inventory_summary",
    "metabase_platform_performance",
    "metabase_product_performance",
    "metabase_supplier_performance",
)


def load(settings: ConnectionSettings, seed: int = SEED) -> LoadReport:
    """Scale S of `seed`, anchored at ANCHOR (migrating first)."""
    return load_mart(settings, MART, SCALE, seed=seed, anchor=ANCHOR)


@pytest.fixture(scope="session")
def commerce_settings(pg_settings: ConnectionSettings) -> Iterator[ConnectionSettings]:
    """A fresh database for the mart, dropped at the end of the session."""
    with own_database(pg_settings, DATABASE) as settings:
        yield settings


@pytest.fixture(scope="session")
def commerce_s(commerce_settings: ConnectionSettings) -> LoadedSources:
    """Scale S, seed SEED, anchored at ANCHOR: migrated and loaded once; tests only read it."""
    return LoadedSources(settings=commerce_settings, load=load(commerce_settings))


@pytest.fixture(scope="session")
def commerce_mart(commerce_s: LoadedSources, tmp_path_factory: pytest.TempPathFactory
                  ) -> BuiltMart:
    """`dbt build` of the mart on scale S, once per session; tests only read the views."""
    return build_mart(commerce_s, MART_SELECTOR, tmp_path_factory.mktemp("commerce_dbt"))
