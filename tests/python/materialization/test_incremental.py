"""refresh_strategy 'incremental': a table kept from its source's invalidation log.

One throwaway project for the whole file (dbt invocations are the cost, so the first run
also holds a model whose config is wrong). Its source `events` holds two events per
(account, day) for accounts 1-4 on the UTC days 6 to 2 days ago; `daily` sums them per
(account_id, day) incrementally, `switch` does the same as a materialized view and is
switched to incremental and back. The cases run in file order on it; each one leaves
`daily` equal to a full recomputation.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from orchestration.cli.orphans import invalidation_function
from orchestration.core.settings import ConnectionSettings
from tests.python.materialization.conftest import DbtProject, throwaway_project

# Above this many slice-days the backlog is rebuilt instead (the cases below stay under it).
FULL_REBUILD_ABOVE = 60

# The output of the fixture's first `dbt run`.
FIRST_RUN: list[str] = []

# An amount of -1000 makes the incremental branch divide by zero, and only that branch.
MODEL_SQL = """
with changed as (

    select events.*
    from {{ source('src', 'events') }} as events
    where not {{ mv_incremental_run() }}

    union all

    select events.*
    from {{ mv_slices('account_id integer') }}
    inner join {{ source('src', 'events') }} as events
        on events.account_id = mv_slices.account_id
        and events.happened_at >= mv_slices.from_day::timestamp at time zone 'UTC'
    where {{ mv_incremental_run() }} and 1 / (events.amount + 1000) is not null

)

select account_id, (happened_at at time zone 'UTC')::date as day,
       sum(amount)::bigint as amount, count(*) as events
from changed
group by 1, 2
"""


def _model(name: str, incremental: bool = True, incremental_config: str | None = None) -> str:
    config = incremental_config if incremental_config is not None else (
        "{'source': ['src', 'events'], 'key': ['account_id'], 'source_time': 'happened_at',"
        f" 'time_column': 'day', 'full_rebuild_above': {FULL_REBUILD_ABOVE}}}")
    strategy = f"refresh_strategy='incremental', incremental={config}, " if incremental else ""
    return ("{{ config(" + strategy + "unique_key=['account_id', 'day'], "
            f"post_hook=[mv_index(['day'], name='{name}_day')]) }}}}\n" + MODEL_SQL)


def at(days_ago: int, hour: int = 12) -> str:
    """SQL for an instant `days_ago` UTC days before today, at `hour` UTC."""
    return (f"((((now() at time zone 'UTC')::date - {days_ago})::timestamp"
            f" + interval '{hour} hours') at time zone 'UTC')")


def day(days_ago: int) -> str:
    return f"((now() at time zone 'UTC')::date - {days_ago})"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory,
            pg_settings: ConnectionSettings) -> Iterator[DbtProject]:
    projects = throwaway_project(tmp_path_factory.mktemp("incremental"), pg_settings)
    project = next(projects)
    try:
        src = project.source_schema
        project.sql(f"create table {src}.events (id serial primary key, account_id int,"
                    " happened_at timestamptz, amount int)")
        project.sql(f"insert into {src}.events (account_id, happened_at, amount) "
                    f"select a, {at(0)} - d * interval '1 day' + k * interval '3 hours', a * 10 + d "
                    "from generate_series(1, 4) a, generate_series(2, 6) d, generate_series(1, 2) k")
        project.write_yml("sources", (
            f"version: 2\nsources:\n  - name: src\n    schema: {src}\n    tables:\n"
            "      - name: events\n"))
        project.write_yml("daily", (
            "version: 2\nmodels:\n  - name: daily\n    data_tests:\n"
            "      - matches_full_recomputation\n"))
        project.write_model("daily", _model("daily"))
        project.write_model("switch", _model("switch", incremental=False))
        project.write_model("no_key", _model("no_key", incremental_config=(
            "{'source': ['src', 'events'], 'source_time': 'happened_at', 'time_column': 'day'}")))
        FIRST_RUN.append(project.dbt("run", expect_ok=False).stdout)
        (project.path / "models" / "no_key.sql").unlink()
        yield project
    finally:
        project.sql(f"drop function if exists analytics_meta.{_prefix(project, 'daily')}() cascade")
        project.sql(f"drop function if exists analytics_meta.{_prefix(project, 'switch')}() cascade")
        project.sql("delete from analytics_meta.mv_invalidations where relation like %s",
                    (f"{project.schema}.%",))
        projects.close()


def _prefix(project: DbtProject, model: str) -> str:
    """The name stem of a model's invalidation function and triggers: the clean-up tools' name
    for it, so these tests also hold the macro (mv_invalidation_prefix) and that name together."""
    return invalidation_function("analytics_meta", project.schema, model)


def run(project: DbtProject, *models: str, expect_ok: bool = True) -> subprocess.CompletedProcess[str]:
    return project.dbt("run", "--select", *models, expect_ok=expect_ok)


def last(project: DbtProject, model: str) -> dict[str, object]:
    """The newest refresh_log row of `model`."""
    names = ("action", "status", "note", "error", "slices", "rows_deleted", "rows_inserted",
             "rows_after")
    row = project.sql(
        f"select {', '.join(names)} from analytics_meta.refresh_log where relation = %s"
        " order by id desc limit 1", (f"{project.schema}.{model}",))[0]
    return dict(zip(names, row, strict=True))


def relkind(project: DbtProject, model: str) -> object:
    """The model's pg_class.relkind; None when there is no relation of its name."""
    rows = project.sql(
        "select c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relname = %s", (project.schema, model))
    return rows[0][0] if rows else None


