"""Readers, dependants, failures, kills and overlapping runs."""

from __future__ import annotations

import json
import os
import signal
import time

import psycopg2
import psycopg2.errors
import pytest

from tests.python.materialization.conftest import DbtProject

SLOW_SELECT = (
    "select i.id, i.v from {src}.items i\n"
    "cross join lateral (select pg_sleep(s.seconds) from {src}.slow s) as pause\n"
)


def _slow_model(project: DbtProject, unique: bool = True, extra: str = "") -> str:
    config = "{{ config(unique_key=['id']) }}\n" if unique else ""
    return config + SLOW_SELECT.format(src=project.source_schema) + extra


def _wait_for_backend(project: DbtProject, text: str, timeout: float = 20.0) -> int:
    """The pid of the backend running a statement that contains `text`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = project.sql(
            "select pid from pg_stat_activity where state = 'active' and pid <> pg_backend_pid() "
            "and query ilike %s and query ilike %s",
            (f"%{text}%", f"%{project.schema}%"))
        if rows:
            return int(rows[0][0])  # type: ignore[arg-type]
        time.sleep(0.005)
    raise AssertionError(f"no backend started {text!r} within {timeout}s")


def _read_with_lock_timeout(project: DbtProject, relation: str) -> float:
    conn = project.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("set lock_timeout = '200ms'")
            started = time.monotonic()
            cur.execute(f"select count(*) from {relation}")
            cur.fetchone()
            return time.monotonic() - started
    finally:
        conn.close()


def _leftovers(project: DbtProject) -> list[tuple[object, ...]]:
    """The rebuild's temporary relations (`*__mv_new`, `mv_new_*`) left in the schema."""
    return project.sql(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relname like %s", (project.schema, "%mv_new%"))


def _last_note(project: DbtProject, model: str) -> object:
    return project.sql("select note from analytics_meta.refresh_log where relation = %s "
                       "order by id desc limit 1", (f"{project.schema}.{model}",))[0][0]


def _swapped_pair_with_a_new_row(project: DbtProject, up_select: str) -> None:
    """`up` (refresh_strategy='swap', 100 rows) and `down` reading it, built; then a 101st
    source row, which the next run brings to both."""
    project.write_model("up", "{{ config(unique_key=['id'], refresh_strategy='swap') }}\n"
                              + up_select)
    project.write_model("down", "{{ config(unique_key=['id']) }}\n"
                                "select id, v * 2 as doubled from {{ ref('up') }}\n")
    project.dbt("run")
    project.sql(f"insert into {project.source_schema}.items values (101, 101)")


def test_readers_are_not_blocked_by_a_concurrent_refresh(mv_project: DbtProject) -> None:
    mv_project.write_model("slow_mv", _slow_model(mv_project))
    mv_project.dbt("run")
    mv_project.sql(f"update {mv_project.source_schema}.slow set seconds = 3")
    run = mv_project.popen("run")
    _wait_for_backend(mv_project, "refresh materialized view concurrently")
    elapsed = _read_with_lock_timeout(mv_project, f"{mv_project.schema}.slow_mv")
    assert run.wait(timeout=60) == 0, run.stdout.read() if run.stdout else ""
    assert elapsed < 1.0
    assert mv_project.log("slow_mv")[-1][:2] == ("refresh_concurrently", "success")


def test_a_plain_refresh_blocks_readers(mv_project: DbtProject) -> None:
    """The contrast that shows the previous test can fail."""
    mv_project.write_model("slow_mv", _slow_model(mv_project, unique=False))
    mv_project.dbt("run")
    mv_project.sql(f"update {mv_project.source_schema}.slow set seconds = 3")
    run = mv_project.popen("run")
    _wait_for_backend(mv_project, "refresh materialized view")
    with pytest.raises(psycopg2.errors.LockNotAvailable):
        _read_with_lock_timeout(mv_project, f"{mv_project.schema}.slow_mv")
    assert run.wait(timeout=60) == 0


def test_readers_see_the_old_rows_while_a_rebuild_builds_the_new_view(mv_project: DbtProject) -> None:
    mv_project.write_model("slow_mv", _slow_model(mv_project))
    mv_project.dbt("run")
    mv_project.sql(f"update {mv_project.source_schema}.slow set seconds = 3")
    mv_project.write_model("slow_mv", _slow_model(mv_project, extra="where i.id <= 50\n"))
    run = mv_project.popen("run")
    _wait_for_backend(mv_project, "create materialized view")
    elapsed = _read_with_lock_timeout(mv_project, f"{mv_project.schema}.slow_mv")
    old_rows = mv_project.scalar(f"select count(*) from {mv_project.schema}.slow_mv")
    assert run.wait(timeout=60) == 0
    assert elapsed < 1.0
    assert old_rows == 100
    assert mv_project.scalar(f"select count(*) from {mv_project.schema}.slow_mv") == 50


def test_upstream_rebuilt_alone_keeps_its_dependants(mv_project: DbtProject) -> None:
    src = mv_project.source_schema
    mv_project.sql("do $$ begin create role mvt_reader; exception when duplicate_object "
                   "then null; end $$")
    mv_project.write_model("up", "{{ config(unique_key=['id']) }}\n"
                                 f"select id, v from {src}.items\n")
    mv_project.write_model("down", (
        "{{ config(unique_key=['id'], grants={'select': ['mvt_reader']}, "
        "post_hook=[mv_index(['doubled desc'], name='down_doubled')]) }}\n"
        # Unaliased and joined: the view's text qualifies columns with the bare name `up`.
        "select up.id, up.v * 2 as doubled from {{ ref('up') }}\n"
        f"join {src}.items on items.id = up.id\n"))
    mv_project.write_model("top", "{{ config(unique_key=['n']) }}\n"
                                  "select count(*) as n, sum(doubled) as total from {{ ref('down') }}\n")
    mv_project.dbt("run")
    schema = mv_project.schema
    mv_project.sql(f"create view {schema}.down_report as select sum(doubled) as total "
                   f"from {schema}.down")
    mv_project.sql(f"comment on view {schema}.down_report is 'hand-made report'")
    mv_project.sql(f"grant select on {schema}.down_report to mvt_reader")

    mv_project.write_model("up", "{{ config(unique_key=['id']) }}\n"
                                 f"select id, v * 10 as v from {src}.items\n")
    mv_project.dbt("run", "-s", "up")

    assert mv_project.scalar(f"select total from {schema}.down_report") == 2 * 10 * 5050
    assert mv_project.scalar(f"select total from {schema}.top") == 2 * 10 * 5050
    assert mv_project.scalar(
        "select count(*) from pg_depend d join pg_rewrite r on r.oid = d.objid "
        "where r.ev_class = %s::regclass and d.refobjid = %s::regclass",
        (f"{schema}.down", f"{schema}.up")) >= 1
    assert mv_project.scalar("select obj_description(%s::regclass)", (f"{schema}.down_report",)) \
        == "hand-made report"
    assert mv_project.scalar("select has_table_privilege('mvt_reader', %s, 'select')",
                             (f"{schema}.down",))
    assert mv_project.scalar("select has_table_privilege('mvt_reader', %s, 'select')",
                             (f"{schema}.down_report",))
    assert mv_project.scalar("select count(*) from pg_indexes where indexname = 'down_doubled'") == 1
    assert mv_project.log("down")[-1][0] == "rebuild"
    assert mv_project.log("top")[-1][0] == "rebuild"
    # The recreated dependant still matches its model: the next run only refreshes it.
    mv_project.dbt("run")
    assert mv_project.log("down")[-1][:2] == ("refresh_concurrently", "success")


def test_an_error_in_the_new_sql_keeps_the_previous_view(mv_project: DbtProject) -> None:
    src = mv_project.source_schema
    mv_project.write_model("items_mv", "{{ config(unique_key=['id']) }}\n"
                                       f"select id, v from {src}.items\n")
    mv_project.dbt("run")
    mv_project.write_model("items_mv", "{{ config(unique_key=['id']) }}\n"
                                       f"select id, v / (v - 50) as v from {src}.items\n")
    result = mv_project.dbt("run", expect_ok=False)
    assert "division by zero" in result.stdout
    assert "previous view is still in place" in result.stdout
    assert mv_project.scalar(f"select sum(v) from {mv_project.schema}.items_mv") == 5050
    action, status, _, error = mv_project.log("items_mv")[-1]
    assert (action, status) == ("rebuild", "error")
    assert "division by zero" in str(error)


def test_a_unique_key_violation_names_model_key_and_value(mv_project: DbtProject) -> None:
    src = mv_project.source_schema
    mv_project.write_model("items_mv", "{{ config(unique_key=['id']) }}\n"
                                       f"select id, v from {src}.items\n")
    mv_project.dbt("run")
    mv_project.sql(f"insert into {src}.items values (42, 4242)")
    result = mv_project.dbt("run", expect_ok=False)
    assert "model items_mv: unique_key (id) is not unique: (42) appears more than once" \
        in result.stdout
    assert mv_project.scalar(f"select count(*) from {mv_project.schema}.items_mv") == 100


@pytest.mark.parametrize("how", ["terminate_backend", "sigkill_dbt"])
def test_a_killed_rebuild_leaves_the_old_view_and_the_next_run_recovers(
    mv_project: DbtProject, how: str
) -> None:
    mv_project.write_model("slow_mv", _slow_model(mv_project))
    mv_project.dbt("run")
    mv_project.sql(f"update {mv_project.source_schema}.slow set seconds = 30")
    mv_project.write_model("slow_mv", _slow_model(mv_project, extra="where i.id > 0\n"))
    run = mv_project.popen("run")
    pid = _wait_for_backend(mv_project, "create materialized view")
    if how == "terminate_backend":
        mv_project.sql("select pg_terminate_backend(%s)", (pid,))
        assert run.wait(timeout=60) != 0
    else:
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=10)
        # The orphaned backend aborts once it notices its client is gone; don't wait 30 s.
        mv_project.sql("select pg_cancel_backend(%s)", (pid,))

    assert mv_project.scalar(f"select count(*) from {mv_project.schema}.slow_mv") == 100
    mv_project.sql(f"update {mv_project.source_schema}.slow set seconds = 0")
    mv_project.dbt("run")
    assert _leftovers(mv_project) == []
    statuses = [row[:2] for row in mv_project.log("slow_mv")]
    assert statuses[-1] == ("rebuild", "success")
    assert (None, "interrupted") in statuses or ("rebuild", "interrupted") in statuses or \
        ("rebuild", "error") in statuses


