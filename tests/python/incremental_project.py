"""A throwaway dbt project with incremental models (refresh_strategy 'incremental') over one
tiny source table, for the clean-up tools' tests (prune, drop_mart).

It is the materialization tests' throwaway project (tests/python/materialization/conftest.py)
with a meta schema of its own, so what a test prunes or counts there is only its own, and a
source `src.events` (account_id, happened_at): `incremental_model_sql()` counts its events per
account and UTC day, recomputing only the logged accounts' days in an incremental run.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

from orchestration.core.settings import ConnectionSettings
from tests.python.materialization.conftest import DbtProject, throwaway_project


def incremental_model_sql() -> str:
    """A model kept incrementally from `src.events`, keyed by account, sliced by UTC day."""
    return """{{ config(
    refresh_strategy='incremental',
    incremental={'source': ['src', 'events'], 'key': ['account_id'],
                 'source_time': 'happened_at', 'time_column': 'day'},
    unique_key=['account_id', 'day'],
) }}

select
    events.account_id,
    (events.happened_at at time zone 'UTC')::date as day,
    count(*)::bigint as events

from {{ source('src', 'events') }} as events

where
    not {{ mv_incremental_run() }}
    or exists (
        select 1 from {{ mv_slices('account_id integer') }}
        where
            mv_slices.account_id = events.account_id
            and (events.happened_at at time zone 'UTC')::date >= mv_slices.from_day
    )

group by 1, 2
"""


def incremental_project(directory: Path, pg_settings: ConnectionSettings,
                        models: dict[str, str]) -> Iterator[DbtProject]:
    """The project with `models` (path under models/ without .sql -> SQL) built by one
    `dbt run`; its schemas, the source's and its meta schema go at the end."""
    projects = throwaway_project(directory, pg_settings)
    project = next(projects)
    meta = f"mvt_meta_{uuid.uuid4().hex[:8]}"
    try:
        config = project.path / "dbt_project.yml"
        config.write_text(config.read_text().replace("mv_meta_schema: analytics_meta",
                                                     f"mv_meta_schema: {meta}"))
        project.sql(f"create table {project.source_schema}.events"
                    " (id serial primary key, account_id int, happened_at timestamptz)")
        project.sql(f"insert into {project.source_schema}.events (account_id, happened_at)"
                    " select a, now() - d * interval '1 day'"
                    " from generate_series(1, 3) a, generate_series(0, 2) d")
        project.write_yml("sources", (
            f"version: 2\nsources:\n  - name: src\n    schema: {project.source_schema}\n"
            "    tables:\n      - name: events\n"))
        for path, sql in models.items():
            (project.path / "models" / path).parent.mkdir(parents=True, exist_ok=True)
            project.write_model(path, sql)
        project.dbt("run")
        yield project
    finally:
        projects.close()  # drops the source schema, and with it the triggers on it
        project.sql(f"drop schema if exists {meta} cascade")


def meta_schema_of(project: DbtProject) -> str:
    """The project's meta schema (var mv_meta_schema)."""
    text = (project.path / "dbt_project.yml").read_text()
    return text.split("mv_meta_schema: ", 1)[1].split()[0]


def invalidation_function(project: DbtProject, relation: str) -> str:
    """The qualified trigger function of the incremental model whose table is `relation`
    (mv_invalidation_prefix), computed independently of the code under test."""
    meta = meta_schema_of(project)
    name = project.scalar("select 'mv_inv__' || left(md5(%s), 16)", (f"{meta}:{relation}",))
    return f"{meta}.{name}"


def triggers_on_source(project: DbtProject) -> list[str]:
    """The names of the triggers on `src.events`, sorted."""
    return [str(row[0]) for row in project.sql(
        "select tgname from pg_trigger where tgrelid = %s::regclass and not tgisinternal"
        " order by 1", (f"{project.source_schema}.events",))]


def log_rows(project: DbtProject, relation: str) -> int:
    """The rows of the meta schema's mv_invalidations logged for `relation`."""
    value = project.scalar(f"select count(*) from {meta_schema_of(project)}.mv_invalidations"
                           " where relation = %s", (relation,))
    assert isinstance(value, int)
    return value