def oid(project: DbtProject, relation: str) -> object:
    return project.scalar("select %s::regclass::oid", (f"{project.schema}.{relation}",))


def index_names(project: DbtProject, model: str) -> set[str]:
    return {str(row[0]) for row in project.sql(
        "select indexname from pg_indexes where schemaname = %s and tablename = %s",
        (project.schema, model))}


def pending(project: DbtProject, model: str) -> int:
    """The model's log entries not consumed yet."""
    return int(project.scalar(  # type: ignore[arg-type]
        "select count(*) from analytics_meta.mv_invalidations where relation = %s",
        (f"{project.schema}.{model}",)))


def differences(project: DbtProject, model: str) -> tuple[int, int]:
    """Rows of a full recomputation (written here, not the model's SQL) missing from the
    table, and rows of the table not in it."""
    full = (f"select account_id, (happened_at at time zone 'UTC')::date as day,"
            f" sum(amount)::bigint as amount, count(*) as events"
            f" from {project.source_schema}.events group by 1, 2")
    table = f"select account_id, day, amount, events from {project.schema}.{model}"
    missing, extra = project.sql(
        f"select (select count(*) from ({full} except all {table}) m),"
        f" (select count(*) from ({table} except all {full}) e)")[0]
    return int(missing), int(extra)  # type: ignore[arg-type]


def proof(project: DbtProject, model: str) -> tuple[object, ...]:
    return project.sql("select * from analytics_meta.mv_incremental_differences(%s::regclass)",
                       (f"{project.schema}.{model}",))[0]


def test_create_builds_a_table_with_its_indexes_and_the_triggers_on_its_source(
    project: DbtProject,
) -> None:
    assert relkind(project, "daily") == "r"
    assert index_names(project, "daily") == {"daily_unique_key", "daily_day"}
    assert project.sql(
        "select action, status, rows_after from analytics_meta.refresh_log where relation = %s",
        (f"{project.schema}.daily",)) == [("create", "success", 20)]
    assert project.sql(
        "select kind from analytics_meta.mv_status where schema_name = %s and relation_name = %s",
        (project.schema, "daily")) == [("incremental table",)]
    # Statement-level (tgtype bit 0 clear), enabled always ('A': fires on replicas too).
    triggers = project.sql(
        "select tgname, tgenabled, tgtype & 1 from pg_trigger "
        "where tgrelid = %s::regclass and not tgisinternal order by tgname",
        (f"{project.source_schema}.events",))
    stem = _prefix(project, "daily")
    assert triggers == [(f"{stem}_{event}", "A", 0)
                        for event in ("delete", "insert", "truncate", "update")]
    assert differences(project, "daily") == (0, 0)
    assert pending(project, "daily") == 0


