"""Refresh by lineage: a change to a table of the reseller's refreshes, in one run, exactly the
commerce views dbt's lineage puts downstream of it — not the original's hand-written lists —
and the docs' event-lineage table says the same as the manifest."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import pytest
from dagster import AssetKey, DagsterInstance, SensorDefinition

from orchestration.cli.refresh import selected_models
from orchestration.core import database
from orchestration.core.paths import PROJECT_DIR
from orchestration.core.settings import ConnectionSettings
from orchestration.defs.catalog import AnalyticsCatalog, load_catalog
from orchestration.defs.definitions import definitions_for
from orchestration.defs.schedules import MART_TAG
from orchestration.defs.sensors import CHANGED_TAG
from tests.python.marts.commerce.conftest import MART, MART_VIEWS, LoadedSources
from tests.python.orchestration.conftest import Clock, tick, views_sensor, write_and_wait

MIN_INTERVAL = 300.0
# What each table's change refreshes: the docs' table (docs/commerce-mart.md), the spec.
ALL = set(MART_VIEWS)
EXPECTED = {
    "transactions.orders": ALL,
    "products.inventory": ALL,
    "transactions.platforms": {"metabase_executive_metrics", "metabase_platform_performance",
                               "metabase_customer_geography"},
}
SHORT = {"executive": "metabase_executive_metrics", "platform": "metabase_platform_performance",
         "inventory": "metabase_inventory_status", "summary": "metabase_inventory_summary",
         "product": "metabase_product_performance",
         "brand": "metabase_brand_analytics", "geography": "metabase_customer_geography",
         "supplier": "metabase_supplier_performance"}


@pytest.fixture(scope="module")
def catalog() -> AnalyticsCatalog:
    return load_catalog()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sensor(catalog: AnalyticsCatalog, clock: Clock) -> SensorDefinition:
    return views_sensor(catalog, definitions_for(catalog), clock, MIN_INTERVAL)


@pytest.fixture
def commerce_database(commerce_s: LoadedSources, monkeypatch: pytest.MonkeyPatch
                      ) -> Iterator[ConnectionSettings]:
    """The sensor's Postgres is the mart's test database, holding scale S."""
    monkeypatch.setattr(database, "ensure_database", lambda: commerce_s.settings)
    yield commerce_s.settings


def touch(settings: ConnectionSettings, relation: str) -> None:
    """A write that changes no value (so the mart's other tests see the same data) but is a
    write: an update of one row to itself."""
    write_and_wait(settings, relation,
                   f"update {relation} set id = id where id = (select min(id) from {relation})")


def view_names(catalog: AnalyticsCatalog, keys: Iterable[AssetKey]) -> set[str]:
    names = {key: name for name, key in catalog.keys.items()}
    return {names[key] for key in keys}


def test_each_table_change_refreshes_exactly_the_views_downstream_of_it(
    sensor: SensorDefinition, catalog: AnalyticsCatalog, commerce_database: ConnectionSettings,
    clock: Clock,
) -> None:
    with DagsterInstance.ephemeral() as instance:
        cursor = tick(sensor, instance, None).cursor
        for relation, expected in EXPECTED.items():
            touch(commerce_database, relation)
            clock.now += MIN_INTERVAL + 1
            result = tick(sensor, instance, cursor)
            mine = [r for r in result.run_requests or [] if r.tags.get(MART_TAG) == MART]
            assert len(mine) == 1, f"{relation}: one run for the mart, got {len(mine)}"
            request = mine[0]
            assert request.tags[CHANGED_TAG] == relation
            assert view_names(catalog, request.asset_selection or []) == expected, relation
            checked = {c.asset_key for c in request.asset_check_keys or []}
            assert view_names(catalog, checked & set(catalog.keys.values())) == expected, \
                f"{relation}: the views' tests run with them"
            cursor = result.cursor
            again = tick(sensor, instance, cursor)
            assert not [r for r in again.run_requests or [] if r.tags.get(MART_TAG) == MART], \
                f"{relation}: never a second run over the same change"


def test_the_docs_lineage_table_is_the_manifests(catalog: AnalyticsCatalog) -> None:
    """Every row of the event-lineage table in docs/commerce-mart.md names the views the
    manifest puts downstream of its table; the seed's column is there for comparison only."""
    text = (PROJECT_DIR / "docs" / "commerce-mart.md").read_text()
    rows = re.findall(r"^\| `(\w+\.\w+)` \| [^|]* \| ([^|]+) \|$", text, flags=re.MULTILINE)
    downstream = catalog.downstream(MART)
    assert {relation for relation, _ in rows} == set(downstream)
    for relation, listed in rows:
        names = ALL if listed.strip() == "all eight" else {
            SHORT[word.strip()] for word in listed.split(",")}
        assert names == view_names(catalog, downstream[relation]), relation
    for relation, expected in EXPECTED.items():
        assert view_names(catalog, downstream[relation]) == expected


def test_selecting_a_source_refreshes_the_same_views(catalog: AnalyticsCatalog) -> None:
    """`analytics refresh --select source:transactions.orders+`, what a program that called the
    original's POST /sync/on-order-event runs, selects what the sensor would refresh."""
    for relation, expected in EXPECTED.items():
        chosen = selected_models(catalog, select=f"source:{relation}+", marts=[MART])
        assert set(chosen) == expected, relation
