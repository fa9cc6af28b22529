"""Orphaned and missing views in `analytics status`, and `analytics prune`, on the fixture.

Two projects: the fixture itself, where materialized views made by hand in its schema are the
orphans; and a copy of it where a built model is removed (disabled) while a view it had still
reads it by name, a new model is added and never built (missing).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from orchestration.cli.prune import prune
from orchestration.cli.status import collect, collect_orphans, summarize
from orchestration.core.project import ModelInfo, meta_schema, sources
from orchestration.core.settings import ConnectionSettings
from orchestration.defs.catalog import AnalyticsCatalog, load_catalog
from tests.python.orchestration.conftest import HourlyRun, run_sql

REPO = Path(__file__).resolve().parents[3]
ANALYTICS = str(Path(sys.executable).parent / "analytics")
NEW_MODEL = "fx_prune_never_built"
HAND_MADE = ("zz_prune_orphan_a", "zz_prune_orphan_b", "zz_prune_reader")


def analytics(project_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANALYTICS_PROJECT_DIR": str(project_dir), "COLUMNS": "250"}
    return subprocess.run([ANALYTICS, *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=300, check=False)


def relation_exists(settings: ConnectionSettings, relation: str) -> bool:
    return run_sql(settings, "select to_regclass(%s) is not null", (relation,))[0][0] is True


def statuses(settings: ConnectionSettings, catalog: AnalyticsCatalog) -> list:
    return (collect(settings, catalog.project, catalog.models)
            + collect_orphans(settings, catalog.project, catalog.models,
                              sources(catalog.manifest)))


@pytest.fixture
def hand_made(catalog: AnalyticsCatalog, hourly_run: HourlyRun,
              fixture_sources: ConnectionSettings) -> Iterator[str]:
    """The fixture's view schema; whatever a test makes there by hand is dropped afterwards."""
    schema = next(m.schema for m in catalog.models.values())
    yield schema
    for name in reversed(HAND_MADE):
        run_sql(fixture_sources, f"drop view if exists {schema}.{name}")
        run_sql(fixture_sources, f"drop materialized view if exists {schema}.{name}")


def prune_lines(settings: ConnectionSettings, project_dir: Path, *, yes: bool) -> tuple[int, str]:
    lines: list[str] = []
    code = prune(settings, yes=yes, log=lines.append, project_dir=project_dir)
    return code, "\n".join(lines)


def test_a_view_made_by_hand_is_orphaned_and_pruned(
    hand_made: str, catalog: AnalyticsCatalog, fixture_project_dir: Path,
    fixture_sources: ConnectionSettings,
) -> None:
    schema, (first, second, _) = hand_made, HAND_MADE
    assert prune_lines(fixture_sources, fixture_project_dir, yes=False)[0] == 0
    run_sql(fixture_sources, f"create materialized view {schema}.{first} as select 1 as x")
    # An orphan reading another: both go, the reader first.
    run_sql(fixture_sources, f"create materialized view {schema}.{second} as"
                             f" select x from {schema}.{first}")
    # Never considered: a table and a plain view declared by no model.
    run_sql(fixture_sources, f"create table {schema}.zz_prune_table (x int);"
                             f" create view {schema}.zz_prune_view as select 1 as x")
    try:
        found = {s.relation: s for s in statuses(fixture_sources, catalog) if s.orphaned}
        assert set(found) == {f"{schema}.{first}", f"{schema}.{second}"}
        assert all(s.mart is None and s.state == "orphaned" and s.model is None
                   for s in found.values())

        code, dry = prune_lines(fixture_sources, fixture_project_dir, yes=False)
        assert code == 0, dry
        assert f"would drop materialized view {schema}.{second}" in dry
        assert dry.index(f"{schema}.{second}") < dry.index(f"{schema}.{first}")
        assert relation_exists(fixture_sources, f"{schema}.{first}")
        assert relation_exists(fixture_sources, f"{schema}.{second}")

        state = f"select * from {meta_schema(catalog.project)}.mv_state order by 1, 2"
        kept = run_sql(fixture_sources, state)
        code, done = prune_lines(fixture_sources, fixture_project_dir, yes=True)
        assert code == 0, done
        assert done.index(f"dropped materialized view {schema}.{second}") < done.index(
            f"dropped materialized view {schema}.{first}")
        assert not relation_exists(fixture_sources, f"{schema}.{first}")
        assert not relation_exists(fixture_sources, f"{schema}.{second}")
        assert relation_exists(fixture_sources, f"{schema}.zz_prune_table")
        assert relation_exists(fixture_sources, f"{schema}.zz_prune_view")
        assert run_sql(fixture_sources, state) == kept, "the declared views' state is kept"
        assert not [s for s in statuses(fixture_sources, catalog) if s.orphaned]
    finally:
        run_sql(fixture_sources, f"drop view if exists {schema}.zz_prune_view;"
                                 f" drop table if exists {schema}.zz_prune_table")


