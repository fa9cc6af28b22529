"""`analytics refresh --select source:...` and `--full-refresh`, on the fixture project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, Definitions

from orchestration.cli.refresh import SelectionError, run_refresh, selected_models
from orchestration.core.paths import DAGSTER_YAML
from orchestration.core.project import meta_schema
from orchestration.core.settings import ConnectionSettings
from orchestration.defs.catalog import AnalyticsCatalog
from tests.python.orchestration.conftest import last_log_id, run_sql

REPO = Path(__file__).resolve().parents[3]
ANALYTICS = str(Path(sys.executable).parent / "analytics")


def downstream(manifest: Mapping[str, Any], unique_id: str) -> set[str]:
    """The models reading `unique_id`, directly or not, from the manifest's child map."""
    found: set[str] = set()
    for child in manifest["child_map"].get(unique_id, []):
        if child.startswith("model."):
            found |= {manifest["nodes"][child]["name"], *downstream(manifest, child)}
    return found


def source_tables(catalog: AnalyticsCatalog) -> dict[str, dict[str, str]]:
    """Per source name, its tables' unique ids by table name."""
    found: dict[str, dict[str, str]] = {}
    for unique_id, node in catalog.manifest["sources"].items():
        found.setdefault(node["source_name"], {})[node["name"]] = unique_id
    return found


def test_a_source_selects_the_models_downstream_of_it(catalog: AnalyticsCatalog) -> None:
    tables = source_tables(catalog)
    assert tables
    read = 0
    for source, by_table in tables.items():
        everything: set[str] = set()
        for table, unique_id in by_table.items():
            expected = downstream(catalog.manifest, unique_id)
            read += bool(expected)
            everything |= expected
            assert set(selected_models(catalog, select=f"source:{source}.{table}+")) == expected
            assert selected_models(catalog, select=f"source:{source}.{table}") == []
        assert set(selected_models(catalog, select=f"source:{source}+")) == everything
    assert read >= 2, "the fixture's views read several source tables"
    # A union with a model, and narrowed by a cadence like any selection.
    source, by_table = next(iter(tables.items()))
    table, unique_id = next((t, u) for t, u in by_table.items()
                            if downstream(catalog.manifest, u))
    model = sorted(set(catalog.models) - downstream(catalog.manifest, unique_id))[0]
    both = set(selected_models(catalog, select=f"source:{source}.{table}+ {model}"))
    assert both == downstream(catalog.manifest, unique_id) | {model}
    daily = {m.name for m in catalog.models.values() if m.cadence == "daily"}
    assert set(selected_models(catalog, cadence="daily", select=f"source:{source}+")) == (
        daily & set(selected_models(catalog, select=f"source:{source}+")))


def test_an_unknown_source_or_table_is_named(catalog: AnalyticsCatalog) -> None:
    tables = source_tables(catalog)
    source = sorted(tables)[0]
    known = ", ".join(sorted(tables))
    with pytest.raises(SelectionError) as unknown_source:
        selected_models(catalog, select="source:no_such_source+")
    assert "'no_such_source' is not a source of this project" in str(unknown_source.value)
    assert f"(sources: {known})" in str(unknown_source.value)
    with pytest.raises(SelectionError) as unknown_table:
        selected_models(catalog, select=f"source:{source}.no_such_table+")
    message = str(unknown_table.value)
    assert f"source {source!r} has no table 'no_such_table'" in message
    assert ", ".join(sorted(tables[source])) in message and known in message


@pytest.mark.parametrize("select", [
    "source:", "source:+", "source:x.y;drop table z", "source:x.y+;drop", "source:'x'.y+",
    'source:"x".y+', "source:x.y.z+", "source:x..y+", "source:x.*", "source:*", "+source:x.y",
    "source:x.y+$(touch /tmp/pwned)", "source:x.y+`id`", "source:x\u00a0y+", "source:x.y\n+",
    "source:x y+",
])
def test_hostile_source_selectors_are_refused(catalog: AnalyticsCatalog, select: str) -> None:
    with pytest.raises(SelectionError):
        selected_models(catalog, select=select)


