"""Orphaned incremental tables (refresh_strategy 'incremental') in `analytics status` and
`analytics prune`: the table goes with its trigger function, the triggers on its source and its
invalidation log rows; plain tables are never orphans.

One throwaway project (tests/python/incremental_project.py): `kept` and `gone` are incremental
models over the same source, `plain` a dbt table; then `gone` and `plain` are removed from the
project, as a deleted model would be.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from orchestration.cli.orphans import find_orphans
from orchestration.cli.prune import prune
from orchestration.cli.status import collect_orphans
from orchestration.core.database import connect
from orchestration.core.project import dbt_project, load_manifest, models, prepare_manifest, sources
from orchestration.core.settings import ConnectionSettings
from tests.python.incremental_project import (
    incremental_model_sql,
    incremental_project,
    invalidation_function,
    log_rows,
    meta_schema_of,
    triggers_on_source,
)
from tests.python.materialization.conftest import DbtProject

INCREMENTAL_TABLE = "incremental table"  # an orphan's kind, as status shows it


@dataclass(frozen=True)
class Removed:
    project: DbtProject
    kept: str  # schema.name of the incremental model still declared
    gone: str  # ... of the one removed
    plain: str  # ... of the dbt table removed


@pytest.fixture(scope="module")
def removed(tmp_path_factory: pytest.TempPathFactory,
            pg_settings: ConnectionSettings) -> Iterator[Removed]:
    projects = incremental_project(tmp_path_factory.mktemp("prune_incremental"), pg_settings, {
        "kept": incremental_model_sql(), "gone": incremental_model_sql(),
        "plain": "{{ config(materialized='table') }}\nselect 1 as x\n"})
    project = next(projects)
    try:
        for name in ("gone", "plain"):
            (project.path / "models" / f"{name}.sql").unlink()
        # A write logged for both incremental models: the removed one's rows must go too.
        project.sql(f"insert into {project.source_schema}.events (account_id, happened_at)"
                    " values (1, now())")
        schema = project.schema
        yield Removed(project, f"{schema}.kept", f"{schema}.gone", f"{schema}.plain")
    finally:
        projects.close()


def prune_lines(project: DbtProject, *, yes: bool) -> tuple[int, str]:
    lines: list[str] = []
    code = prune(project.settings, yes=yes, log=lines.append, project_dir=project.path)
    return code, "\n".join(lines)


def exists(project: DbtProject, relation: str) -> bool:
    return project.scalar("select to_regclass(%s) is not null", (relation,)) is True


def function_exists(project: DbtProject, relation: str) -> bool:
    return project.scalar("select to_regprocedure(%s) is not null",
                          (invalidation_function(project, relation) + "()",)) is True


def orphans(project: DbtProject) -> dict[str, str]:
    """relation -> kind, as find_orphans sees the project now."""
    dbt = dbt_project(project.path)
    prepare_manifest(dbt)
    manifest = load_manifest(dbt)
    with connect(project.settings) as conn:
        found = find_orphans(conn, models(manifest), sources(manifest), meta_schema_of(project))
    return {o.relation: o.kind for o in found}


def test_a_removed_incremental_table_is_an_orphan_and_a_plain_table_never(
    removed: Removed,
) -> None:
    project = removed.project
    assert exists(project, removed.gone) and exists(project, removed.plain)
    assert orphans(project) == {removed.gone: INCREMENTAL_TABLE}

    dbt = dbt_project(project.path)
    prepare_manifest(dbt)
    manifest = load_manifest(dbt)
    [status] = collect_orphans(project.settings, dbt, models(manifest), sources(manifest))
    assert (status.relation, status.kind, status.model, status.state) == (
        removed.gone, INCREMENTAL_TABLE, "gone", "orphaned")


def test_only_the_table_the_materialization_recorded_is_an_orphan(removed: Removed) -> None:
    """A table made by hand where mv_state records an incremental table (another OID) is not
    the materialization's: never an orphan."""
    project = removed.project
    state = f"{meta_schema_of(project)}.mv_state"
    hand_made = f"{project.schema}.hand_made"
    project.sql(f"create table {hand_made} (x int)")
    try:
        project.sql(f"insert into {state} (schema_name, relation_name, model, relation_oid,"
                    " fingerprint, incremental) values (%s, 'hand_made', 'hand_made', 0, '-',"
                    " '{}'::jsonb)", (project.schema,))
        assert hand_made not in orphans(project)
        project.sql(f"update {state} set relation_oid = %s::regclass"
                    " where relation_name = 'hand_made'", (hand_made,))
        assert orphans(project)[hand_made] == INCREMENTAL_TABLE
    finally:
        project.sql(f"delete from {state} where relation_name = 'hand_made'")
        project.sql(f"drop table {hand_made}")


def test_prune_refuses_when_a_view_reads_the_orphaned_table(removed: Removed) -> None:
    project = removed.project
    reader = f"{project.schema}.reads_gone"
    project.sql(f"create view {reader} as select * from {removed.gone}")
    try:
        for yes in (False, True):
            code, text = prune_lines(project, yes=yes)
            assert code == 1, text
            assert f"view {reader} depends on table {removed.gone}" in text, text
            assert "these depend on orphaned incremental tables:" in text, text
            assert exists(project, removed.gone) and function_exists(project, removed.gone)
    finally:
        project.sql(f"drop view {reader}")


def test_prune_drops_the_table_its_trigger_function_triggers_and_log_rows(
    removed: Removed,
) -> None:
    project = removed.project
    before = triggers_on_source(project)
    gone_function = invalidation_function(project, removed.gone).split(".")[1]
    kept_function = invalidation_function(project, removed.kept).split(".")[1]
    assert {t.rsplit("_", 1)[0] for t in before} == {gone_function, kept_function}
    assert log_rows(project, removed.gone) > 0 and log_rows(project, removed.kept) > 0

    code, dry = prune_lines(project, yes=False)
    assert code == 0, dry
    assert f"would drop incremental table {removed.gone} (" in dry, dry
    assert (f"its trigger function {invalidation_function(project, removed.gone)}() with its"
            f" triggers on {project.source_schema}.events") in dry, dry
    assert "1 incremental table orphaned; nothing dropped (dry run)" in dry, dry
    assert "materialized view" not in dry, dry
    assert exists(project, removed.gone) and triggers_on_source(project) == before

    kept_log = log_rows(project, removed.kept)
    code, done = prune_lines(project, yes=True)
    assert code == 0, done
    assert f"dropped incremental table {removed.gone} (" in done, done
    assert "1 incremental table orphaned, dropped (1 mv_state rows deleted)" in done, done
    assert not exists(project, removed.gone)
    assert not function_exists(project, removed.gone)
    assert {t.rsplit("_", 1)[0] for t in triggers_on_source(project)} == {kept_function}
    assert log_rows(project, removed.gone) == 0
    assert log_rows(project, removed.kept) == kept_log
    assert project.scalar(f"select count(*) from {meta_schema_of(project)}.mv_state"
                          " where relation_name = 'gone'") == 0
    # The source is written to as before; only the model still declared logs it.
    project.sql(f"insert into {project.source_schema}.events (account_id, happened_at)"
                " values (2, now())")
    assert log_rows(project, removed.gone) == 0
    assert log_rows(project, removed.kept) == kept_log + 1
    assert exists(project, removed.kept) and exists(project, removed.plain)
    code, text = prune_lines(project, yes=False)
    assert (code, text) == (0, "no orphaned materialized views or incremental tables:"
                               " nothing to prune")