def test_prune_refuses_when_another_view_reads_an_orphan(
    hand_made: str, fixture_project_dir: Path, fixture_sources: ConnectionSettings,
) -> None:
    schema, (orphan, _, reader) = hand_made, HAND_MADE
    run_sql(fixture_sources, f"create materialized view {schema}.{orphan} as select 1 as x")
    run_sql(fixture_sources, f"create view {schema}.{reader} as select x from {schema}.{orphan}")
    for yes in (False, True):
        code, text = prune_lines(fixture_sources, fixture_project_dir, yes=yes)
        assert code == 1, text
        assert (f"view {schema}.{reader} depends on materialized view {schema}.{orphan}"
                in text), text
        assert "nothing" in text and "dropped materialized view" not in text
        assert relation_exists(fixture_sources, f"{schema}.{orphan}")
    run_sql(fixture_sources, f"drop view {schema}.{reader}")
    code, text = prune_lines(fixture_sources, fixture_project_dir, yes=True)
    assert code == 0, text
    assert not relation_exists(fixture_sources, f"{schema}.{orphan}")


@dataclass(frozen=True)
class RemovedModel:
    directory: Path
    catalog: AnalyticsCatalog
    removed: ModelInfo  # built, then removed from the copy
    reader: ModelInfo  # declared in the copy, reads the removed one's relation by name
    new: ModelInfo  # declared in the copy, never built


@pytest.fixture(scope="module")
def removed_model(
    tmp_path_factory: pytest.TempPathFactory, fixture_project_dir: Path,
    catalog: AnalyticsCatalog, hourly_run: HourlyRun,
) -> RemovedModel:
    """A copy of the fixture without a built model another built model reads, plus a new one."""
    built = {str(row[0]) for row in hourly_run.log_rows}
    nodes = catalog.manifest["nodes"]
    removed, reader = next(
        (catalog.models[nodes[parent]["name"]], catalog.models[node["name"]])
        for node in nodes.values() if node["resource_type"] == "model" and node["name"] in built
        for parent in node["depends_on"]["nodes"]
        if parent.startswith("model.") and nodes[parent]["name"] in built)
    directory = tmp_path_factory.mktemp("removed") / "project"
    shutil.copytree(fixture_project_dir, directory, ignore=shutil.ignore_patterns("target"))
    config_path = directory / "dbt_project.yml"
    config = yaml.safe_load(config_path.read_text())
    node = nodes[catalog.models[removed.name].unique_id]
    scope = config["models"][config["name"]]
    for part in node["fqn"][1:-1]:
        scope = scope.setdefault(part, {})
    scope[removed.name] = {"+enabled": False}
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    reader_path = directory / nodes[reader.unique_id]["original_file_path"]
    reader_sql = re.sub(r"\{\{\s*ref\(\s*['\"]" + removed.name + r"['\"]\s*\)\s*\}\}",
                        removed.relation, reader_path.read_text())
    assert reader_sql != reader_path.read_text()
    reader_path.write_text(reader_sql)
    (reader_path.parent / f"{NEW_MODEL}.sql").write_text("select 1 as id\n")
    copy = load_catalog(directory)
    assert removed.name not in copy.models and reader.name in copy.models
    return RemovedModel(directory, copy, removed, copy.models[reader.name],
                        copy.models[NEW_MODEL])