def test_overlapping_runs_wait_for_each_other(mv_project: DbtProject) -> None:
    src = mv_project.source_schema
    mv_project.write_model("base_mv", _slow_model(mv_project))
    mv_project.write_model("top_mv", "{{ config(unique_key=['id']) }}\n"
                                     "select id, v + 1 as v from {{ ref('base_mv') }}\n")
    mv_project.dbt("run")
    mv_project.sql(f"update {src}.slow set seconds = 1")
    runs = [mv_project.popen("run"), mv_project.popen("run", "--full-refresh"),
            mv_project.popen("run", "-s", "top_mv")]
    outputs = [(run.wait(timeout=120), run.stdout.read() if run.stdout else "") for run in runs]
    for code, output in outputs:
        assert code == 0, output
    assert mv_project.scalar(f"select count(*) from {mv_project.schema}.top_mv") == 100


def test_log_and_status_view_after_create_refresh_rebuild_and_failure(
    mv_project: DbtProject,
) -> None:
    src = mv_project.source_schema
    model = "{{ config(unique_key=['id']) }}\n" + f"select id, v from {src}.items\n"
    mv_project.write_model("items_mv", model)
    mv_project.dbt("run")
    mv_project.dbt("run")
    mv_project.write_model("items_mv", model.replace("id, v", "id, v, 1 as one"))
    mv_project.dbt("run")
    mv_project.write_model("items_mv", model.replace("id, v", "id, 1 / (v - v) as v"))
    mv_project.dbt("run", expect_ok=False)

    log = mv_project.log("items_mv")
    assert [row[:2] for row in log] == [
        ("create", "success"), ("refresh_concurrently", "success"), ("rebuild", "success"),
        ("rebuild", "error")]
    durations = mv_project.sql(
        "select duration_seconds, finished_at >= started_at, invocation_id is not null "
        "from analytics_meta.refresh_log where relation = %s", (f"{mv_project.schema}.items_mv",))
    assert all(d is not None and d >= 0 and ordered and has_id for d, ordered, has_id in durations)
    status = mv_project.sql(
        "select exists, populated, row_count, index_names, unique_key, last_action, last_status, "
        "last_error, last_success_at is not null, total_bytes > 0 "
        "from analytics_meta.mv_status where schema_name = %s and relation_name = 'items_mv'",
        (mv_project.schema,))
    assert len(status) == 1
    exists, populated, rows, indexes, key, action, last_status, error, succeeded, sized = status[0]
    assert (exists, populated, rows, indexes, key) == (True, True, 100, ["items_mv_unique_key"], "id")
    assert (action, last_status, succeeded, sized) == ("rebuild", "error", True, True)
    assert "division by zero" in str(error)


