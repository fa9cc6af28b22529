"""dbt-labs' own adapter tests for materialized views, run against our materialization.

`dbt-tests-adapter` writes a project per test class; its `macros` fixture is given our macro
files, and its profile points at the session's test server. `MaterializedViewBasic` and the
`changes.py` mixins run as shipped, except one test that differs on purpose (see below).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from dbt.adapters.base.relation import BaseRelation
from dbt.tests.adapter.materialized_view.basic import MaterializedViewBasic
from dbt.tests.adapter.materialized_view.changes import (
    MaterializedViewChanges,
    MaterializedViewChangesApplyMixin,
    MaterializedViewChangesContinueMixin,
    MaterializedViewChangesFailMixin,
)
from dbt.tests.fixtures.project import *  # noqa: F403  (the suite's fixtures)
from dbt.tests.util import (
    assert_message_in_logs,
    get_model_file,
    run_dbt_and_capture,
    set_model_file,
    write_file,
)

from orchestration.core.settings import ConnectionSettings

# The shipped suite declares class-scoped fixtures as methods; that is its business, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")

MACROS = Path(__file__).resolve().parents[3] / "macros"

MODEL_WITH_INDEX = """
{{ config(materialized='materialized_view', indexes=[{'columns': ['id']}]) }}
select * from {{ ref('my_seed') }}
"""


@pytest.fixture(scope="class")
def dbt_profile_target(pg_settings: ConnectionSettings) -> dict[str, Any]:
    return {"type": "postgres", "threads": 2, "host": pg_settings.host, "port": pg_settings.port,
            "user": pg_settings.user, "pass": pg_settings.password, "dbname": pg_settings.dbname}


@pytest.fixture(scope="class")
def macros() -> dict[str, str]:
    """The materialization and the dbt-postgres overrides it relies on, one file each."""
    return {f"{folder}__{path.name}": path.read_text()
            for folder in ("materialized_view", "postgres")
            for path in (MACROS / folder).glob("*.sql")}


@pytest.fixture(scope="class")
def dbt_project_yml(project_root: Path, project_config_update: Any) -> dict[str, Any]:
    """The suite's project, with the var that names the materialization's meta schema."""
    config: dict[str, Any] = {"name": "test", "profile": "test",
                              "flags": {"send_anonymous_usage_stats": False},
                              "vars": {"mv_meta_schema": "analytics_meta"}}
    if isinstance(project_config_update, str):
        project_config_update = yaml.safe_load(project_config_update)
    config.update(project_config_update or {})
    write_file(yaml.safe_dump(config), project_root, "dbt_project.yml")
    return config


def _query_relation_type(project: Any, relation: BaseRelation) -> str | None:
    rows = project.run_sql(
        f"select case c.relkind when 'm' then 'materialized_view' when 'v' then 'view' "
        f"when 'r' then 'table' end from pg_class c join pg_namespace n "
        f"on n.oid = c.relnamespace where n.nspname = '{relation.schema}' "
        f"and c.relname = '{relation.identifier}'", fetch="all")
    return rows[0][0] if rows else None


def _index_columns(project: Any, relation: BaseRelation) -> list[str]:
    rows = project.run_sql(
        f"select indexdef from pg_indexes where schemaname = '{relation.schema}' "
        f"and tablename = '{relation.identifier}'", fetch="all")
    return sorted(row[0].split("(", 1)[1].rstrip(")") for row in rows)


class TestMaterializedViewBasic(MaterializedViewBasic):
    @staticmethod
    def insert_record(project: Any, table: BaseRelation, record: tuple[int, int]) -> None:
        project.run_sql(f"insert into {table} (id, value) values {record}")

    @staticmethod
    def refresh_materialized_view(project: Any, materialized_view: BaseRelation) -> None:
        project.run_sql(f"refresh materialized view {materialized_view}")

    @staticmethod
    def query_row_count(project: Any, relation: BaseRelation) -> int:
        return int(project.run_sql(f"select count(*) from {relation}", fetch="one")[0])

    @staticmethod
    def query_relation_type(project: Any, relation: BaseRelation) -> str | None:
        return _query_relation_type(project, relation)


class PeerChanges(MaterializedViewChanges):
    """An index change is the suite's 'alter' change, a SQL change its 'replace' change."""

    @pytest.fixture(scope="class", autouse=True)
    def models(self) -> Any:
        yield {"my_materialized_view.sql": MODEL_WITH_INDEX}

    @staticmethod
    def check_start_state(project: Any, materialized_view: BaseRelation) -> None:
        assert _index_columns(project, materialized_view) == ["id"]

    @staticmethod
    def change_config_via_alter(project: Any, materialized_view: BaseRelation) -> None:
        model = get_model_file(project, materialized_view)
        set_model_file(project, materialized_view,
                       model.replace("'columns': ['id']", "'columns': ['value']"))

    @staticmethod
    def check_state_alter_change_is_applied(project: Any, materialized_view: BaseRelation) -> None:
        assert _index_columns(project, materialized_view) == ["value"]

    @staticmethod
    def change_config_via_replace(project: Any, materialized_view: BaseRelation) -> None:
        model = get_model_file(project, materialized_view)
        set_model_file(project, materialized_view,
                       model.replace("select *", "select id, value, value * 2 as doubled"))

    @staticmethod
    def check_state_replace_change_is_applied(project: Any, materialized_view: BaseRelation) -> None:
        columns = project.run_sql(
            f"select attname from pg_attribute where attrelid = '{materialized_view}'::regclass "
            "and attnum > 0 order by attnum", fetch="all")
        assert [row[0] for row in columns] == ["id", "value", "doubled"]

    @staticmethod
    def query_relation_type(project: Any, relation: BaseRelation) -> str | None:
        return _query_relation_type(project, relation)


class TestMaterializedViewChangesApply(PeerChanges, MaterializedViewChangesApplyMixin):
    def test_change_is_applied_via_alter(self, project: Any, my_materialized_view: Any) -> None:
        """Differs on purpose: an index change is applied by a rebuild and swap, not by ALTER.

        Dropping and creating indexes on the live view would take locks that block readers
        for the rest of the transaction, and dbt-postgres's ALTER path does not refresh the
        data (dbt-labs/dbt-adapters#1286). A rebuild does both without blocking readers.
        """
        self.check_start_state(project, my_materialized_view)
        self.change_config_via_alter(project, my_materialized_view)
        _, logs = run_dbt_and_capture(["--debug", "run", "--models", my_materialized_view.name])
        self.check_state_alter_change_is_applied(project, my_materialized_view)
        assert_message_in_logs(f"Applying REPLACE to: {my_materialized_view}", logs)


class TestMaterializedViewChangesContinue(PeerChanges, MaterializedViewChangesContinueMixin):
    pass


class TestMaterializedViewChangesFail(PeerChanges, MaterializedViewChangesFailMixin):
    pass