def test_source_writes_are_recomputed_in_place_by_slice_while_a_reader_holds_the_table(
    project: DbtProject,
) -> None:
    src, table = project.source_schema, f"{project.schema}.daily"
    project.sql(f"create view {project.schema}.daily_totals as "
                f"select account_id, sum(amount) as total from {table} group by 1")
    table_oid, view_oid = oid(project, "daily"), oid(project, "daily_totals")
    # A reader's open transaction holds ACCESS SHARE on the table through the whole run: a
    # swap would wait for it, an incremental run must not.
    reader = project.connect()
    reader.autocommit = False
    try:
        with reader.cursor() as cur:
            cur.execute("set transaction isolation level repeatable read")
            cur.execute(f"select sum(amount) from {table}")
            before = cur.fetchone()
            # Slices: account 1 from 2 days ago (1 row replaced), 2 from 4 days ago (3 rows),
            # 3 from 3 days ago (2 rows deleted, 1 inserted), 5 from 3 days ago (1 new row).
            project.sql(f"insert into {src}.events (account_id, happened_at, amount) values "
                        f"(1, {at(2)}, 7), (5, {at(3)}, 5)")
            project.sql(f"update {src}.events set amount = amount + 100 where account_id = 2"
                        f" and happened_at >= {at(4, 0)} and happened_at < {at(3, 0)}")
            project.sql(f"delete from {src}.events where account_id = 3"
                        f" and happened_at >= {at(3, 0)} and happened_at < {at(2, 0)}")
            assert pending(project, "daily") == 4

            # build: the run, then the data test matches_full_recomputation, which must pass.
            dbt = project.popen("build", "--select", "daily")
            try:
                output, _ = dbt.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                dbt.kill()
                dbt.communicate()
                raise AssertionError("the run waited for the reader's transaction") from None
            assert dbt.returncode == 0, output
            assert "matches_full_recomputation" in output
            # The reader's transaction is still open, and still sees the old rows.
            cur.execute(f"select sum(amount) from {table}")
            assert cur.fetchone() == before
        reader.commit()
    finally:
        reader.close()

    entry = last(project, "daily")
    assert (entry["action"], entry["status"]) == ("refresh_incremental", "success")
    assert (entry["slices"], entry["rows_deleted"], entry["rows_inserted"]) == (4, 6, 6)
    assert entry["rows_after"] == 20
    assert "4 slices recomputed" in str(entry["note"])
    assert differences(project, "daily") == (0, 0)
    assert proof(project, "daily") == (0, 0, 0)
    assert pending(project, "daily") == 0
    # In place: the same table, and the view on it was neither recreated nor unbound.
    assert (oid(project, "daily"), oid(project, "daily_totals")) == (table_oid, view_oid)
    assert project.scalar(f"select total from {project.schema}.daily_totals where account_id = 2") \
        == 2 * 5 * 20 + 2 * (2 + 3 + 4 + 5 + 6) + 2 * 100
    assert project.sql(
        "select kind, last_action, last_slices from analytics_meta.mv_status "
        "where schema_name = %s and relation_name = 'daily'", (project.schema,)) \
        == [("incremental table", "refresh_incremental", 4)]


def test_matches_full_recomputation_fails_on_a_tampered_table(project: DbtProject) -> None:
    # It passed on the correct table in the build above.
    tamper = (f"update {project.schema}.daily set amount = amount + %s"
              f" where account_id = 4 and day = {day(3)}")
    project.sql(tamper, (1,))
    try:
        assert proof(project, "daily") == (1, 1, 0)
        result = project.dbt("test", "--select", "daily", expect_ok=False)
        assert "FAIL 1 matches_full_recomputation_daily_" in result.stdout
    finally:
        project.sql(tamper, (-1,))
    assert proof(project, "daily") == (0, 0, 0)


def test_a_failed_incremental_run_keeps_the_rows_and_the_log(project: DbtProject) -> None:
    src, table = project.source_schema, f"{project.schema}.daily"
    rows_before = project.sql(f"select * from {table} order by account_id, day")
    project.sql(f"insert into {src}.events (account_id, happened_at, amount) "
                f"values (4, {at(3)}, -1000)")

    result = run(project, "daily", expect_ok=False)

    assert "division by zero" in result.stdout
    entry = last(project, "daily")
    assert (entry["action"], entry["status"]) == ("refresh_incremental", "error")
    assert "division by zero" in str(entry["error"])
    assert project.sql(f"select * from {table} order by account_id, day") == rows_before
    assert pending(project, "daily") == 1

    project.sql(f"delete from {src}.events where amount = -1000")
    run(project, "daily")

    entry = last(project, "daily")
    assert (entry["action"], entry["status"], entry["slices"]) == ("refresh_incremental", "success", 1)
    assert pending(project, "daily") == 0
    assert project.sql(f"select * from {table} order by account_id, day") == rows_before