def test_docs_generate_lists_the_columns_of_materialized_views(mv_project: DbtProject) -> None:
    mv_project.write_model("items_mv", "{{ config(unique_key=['id']) }}\n"
                                       f"select id, v from {mv_project.source_schema}.items\n")
    mv_project.dbt("run")
    mv_project.dbt("docs", "generate")
    catalog = json.loads((mv_project.path / "target" / "catalog.json").read_text())
    columns = catalog["nodes"]["model.mvt.items_mv"]["columns"]
    assert list(columns) == ["id", "v"]
    assert catalog["nodes"]["model.mvt.items_mv"]["metadata"]["type"] == "MATERIALIZED VIEW"


def test_swap_strategy_refreshes_without_blocking_and_dependants_are_not_refreshed_twice(
    mv_project: DbtProject,
) -> None:
    src = mv_project.source_schema
    _swapped_pair_with_a_new_row(mv_project, SLOW_SELECT.format(src=src))
    mv_project.sql(f"update {src}.slow set seconds = 3")
    run = mv_project.popen("run")
    _wait_for_backend(mv_project, "create materialized view")
    elapsed = _read_with_lock_timeout(mv_project, f"{mv_project.schema}.down")
    assert run.wait(timeout=60) == 0
    assert elapsed < 1.0
    assert mv_project.scalar(f"select count(*) from {mv_project.schema}.down") == 101
    assert [row[0] for row in mv_project.log("up")] == ["create", "refresh_swap"]
    assert [row[0] for row in mv_project.log("down")] == ["create", "rebuild", "skip"]