@pytest.fixture
def cli_env(tmp_path: Path, fixture_project_dir: Path) -> dict[str, str]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DAGSTER_YAML, home / "dagster.yaml")
    return {**os.environ, "DAGSTER_HOME": str(home), "COLUMNS": "160",
            "ANALYTICS_PROJECT_DIR": str(fixture_project_dir)}


def analytics(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ANALYTICS, *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=300, check=False)


def test_hostile_or_empty_source_selections_run_nothing(
    catalog: AnalyticsCatalog, fixture_sources: ConnectionSettings, cli_env: dict[str, str],
) -> None:
    schema = meta_schema(catalog.project)
    before = last_log_id(fixture_sources, schema)
    source, by_table = next(iter(source_tables(catalog).items()))
    table = sorted(by_table)[0]
    hostile = analytics(cli_env, "refresh", "--select", f"source:{source}.{table};drop table x")
    assert hostile.returncode == 2, hostile.stdout + hostile.stderr
    assert "not accepted" in hostile.stdout and "Traceback" not in hostile.stderr
    bare = analytics(cli_env, "refresh", "--select", f"source:{source}.{table}")
    assert bare.returncode == 2, bare.stdout + bare.stderr
    assert "the selection matches no view" in bare.stdout
    assert last_log_id(fixture_sources, schema) == before
    assert DagsterInstance.from_config(cli_env["DAGSTER_HOME"]).get_runs_count() == 0


@pytest.fixture(scope="module")
def every_view_built(
    defs: Definitions, catalog: AnalyticsCatalog, fixture_sources: ConnectionSettings,
    fixture_views: None,
) -> None:
    report = run_refresh(defs, catalog, sorted(catalog.models), DagsterInstance.ephemeral())
    assert report.success, report.errors


def actions_since(settings: ConnectionSettings, schema: str, since: int) -> dict[str, set[str]]:
    rows = run_sql(settings, f"select model, action from {schema}.refresh_log where id > %s"
                             " and status = 'success'", (since,))
    found: dict[str, set[str]] = {}
    for model, action in rows:
        found.setdefault(str(model), set()).add(str(action))
    return found


def test_full_refresh_rebuilds_each_selected_view_and_a_refresh_does_not(
    every_view_built: None, defs: Definitions, catalog: AnalyticsCatalog,
    fixture_sources: ConnectionSettings, cli_env: dict[str, str],
) -> None:
    schema = meta_schema(catalog.project)
    source, by_table = next(iter(source_tables(catalog).items()))
    table, unique_id = max(by_table.items(),
                           key=lambda item: len(downstream(catalog.manifest, item[1])))
    chosen = downstream(catalog.manifest, unique_id)
    assert chosen

    before = last_log_id(fixture_sources, schema)
    refreshed = run_refresh(defs, catalog, sorted(chosen), DagsterInstance.ephemeral())
    assert refreshed.success, refreshed.errors
    actions = actions_since(fixture_sources, schema, before)
    assert set(actions) == chosen
    assert all("rebuild" not in a and any(x.startswith("refresh") for x in a)
               for a in actions.values()), actions

    before = last_log_id(fixture_sources, schema)
    result = analytics(cli_env, "refresh", "--select", f"source:{source}.{table}+",
                       "--full-refresh")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rebuilding (full refresh)" in result.stdout
    actions = actions_since(fixture_sources, schema, before)
    assert set(actions) == chosen
    assert all("rebuild" in a for a in actions.values()), actions
    for model in chosen:
        line = next(li for li in result.stdout.splitlines() if f" {model} " in li)
        assert "rebuild" in line
    runs = DagsterInstance.from_config(cli_env["DAGSTER_HOME"]).get_runs()
    assert len(runs) == 1 and runs[0].tags["analytics/full_refresh"] == "true"