def test_a_removed_model_is_orphaned_and_a_new_one_missing(
    removed_model: RemovedModel, fixture_sources: ConnectionSettings,
) -> None:
    found = {s.relation: s for s in statuses(fixture_sources, removed_model.catalog)}
    orphan = found[removed_model.removed.relation]
    assert orphan.orphaned and orphan.state == "orphaned" and orphan.mart is None
    assert orphan.model == removed_model.removed.name, "mv_state says which model built it"
    assert orphan.rows is not None and orphan.last_action is not None
    new = found[removed_model.new.relation]
    assert (new.state, new.exists) == ("missing", False)
    assert new.build_command == f"analytics refresh --select {NEW_MODEL}"
    assert found[removed_model.reader.relation].state == "fresh"

    views = [m for m in removed_model.catalog.models.values()
             if m.materialized == "materialized_view"]
    existing = [m for m in views if relation_exists(fixture_sources, m.relation)]
    log = f"{meta_schema(removed_model.catalog.project)}.refresh_log"
    rows = sum(int(run_sql(fixture_sources, f"select rows_after from {log} where relation = %s"
                           " and status = 'success' and rows_after is not null"
                           " order by id desc limit 1", (m.relation,))[0][0])
               for m in existing)
    summary = summarize(list(found.values()))
    assert (summary.expected, summary.existing, summary.missing, summary.orphaned,
            summary.total_rows) == (len(views), len(existing), len(views) - len(existing), 1,
                                    rows)


def test_status_shows_orphans_missing_views_and_the_summary(
    removed_model: RemovedModel, fixture_sources: ConnectionSettings,
) -> None:
    as_json = analytics(removed_model.directory, "status", "--json")
    assert as_json.returncode == 0, as_json.stdout + as_json.stderr
    report = json.loads(as_json.stdout)
    views = {v["relation"]: v for v in report["views"]}
    summary = summarize(statuses(fixture_sources, removed_model.catalog))
    assert report["summary"] == {"expected": summary.expected, "existing": summary.existing,
                                 "missing": summary.missing, "orphaned": 1,
                                 "total_rows": summary.total_rows}
    orphan = views[removed_model.removed.relation]
    assert (orphan["state"], orphan["mart"], orphan["orphaned"]) == ("orphaned", None, True)
    assert views[removed_model.new.relation]["build_command"] == (
        f"analytics refresh --select {NEW_MODEL}")

    table = analytics(removed_model.directory, "status")
    assert table.returncode == 0, table.stdout + table.stderr
    line = next(li for li in table.stdout.splitlines() if removed_model.removed.relation in li)
    assert re.match(r"\W*- ", line) and "orphaned" in line
    line = next(li for li in table.stdout.splitlines() if removed_model.new.relation in li)
    assert f"missing: analytics refresh --select {NEW_MODEL}" in line
    assert f"{summary.expected} views expected: {summary.existing} exist, " \
           f"{summary.missing} missing, 1 orphaned" in table.stdout

    one = analytics(removed_model.directory, "status", "--view", NEW_MODEL, "--json")
    assert one.returncode == 0, one.stdout + one.stderr
    report = json.loads(one.stdout)
    assert [v["model"] for v in report["views"]] == [NEW_MODEL]
    assert report["summary"]["orphaned"] is None and report["summary"]["missing"] == 1
    unknown = analytics(removed_model.directory, "status", "--view", "no_such_view")
    assert unknown.returncode == 2
    assert "unknown view 'no_such_view'" in unknown.stdout
    assert NEW_MODEL in unknown.stdout and removed_model.reader.name in unknown.stdout


def test_prune_refuses_to_drop_an_orphan_a_declared_view_reads(
    removed_model: RemovedModel, fixture_sources: ConnectionSettings,
) -> None:
    for args in ((), ("--yes",)):
        result = analytics(removed_model.directory, "prune", *args)
        assert result.returncode == 1, result.stdout + result.stderr
        assert (f"materialized view {removed_model.reader.relation} depends on materialized view"
                f" {removed_model.removed.relation}") in result.stdout
        assert "Traceback" not in result.stderr
    assert relation_exists(fixture_sources, removed_model.removed.relation)
    assert relation_exists(fixture_sources, removed_model.reader.relation)
