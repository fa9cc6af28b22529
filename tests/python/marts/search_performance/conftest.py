"""The search-performance mart's sources holding scale S demo data, loaded once per session in
a database of its own.

The mart's tables are fixed (`sqp.*`, `public.brands`, `public.asin_brand_mapping`), so its
tests use their own database on the session's server instead of sharing tables with other
tests. The load is anchored at the start of the current hour: the reports end at the last
full week before today, as they would in production. `search_performance_mart` is the mart
built on that data by `dbt build` (its dbt target in a temporary directory); tests only read it.
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

MART = "search_performance"
DATABASE = "analytics_search_performance_tests"
SCALE = "S"
SEED = 1
ANCHOR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
MART_SELECTOR = "+path:models/marts/search_performance"
MART_VIEWS = ("brand_product_segments", "brand_performance_enhanced")


def load(settings: ConnectionSettings, seed: int = SEED) -> LoadReport:
    """Scale S of `seed`, anchored at ANCHOR (migrating first)."""
    return load_mart(settings, MART, SCALE, seed=seed, anchor=ANCHOR)


@pytest.fixture(scope="session")
def search_performance_settings(pg_settings: ConnectionSettings
                                ) -> Iterator[ConnectionSettings]:
    """A fresh database for the mart, dropped at the end of the session."""
    with own_database(pg_settings, DATABASE) as settings:
        yield settings


@pytest.fixture(scope="session")
def search_performance_sources(search_performance_settings: ConnectionSettings
                               ) -> LoadedSources:
    """Scale S, seed SEED, anchored at ANCHOR: loaded once; tests only read it."""
    return LoadedSources(settings=search_performance_settings,
                         load=load(search_performance_settings))


@pytest.fixture(scope="session")
def search_performance_mart(search_performance_sources: LoadedSources,
                            tmp_path_factory: pytest.TempPathFactory) -> BuiltMart:
    """`dbt build` of the mart and everything it reads (models, data tests, unit tests) on the
    loaded sources, once per session; tests only read the views it built."""
    return build_mart(search_performance_sources, MART_SELECTOR,
                      tmp_path_factory.mktemp("search_performance_dbt"))