def test_an_unknown_refresh_strategy_is_refused(mv_project: DbtProject) -> None:
    mv_project.write_model("items_mv", "{{ config(refresh_strategy='sometimes') }}\n"
                                       f"select id from {mv_project.source_schema}.items\n")
    result = mv_project.dbt("run", expect_ok=False)
    assert ("items_mv: refresh_strategy must be 'concurrently', 'swap' or 'incremental', "
            "got 'sometimes'") in result.stdout


def _wait_for_lock_wait(project: DbtProject, text: str, timeout: float = 60.0) -> int:
    """The pid of a backend whose statement contains `text` and that waits for a lock (a swap's
    try waits 20 ms of every ~120 ms, so the poll is frequent)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = project.sql(
            "select pid from pg_stat_activity where wait_event_type = 'Lock' "
            "and pid <> pg_backend_pid() and query ilike %s", (f"%{text}%",))
        if rows:
            return int(rows[0][0])  # type: ignore[arg-type]
        time.sleep(0.005)
    raise AssertionError(f"no backend waited for a lock running {text!r} within {timeout}s")


def test_a_swap_commits_its_build_before_it_waits_for_readers_and_a_kill_there_loses_nothing(
    mv_project: DbtProject,
) -> None:
    schema = mv_project.schema
    _swapped_pair_with_a_new_row(mv_project, SLOW_SELECT.format(src=mv_project.source_schema))
    reader = mv_project.connect()
    try:
        with reader.cursor() as cur:
            cur.execute("begin")
            cur.execute(f"select count(*) from {schema}.up")  # holds its lock until rollback
        run = mv_project.popen("run", "-s", "up")
        pid = _wait_for_lock_wait(mv_project, "set_config('lock_timeout'")
        # The swap waits for the reader, and the new view and its dependant's copy are
        # already committed: the slow build is over before any reader can queue behind it.
        assert mv_project.scalar(f"select count(*) from {schema}.up__mv_new") == 101
        assert mv_project.scalar(f"select count(*) from {schema}.down__mv_new") == 101
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=10)
        mv_project.sql("select pg_cancel_backend(%s)", (pid,))
    finally:
        reader.close()

    assert mv_project.scalar(f"select count(*) from {schema}.up") == 100
    assert mv_project.scalar(f"select count(*) from {schema}.down") == 100
    mv_project.dbt("run", "-s", "up")
    assert mv_project.scalar(f"select count(*) from {schema}.down") == 101
    assert _leftovers(mv_project) == []
    assert [row[:2] for row in mv_project.log("up")][-1] == ("refresh_swap", "success")


def test_a_swap_whose_dependant_fails_on_the_new_rows_refreshes_concurrently_instead(
    mv_project: DbtProject,
) -> None:
    src, schema = mv_project.source_schema, mv_project.schema
    mv_project.write_model("up", "{{ config(unique_key=['id'], refresh_strategy='swap') }}\n"
                                 f"select id, v from {src}.items\n")
    mv_project.write_model("down", "{{ config(unique_key=['id']) }}\n"
                                   "select id, 100 / (v - 101) as ratio from {{ ref('up') }}\n")
    mv_project.dbt("run")
    mv_project.sql(f"insert into {src}.items values (101, 101)")

    result = mv_project.dbt("run", expect_ok=False)

    assert "refreshed concurrently instead of swapped" in result.stdout
    assert mv_project.scalar(f"select count(*) from {schema}.up") == 101
    assert mv_project.scalar(f"select count(*) from {schema}.down") == 100
    note = _last_note(mv_project, "up")
    assert "swap fell back to REFRESH CONCURRENTLY" in str(note) and "division by zero" in str(note)
    assert [row[:3] for row in mv_project.log("up")] == [
        ("create", "success", 100), ("refresh_concurrently", "success", 101)]
    assert [row[:2] for row in mv_project.log("down")][-1] == ("refresh_concurrently", "error")
    assert _leftovers(mv_project) == []


def test_a_swap_behind_a_long_reader_lets_new_readers_through_and_swaps_once_it_ends(
    mv_project: DbtProject,
) -> None:
    schema = mv_project.schema
    _swapped_pair_with_a_new_row(mv_project, f"select id, v from {mv_project.source_schema}.items\n")
    long_reader = mv_project.connect()
    try:
        with long_reader.cursor() as cur:
            cur.execute("begin")
            cur.execute(f"select count(*) from {schema}.up")
        run = mv_project.popen("run", "-s", "up")
        _wait_for_lock_wait(mv_project, "set_config('lock_timeout'")
        # New readers do not queue behind the waiting swap (each read gives up after 200 ms).
        for _ in range(5):
            assert _read_with_lock_timeout(mv_project, f"{schema}.up") < 0.2
            assert _read_with_lock_timeout(mv_project, f"{schema}.down") < 0.2
        assert run.poll() is None, "the swap waits for the long reader"
    finally:
        long_reader.close()
    assert run.wait(timeout=60) == 0
    assert mv_project.scalar(f"select count(*) from {schema}.down") == 101
    note = _last_note(mv_project, "up")
    assert "the swap waited for readers" in str(note)
