"""Marts side by side: each mart's rebuild guard, and the drift guard of the sources a run reads.

The fixture project gets two mart folders, `models/marts/alpha/` and `models/marts/beta/`, as
the analytics project has `models/marts/retail/`.
"""

from __future__ import annotations

import subprocess
import time

from tests.python.materialization.conftest import DbtProject


def _guard(mart: str) -> str:
    """The advisory lock key of a mart's rebuild guard (macros/materialized_view/lock.sql)."""
    return f"hashtext('mv_rebuild_guard:{mart}')"


def _write_mart_model(project: DbtProject, mart: str, name: str, body: str) -> None:
    (project.path / "models" / "marts" / mart).mkdir(parents=True, exist_ok=True)
    project.write_model(f"marts/{mart}/{name}", body)


def _two_marts(project: DbtProject, beta_reads_alpha: bool = False) -> None:
    """alpha_mv in mart alpha; beta_mv in mart beta, reading alpha_mv or the source."""
    src = project.source_schema
    _write_mart_model(project, "alpha", "alpha_mv",
                      "{{ config(unique_key=['id']) }}\n" f"select id, v from {src}.items\n")
    beta_from = "{{ ref('alpha_mv') }}" if beta_reads_alpha else f"{src}.items"
    _write_mart_model(project, "beta", "beta_mv",
                      "{{ config(unique_key=['id']) }}\n" f"select id, v * 2 as v from {beta_from}\n")
    project.dbt("run")


def _finishes(run: subprocess.Popen[str], seconds: float) -> bool:
    try:
        run.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


def _waits_for_a_guard(project: DbtProject, run: subprocess.Popen[str], timeout: float = 60) -> bool:
    """True once the run waits for an advisory lock; False if it ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and run.poll() is None:
        if project.scalar("select count(*) from pg_locks where locktype = 'advisory' "
                          "and not granted"):
            return True
        time.sleep(0.05)
    return False


def _output(run: subprocess.Popen[str]) -> str:
    return run.stdout.read() if run.stdout else ""


def test_a_rebuild_in_one_mart_blocks_its_refreshes_and_not_another_marts(
    mv_project: DbtProject,
) -> None:
    _two_marts(mv_project)
    holder = mv_project.connect()
    try:
        with holder.cursor() as cur:
            # What a rebuild in mart alpha holds while it builds.
            cur.execute(f"select pg_advisory_lock({_guard('alpha')})")
        beta = mv_project.popen("run", "-s", "beta_mv")
        assert _finishes(beta, 60), "a refresh in mart beta does not wait for alpha's rebuild"
        assert beta.returncode == 0, _output(beta)
        alpha = mv_project.popen("run", "-s", "alpha_mv")
        assert _waits_for_a_guard(mv_project, alpha), "a refresh in mart alpha waits for its rebuild"
    finally:
        holder.close()
    assert _finishes(alpha, 60) and alpha.returncode == 0, _output(alpha)
    assert [row[:2] for row in mv_project.log("beta_mv")][-1] == ("refresh_concurrently", "success")
    assert [row[:2] for row in mv_project.log("alpha_mv")][-1] == ("refresh_concurrently", "success")


def test_a_rebuild_waits_for_refreshes_in_the_marts_of_the_views_that_read_it(
    mv_project: DbtProject,
) -> None:
    _two_marts(mv_project, beta_reads_alpha=True)
    holder = mv_project.connect()
    try:
        with holder.cursor() as cur:
            # What a refresh of beta_mv, which reads alpha_mv, holds while it runs.
            cur.execute(f"select pg_advisory_lock_shared({_guard('beta')})")
        rebuild = mv_project.popen("run", "-s", "alpha_mv", "--full-refresh")
        assert _waits_for_a_guard(mv_project, rebuild), "it recreates beta_mv, so it waits"
    finally:
        holder.close()
    assert _finishes(rebuild, 60) and rebuild.returncode == 0, _output(rebuild)
    assert [row[0] for row in mv_project.log("beta_mv")][-1] == "rebuild"


def _two_sources(project: DbtProject) -> None:
    """Sources shop.a and shop.b, each read through an ephemeral staging model by its view,
    with the drift guard on run start."""
    src = project.source_schema
    project.sql(f"create table {src}.a (id int, amount int)")
    project.sql(f"create table {src}.b (id int, amount int)")
    project.sql(f"insert into {src}.a values (1, 10)")
    project.sql(f"insert into {src}.b values (1, 20)")
    with (project.path / "dbt_project.yml").open("a") as config:
        config.write("on-run-start:\n  - \"{{ check_source_columns() }}\"\n")
    project.write_yml("sources", (
        "version: 2\nsources:\n  - name: shop\n"
        f"    schema: {src}\n    tables:\n"
        "      - name: a\n        columns: [{name: id}, {name: amount}]\n"
        "      - name: b\n        columns: [{name: id}, {name: amount}]\n"))
    for name in ("a", "b"):
        project.write_model(f"stg_{name}", "{{ config(materialized='ephemeral') }}\n"
                                           f"select id, amount from {{{{ source('shop', '{name}') }}}}\n")
        project.write_model(f"{name}_mv", "{{ config(unique_key=['id']) }}\n"
                                          f"select id, amount from {{{{ ref('stg_{name}') }}}}\n")
    project.dbt("run")


def test_drift_in_one_source_stops_only_the_runs_that_read_it(mv_project: DbtProject) -> None:
    _two_sources(mv_project)
    mv_project.sql(f"alter table {mv_project.source_schema}.b rename column amount to total")
    mv_project.sql(f"insert into {mv_project.source_schema}.a values (2, 30)")

    mv_project.dbt("run", "-s", "a_mv")
    assert mv_project.scalar(f"select count(*) from {mv_project.schema}.a_mv") == 2

    result = mv_project.dbt("run", "-s", "b_mv", expect_ok=False)
    assert "Source schema drift; nothing was built" in result.stdout
    assert "source shop.b: column amount does not exist (renamed or dropped?)" in result.stdout
    assert "source shop.a" not in result.stdout
    assert [row[0] for row in mv_project.log("b_mv")] == ["create"]