def test_a_materialized_view_switched_to_incremental_becomes_a_table_and_back(
    project: DbtProject,
) -> None:
    src, events = project.source_schema, f"{project.source_schema}.events"
    stem = _prefix(project, "switch") + "%"
    triggers = "select count(*) from pg_trigger where tgrelid = %s::regclass and tgname like %s"
    assert relkind(project, "switch") == "m"
    names = index_names(project, "switch")
    assert names == {"switch_unique_key", "switch_day"}

    project.write_model("switch", _model("switch"))
    run(project, "switch")

    assert relkind(project, "switch") == "r"
    assert (last(project, "switch")["action"], last(project, "switch")["status"]) == ("rebuild", "success")
    assert index_names(project, "switch") == names
    assert differences(project, "switch") == (0, 0)
    assert project.scalar("select kind from analytics_meta.mv_status "
                          "where schema_name = %s and relation_name = 'switch'",
                          (project.schema,)) == "incremental table"
    assert project.scalar(triggers, (events, stem)) == 4

    # A write the table has not consumed yet when it goes back to a materialized view.
    project.sql(f"insert into {src}.events (account_id, happened_at, amount) values (2, {at(2)}, 1)")
    assert pending(project, "switch") == 1
    project.write_model("switch", _model("switch", incremental=False))
    run(project, "switch")

    assert relkind(project, "switch") == "m"
    assert (last(project, "switch")["action"], last(project, "switch")["status"]) == ("rebuild", "success")
    assert index_names(project, "switch") == names
    assert differences(project, "switch") == (0, 0)
    # Nobody consumes its log any more: its triggers and entries are gone, writers log nothing.
    assert project.scalar(triggers, (events, stem)) == 0
    project.sql(f"insert into {src}.events (account_id, happened_at, amount) values (2, {at(2)}, 1)")
    assert pending(project, "switch") == 0
    # `daily` logged both writes; the next case's rebuild consumes them.
    assert pending(project, "daily") == 2


def test_a_backlog_above_full_rebuild_above_is_rebuilt(project: DbtProject) -> None:
    # One slice 100 days back: 101 slice-days, and account 2's two entries from the case above.
    project.sql(f"insert into {project.source_schema}.events (account_id, happened_at, amount) "
                f"values (2, {at(100)}, 3)")

    run(project, "daily")

    entry = last(project, "daily")
    assert (entry["action"], entry["status"]) == ("rebuild", "success")
    assert f"exceed incremental.full_rebuild_above = {FULL_REBUILD_ABOVE}" in str(entry["note"])
    assert "(101 slice-days)" in str(entry["note"])
    assert relkind(project, "daily") == "r"
    assert index_names(project, "daily") == {"daily_unique_key", "daily_day"}
    assert differences(project, "daily") == (0, 0)
    assert pending(project, "daily") == 0


def test_a_truncated_source_is_rebuilt(project: DbtProject) -> None:
    src = project.source_schema
    project.sql(f"create temp table kept as select * from {src}.events; "
                f"truncate {src}.events; "
                f"insert into {src}.events select * from kept where account_id <> 1")
    # Until the next run the proof cannot tell: it reports nothing rather than a difference.
    assert proof(project, "daily")[:2] == (None, None)

    run(project, "daily")

    entry = last(project, "daily")
    assert (entry["action"], entry["status"]) == ("rebuild", "success")
    assert "truncated" in str(entry["note"])
    assert project.scalar(f"select count(*) from {project.schema}.daily where account_id = 1") == 0
    assert differences(project, "daily") == (0, 0)
    assert pending(project, "daily") == 0


def test_a_missing_incremental_key_is_a_compile_error_naming_model_and_key(
    project: DbtProject,
) -> None:
    output = FIRST_RUN[0]
    assert "Compilation Error in model no_key" in output
    assert "no_key: config incremental.key is required with refresh_strategy 'incremental'" in output
    # Refused before anything ran: no relation, no log row.
    assert relkind(project, "no_key") is None
    assert project.sql("select 1 from analytics_meta.refresh_log where relation = %s",
                       (f"{project.schema}.no_key",)) == []
