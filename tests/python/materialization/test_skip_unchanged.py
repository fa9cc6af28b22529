"""skip_refresh_when_unchanged: a view is refreshed only when a relation it reads changed.

One throwaway project for the whole file (dbt invocations are the cost): `up` reads two
source tables, `down` reads `up`, `viewer` reads a plain view and `clocked` calls now(). The
cases run in file order on it; each one ends with the views it wrote to refreshed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from orchestration.core.settings import ConnectionSettings
from tests.python.materialization.conftest import DbtProject, throwaway_project

# A skipped refresh may cost at most this much SQL (the budget).
SKIP_SQL_BUDGET_SECONDS = 0.2


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory,
            pg_settings: ConnectionSettings) -> Iterator[DbtProject]:
    projects = throwaway_project(tmp_path_factory.mktemp("skip_unchanged"), pg_settings)
    project = next(projects)
    try:
        src = project.source_schema
        project.sql(f"create table {src}.a (id int, v int)")
        project.sql(f"create table {src}.b (id int, w int)")
        project.sql(f"insert into {src}.a select g, g from generate_series(1, 50) g")
        project.sql(f"insert into {src}.b select g, g * 10 from generate_series(1, 50) g")
        project.sql(f"create view {src}.a_view as select id, v from {src}.a")
        project.write_yml("sources", (
            f"version: 2\nsources:\n  - name: src\n    schema: {src}\n    tables:\n"
            "      - name: a\n      - name: b\n      - name: a_view\n"))
        # No unique key: a plain REFRESH writes a new file, so an unchanged relfilenode means
        # the view was not refreshed. The pre-hook writes a source just before a run starts.
        project.write_model("up", (
            "{{ config(skip_refresh_when_unchanged=true,"
            " pre_hook=before_begin(\"{{ var('mvt_write_first', '') }}\")) }}\n"
            "select a.id, a.v, b.w from {{ source('src', 'a') }} a\n"
            "left join {{ source('src', 'b') }} b on b.id = a.id\n"))
        project.write_model("down", (
            "{{ config(unique_key=['id'], skip_refresh_when_unchanged=true) }}\n"
            "select id, v + 1 as v1 from {{ ref('up') }}\n"))
        project.write_model("viewer", (
            "{{ config(unique_key=['id'], skip_refresh_when_unchanged=true) }}\n"
            "select id, v from {{ source('src', 'a_view') }}\n"))
        project.write_model("clocked", (
            "{{ config(unique_key=['id'], skip_refresh_when_unchanged=true) }}\n"
            "select id, now() as checked_at from {{ source('src', 'a') }}\n"))
        project.dbt("run")
        yield project
    finally:
        projects.close()


def run(project: DbtProject, *models: str, args: tuple[str, ...] = ()) -> str:
    return project.dbt("run", *args, "--select", *models).stdout


def last(project: DbtProject, model: str) -> dict[str, object]:
    """The newest refresh_log row of `model`."""
    names = ("id", "action", "status", "rows_after", "note", "skip_reason", "finished_at")
    row = project.sql(
        f"select {', '.join(names)} from analytics_meta.refresh_log where relation = %s"
        " order by id desc limit 1", (f"{project.schema}.{model}",))[0]
    return dict(zip(names, row, strict=True))


def filenode(project: DbtProject, model: str) -> object:
    return project.scalar("select pg_relation_filenode(%s::regclass)",
                          (f"{project.schema}.{model}",))


def skip_sql_seconds(debug_output: str, node: str) -> float:
    """The SQL time dbt logged for `node` (a run with one thread, so its lines are its own)."""
    section = debug_output.split(f"Began running node {node}\n", 1)[1]
    section = section.split(f"Finished running node {node}", 1)[0]
    return sum(float(s) for s in re.findall(r"SQL status: .* in (\d+\.\d+) seconds", section))


def test_nothing_changed_skips_and_leaves_the_view_untouched(project: DbtProject) -> None:
    node_before = filenode(project, "up")
    output = project.dbt("--debug", "run", "--threads", "1", "--select", "up", "down").stdout

    assert "unchanged: no source changed since the last refresh" in output
    assert filenode(project, "up") == node_before, "not refreshed"
    for model, checked in (("up", "2 relations"), ("down", "1 relation")):
        row = last(project, model)
        assert (row["action"], row["status"], row["skip_reason"]) == ("skip", "success", "unchanged")
        assert row["note"] == f"unchanged: no source changed since the last refresh ({checked} checked)"
        assert row["rows_after"] == 50
        # The status view counts a checked, unchanged view as fresh.
        assert project.sql(
            "select last_action, last_success_at, row_count from analytics_meta.mv_status"
            " where schema_name = %s and relation_name = %s", (project.schema, model),
        ) == [("skip", row["finished_at"], 50)]
        seconds = skip_sql_seconds(output, f"model.mvt.{model}")
        assert 0 < seconds <= SKIP_SQL_BUDGET_SECONDS, f"{model}: {seconds} s of SQL"


WRITES = {
    "insert": "insert into {table} values (1000, 1)",
    "update": "update {table} set id = id where id = 1",
    "delete": "delete from {table} where id = 1000",
    "truncate": "truncate {table}",
    # The trigger is ENABLE ALWAYS (the role owns the table), so replica sessions are seen.
    "insert as a replica": "set session_replication_role = replica;"
                           " insert into {table} values (1001, 1);"
                           " reset session_replication_role",
    # Writes while the trigger was off are seen by its changed catalog row (xmin).
    "insert with the trigger disabled": "alter table {table} disable trigger all;"
                                        " insert into {table} values (1002, 1);"
                                        " alter table {table} enable trigger all",
}


@pytest.mark.parametrize(("table", "write"), [
    *((table, write) for table in ("a", "b") for write in ("insert", "update", "delete", "truncate")),
    ("a", "insert as a replica"),
    ("b", "insert with the trigger disabled"),
])
def test_each_write_on_each_source_refreshes(project: DbtProject, table: str, write: str) -> None:
    relation = f"{project.source_schema}.{table}"
    other = f"{project.source_schema}.{'b' if table == 'a' else 'a'}"
    project.sql(WRITES[write].format(table=relation))

    run(project, "up")

    row = last(project, "up")
    assert row["action"] == "refresh" and row["status"] == "success"
    assert row["note"] == f"changed since the last refresh: {relation}", "names that table only"
    assert other not in str(row["note"])
    assert row["rows_after"] == project.scalar(f"select count(*) from {project.source_schema}.a")


def test_a_write_committed_just_before_the_run_is_seen(project: DbtProject) -> None:
    relation = f"{project.source_schema}.a"
    run(project, "up", args=("--vars", f'{{"mvt_write_first": "insert into {relation} values (2000, 2)"}}'))

    row = last(project, "up")
    assert row["action"] == "refresh"
    assert row["note"] == f"changed since the last refresh: {relation}"
    assert project.scalar(f"select count(*) from {project.schema}.up where id = 2000") == 1


def test_a_write_committed_after_a_refresh_is_refreshed_by_the_next_run(
    project: DbtProject,
) -> None:
    # The pending write starts first and commits last: a later write to the same table is
    # committed in between, so a highest id or newest timestamp would hide the pending one.
    a = f"{project.source_schema}.a"
    writer = project.connect()
    writer.autocommit = False
    try:
        with writer.cursor() as cur:
            cur.execute(f"insert into {a} values (3000, 3)")
        project.sql(f"insert into {a} values (3001, 3)")

        run(project, "up")  # refreshes for the committed write; the pending one is not seen

        row = last(project, "up")
        assert (row["action"], row["note"]) == ("refresh", f"changed since the last refresh: {a}")
        assert project.scalar(f"select count(*) from {project.schema}.up where id = 3001") == 1
        assert project.scalar(f"select count(*) from {project.schema}.up where id = 3000") == 0
        writer.commit()
    finally:
        writer.close()

    run(project, "up")

    row = last(project, "up")
    assert (row["action"], row["note"]) == ("refresh", f"changed since the last refresh: {a}")
    assert project.scalar(f"select count(*) from {project.schema}.up where id = 3000") == 1


def test_an_upstream_refresh_refreshes_the_downstream_and_its_skip_skips_it(
    project: DbtProject,
) -> None:
    project.sql(f"insert into {project.source_schema}.a values (4000, 4)")

    run(project, "up", "down")

    assert last(project, "up")["action"] == "refresh"
    row = last(project, "down")
    assert row["action"] == "refresh_concurrently"
    assert row["note"] == f"changed since the last refresh: {project.schema}.up"
    assert project.scalar(f"select v1 from {project.schema}.down where id = 4000") == 5

    run(project, "up", "down")

    assert last(project, "up")["skip_reason"] == "unchanged"
    assert last(project, "down")["skip_reason"] == "unchanged"


def test_a_source_that_cannot_be_tracked_always_refreshes_with_a_warning(
    project: DbtProject,
) -> None:
    output = run(project, "viewer", "clocked")

    view = f"{project.source_schema}.a_view"
    assert f"{view} (it is a view, and no trigger sees what changes under it)" in output
    assert "now() (it reads the clock)" in output
    for model in ("viewer", "clocked"):
        row = last(project, model)
        assert row["action"] == "refresh_concurrently" and row["skip_reason"] is None
        assert "cannot tell whether unchanged: " in str(row["note"])
    assert view in str(last(project, "viewer")["note"])
    assert "now()" in str(last(project, "clocked")["note"])


def test_a_changed_model_sql_rebuilds_and_keeps_its_markers(project: DbtProject) -> None:
    body = (project.path / "models" / "up.sql").read_text()
    project.write_model("up", body.replace("b.w from", "b.w, a.v * 2 as v2 from"))

    run(project, "up")

    assert last(project, "up")["action"] == "rebuild"
    run(project, "up")
    assert last(project, "up")["skip_reason"] == "unchanged", "the rebuild stored its markers"


def test_full_refresh_rebuilds(project: DbtProject) -> None:
    run(project, "up", args=("--full-refresh",))
    assert last(project, "up")["action"] == "rebuild"


def test_turning_the_config_on_refreshes_first(project: DbtProject) -> None:
    # `down` built without the config stores no markers; the first run with it refreshes.
    body = (project.path / "models" / "down.sql").read_text()
    project.write_model("down", body.replace(", skip_refresh_when_unchanged=true", ""))
    run(project, "down")
    assert project.scalar(
        "select source_markers from analytics_meta.mv_state where schema_name = %s"
        " and relation_name = 'down'", (project.schema,)) is None
    project.write_model("down", body)

    run(project, "down")

    row = last(project, "down")
    assert row["action"] == "refresh_concurrently"
    assert "no change markers stored yet" in str(row["note"])

