"""`drop_mart` on a mart with an incremental model (refresh_strategy 'incremental'): its table
goes as a table, with its trigger function, the triggers on its source and its invalidation log
rows; another mart's incremental model on the same source keeps its own.

A throwaway project (tests/python/incremental_project.py) with two marts, `tiny` and `other`,
one incremental model each, over the same source. The dbt operation is run directly
(`analytics drop-mart` wraps it and only knows the repository's marts).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

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

MART = "tiny"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory,
            pg_settings: ConnectionSettings) -> Iterator[DbtProject]:
    projects = incremental_project(tmp_path_factory.mktemp("drop_mart_incremental"), pg_settings, {
        f"marts/{MART}/tiny_daily": incremental_model_sql(),
        "marts/other/other_daily": incremental_model_sql()})
    project = next(projects)
    try:
        # A write logged for both models, not consumed yet.
        project.sql(f"insert into {project.source_schema}.events (account_id, happened_at)"
                    " values (1, now())")
        yield project
    finally:
        projects.close()


def drop_mart(project: DbtProject, *, dry_run: bool) -> str:
    result = project.dbt("run-operation", "drop_mart", "--args",
                         json.dumps({"mart": MART, "dry_run": dry_run}))
    return result.stdout


def function_exists(project: DbtProject, relation: str) -> bool:
    return project.scalar("select to_regprocedure(%s) is not null",
                          (invalidation_function(project, relation) + "()",)) is True


def test_drop_mart_drops_the_incremental_table_and_its_invalidation_tracking(
    project: DbtProject,
) -> None:
    tiny, other = f"{project.schema}.tiny_daily", f"{project.schema}.other_daily"
    source = f"{project.source_schema}.events"
    stems = {invalidation_function(project, r).split(".")[1]: r for r in (tiny, other)}
    before = triggers_on_source(project)
    assert {t.rsplit("_", 1)[0] for t in before} == set(stems)
    assert log_rows(project, tiny) == 1 and log_rows(project, other) == 1
    prefix = f"drop_mart {MART} (dry run): "

    dry = drop_mart(project, dry_run=True)
    assert f"{prefix}would drop table {tiny} (model tiny_daily)" in dry, dry
    assert (f"{prefix}would drop function {invalidation_function(project, tiny)}() with its"
            f" triggers on {source} (invalidation tracking of model tiny_daily)") in dry, dry
    assert (f"{prefix}would delete 1 row(s) of {meta_schema_of(project)}.mv_invalidations"
            " (model tiny_daily)") in dry, dry
    assert "other_daily" not in dry, dry
    assert function_exists(project, tiny) and triggers_on_source(project) == before
    assert log_rows(project, tiny) == 1

    done = drop_mart(project, dry_run=False)
    assert f"drop table {tiny} (model tiny_daily)" in done, done
    assert project.scalar("select to_regclass(%s) is null", (tiny,)) is True
    assert not function_exists(project, tiny)
    assert log_rows(project, tiny) == 0
    assert project.scalar(f"select count(*) from {meta_schema_of(project)}.mv_state"
                          " where relation_name = 'tiny_daily'") == 0
    # The other mart's model keeps its table, function, triggers and log on the same source.
    assert project.scalar("select to_regclass(%s) is not null", (other,)) is True
    assert function_exists(project, other)
    other_stem = invalidation_function(project, other).split(".")[1]
    assert {t.rsplit("_", 1)[0] for t in triggers_on_source(project)} == {other_stem}
    assert log_rows(project, other) == 1
    project.sql(f"insert into {source} (account_id, happened_at) values (2, now())")
    assert log_rows(project, tiny) == 0 and log_rows(project, other) == 2

    again = drop_mart(project, dry_run=False)
    assert "nothing to drop" in again, again
