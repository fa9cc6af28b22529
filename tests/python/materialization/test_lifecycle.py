"""Create, refresh, rebuild: what each run of the materialization does to the view."""

from __future__ import annotations

from tests.python.materialization.conftest import DbtProject


def _items_model(project: DbtProject, select: str = "id, v", extra_config: str = "") -> str:
    return (
        "{{ config(unique_key=['id']" + extra_config + ") }}\n"
        f"select {select} from {project.source_schema}.items\n"
    )


def _relkind(project: DbtProject, name: str) -> object:
    return project.scalar(
        "select c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relname = %s", (project.schema, name))


def test_first_build_creates_populated_view_with_indexes_grants_and_comments(
    mv_project: DbtProject,
) -> None:
    mv_project.sql("do $$ begin create role mvt_reader; exception when duplicate_object "
                   "then null; end $$")
    mv_project.write_model("items_mv", _items_model(
        mv_project, extra_config=", grants={'select': ['mvt_reader']}, "
        "persist_docs={'relation': true, 'columns': true}, "
        "post_hook=[mv_index(['v desc nulls last'])]"))
    mv_project.write_yml("items_mv", (
        "version: 2\nmodels:\n  - name: items_mv\n    description: Items, materialized.\n"
        "    columns:\n      - name: v\n        description: The value.\n"))
    mv_project.dbt("run")

    view = f"{mv_project.schema}.items_mv"
    assert _relkind(mv_project, "items_mv") == "m"
    assert mv_project.scalar("select relispopulated from pg_class where oid = %s::regclass",
                             (view,)) is True
    assert mv_project.scalar(f"select count(*) from {view}") == 100
    indexdefs = [row[0] for row in mv_project.sql(
        "select indexdef from pg_indexes where schemaname = %s and tablename = 'items_mv'",
        (mv_project.schema,))]
    assert any("UNIQUE INDEX items_mv_unique_key" in d and "(id)" in d for d in indexdefs)
    assert any("(v DESC NULLS LAST)" in d for d in indexdefs)
    assert mv_project.scalar("select has_table_privilege('mvt_reader', %s, 'select')", (view,))
    assert mv_project.scalar("select obj_description(%s::regclass)", (view,)) == "Items, materialized."
    assert mv_project.scalar("select col_description(%s::regclass, 2)", (view,)) == "The value."
    assert mv_project.log("items_mv") == [("create", "success", 100, None)]


def test_unchanged_definition_refreshes_concurrently(mv_project: DbtProject) -> None:
    mv_project.write_model("items_mv", _items_model(mv_project))
    mv_project.dbt("run")
    mv_project.sql(f"insert into {mv_project.source_schema}.items values (101, 101)")
    oid_before = mv_project.scalar(f"select '{mv_project.schema}.items_mv'::regclass::oid")

    mv_project.dbt("run")

    assert mv_project.scalar(f"select count(*) from {mv_project.schema}.items_mv") == 101
    assert mv_project.scalar(f"select '{mv_project.schema}.items_mv'::regclass::oid") == oid_before
    assert [row[:3] for row in mv_project.log("items_mv")] == [
        ("create", "success", 100), ("refresh_concurrently", "success", 101)]


def test_without_unique_key_refreshes_plainly_and_warns(mv_project: DbtProject) -> None:
    mv_project.write_model("plain_mv", f"select id, v from {mv_project.source_schema}.items\n")
    mv_project.dbt("run")
    result = mv_project.dbt("run")
    assert "plain_mv has no unique index" in result.stdout
    assert "unique_key" in result.stdout
    assert [row[0] for row in mv_project.log("plain_mv")] == ["create", "refresh"]


def test_changed_sql_is_rebuilt_by_a_plain_run(mv_project: DbtProject) -> None:
    mv_project.write_model("items_mv", _items_model(mv_project))
    mv_project.dbt("run")
    definition_before = mv_project.scalar(
        f"select pg_get_viewdef('{mv_project.schema}.items_mv'::regclass)")

    mv_project.write_model("items_mv", _items_model(mv_project, "id, v, v * 10 as v10"))
    result = mv_project.dbt("run")

    assert "rebuilt" in result.stdout
    assert mv_project.scalar(f"select sum(v10) from {mv_project.schema}.items_mv") == 50500
    assert mv_project.scalar(
        f"select pg_get_viewdef('{mv_project.schema}.items_mv'::regclass)") != definition_before
    assert [row[0] for row in mv_project.log("items_mv")] == ["create", "rebuild"]


def test_full_refresh_always_rebuilds(mv_project: DbtProject) -> None:
    mv_project.write_model("items_mv", _items_model(mv_project))
    mv_project.dbt("run")
    result = mv_project.dbt("--debug", "run", "--full-refresh")
    assert f'Applying REPLACE to: "{mv_project.settings.dbname}"."{mv_project.schema}"."items_mv"' \
        in result.stdout
    assert [row[0] for row in mv_project.log("items_mv")] == ["create", "rebuild"]


def test_a_table_or_view_of_that_name_is_replaced(mv_project: DbtProject) -> None:
    mv_project.sql(f"create schema {mv_project.schema}")
    mv_project.sql(f"create table {mv_project.schema}.was_table as select 1 as id")
    mv_project.sql(f"create view {mv_project.schema}.was_view as select 1 as id")
    mv_project.write_model("was_table", _items_model(mv_project))
    mv_project.write_model("was_view", _items_model(mv_project))
    mv_project.dbt("run")
    assert _relkind(mv_project, "was_table") == "m"
    assert _relkind(mv_project, "was_view") == "m"
    assert mv_project.scalar(f"select count(*) from {mv_project.schema}.was_view") == 100


def test_index_change_replaces_the_index_and_refreshes_the_data(mv_project: DbtProject) -> None:
    mv_project.write_model("items_mv", _items_model(
        mv_project, extra_config=", post_hook=[mv_index(['v'], name='items_v')]"))
    mv_project.dbt("run")
    mv_project.sql(f"insert into {mv_project.source_schema}.items values (101, 101)")

    mv_project.write_model("items_mv", _items_model(
        mv_project, extra_config=", post_hook=[mv_index(['v desc'], name='items_v'), "
        "mv_index(['id', 'v'], method='brin', name='items_brin')]"))
    mv_project.dbt("run")

    indexes = dict(mv_project.sql(
        "select indexname, indexdef from pg_indexes where schemaname = %s", (mv_project.schema,)))
    assert "(v DESC)" in indexes["items_v"]
    assert "USING brin" in indexes["items_brin"]
    assert mv_project.scalar(f"select count(*) from {mv_project.schema}.items_mv") == 101

    mv_project.write_model("items_mv", _items_model(mv_project))
    mv_project.dbt("run")
    remaining = {row[0] for row in mv_project.sql(
        "select indexname from pg_indexes where schemaname = %s", (mv_project.schema,))}
    assert remaining == {"items_mv_unique_key"}


def test_every_index_kind_of_the_seeds(mv_project: DbtProject) -> None:
    mv_project.sql(f"alter table {mv_project.source_schema}.items add column tag text")
    mv_project.sql(f"update {mv_project.source_schema}.items set tag = 't' || (id % 7)")
    mv_project.write_model("kinds_mv", (
        "{{ config(unique_key=['id'], post_hook=[\n"
        "  mv_index(['tag', 'v desc'], include=['id'], where=\"tag <> 't0'\", name='kinds_partial'),\n"
        "  mv_index(['array[tag]'], method='gin', name='kinds_gin'),\n"
        "  mv_index(['lower(tag)'], name='kinds_expr'),\n"
        "  mv_index(['v'], method='hash', name='kinds_hash'),\n"
        "  mv_index(['id'], method='brin', name='kinds_brin'),\n"
        "  mv_index(['v asc nulls last'], unique=true, name='kinds_unique_v'),\n"
        "]) }}\n"
        f"select id, v, tag from {mv_project.source_schema}.items\n"))
    mv_project.dbt("run")
    indexes = dict(mv_project.sql(
        "select indexname, indexdef from pg_indexes where schemaname = %s", (mv_project.schema,)))
    assert indexes["kinds_partial"].endswith(
        "USING btree (tag, v DESC) INCLUDE (id) WHERE (tag <> 't0'::text)")
    assert "USING gin ((ARRAY[tag]))" in indexes["kinds_gin"]
    assert "USING btree (lower(tag))" in indexes["kinds_expr"]
    assert "USING hash (v)" in indexes["kinds_hash"]
    assert "USING brin (id)" in indexes["kinds_brin"]
    assert "CREATE UNIQUE INDEX kinds_unique_v" in indexes["kinds_unique_v"]
    # Idempotent: a second run refreshes, creates nothing new, and fails on no existing name.
    mv_project.dbt("run")
    assert [row[0] for row in mv_project.log("kinds_mv")] == ["create", "refresh_concurrently"]


def test_default_index_names_are_deterministic(mv_project: DbtProject) -> None:
    mv_project.write_model("named_mv", _items_model(
        mv_project, extra_config=", post_hook=[mv_index(['v desc'])]"))
    mv_project.dbt("run")
    names_first = {row[0] for row in mv_project.sql(
        "select indexname from pg_indexes where schemaname = %s", (mv_project.schema,))}
    mv_project.dbt("run", "--full-refresh")
    names_again = {row[0] for row in mv_project.sql(
        "select indexname from pg_indexes where schemaname = %s", (mv_project.schema,))}
    assert names_first == names_again
    assert any(name.startswith("named_mv_v_desc_") for name in names_first)


def test_a_change_refused_by_on_configuration_change_fail_is_logged_as_a_failure(
    mv_project: DbtProject,
) -> None:
    mv_project.write_model("items_mv", _items_model(
        mv_project, extra_config=", on_configuration_change='fail'"))
    mv_project.dbt("run")
    mv_project.write_model("items_mv", _items_model(
        mv_project, "id, v, v * 10 as v10", extra_config=", on_configuration_change='fail'"))

    result = mv_project.dbt("run", expect_ok=False)

    assert "`on_configuration_change` was set to `fail`" in result.stdout
    action, status, _, error = mv_project.log("items_mv")[-1]
    assert (action, status) == ("rebuild", "error")
    assert "`on_configuration_change` was set to `fail`" in str(error)
    assert mv_project.sql(
        "select last_status, last_error is not null from analytics_meta.mv_status "
        "where schema_name = %s and relation_name = 'items_mv'", (mv_project.schema,)) \
        == [("error", True)]


def _analyzed(project: DbtProject, name: str) -> bool:
    """Whether the view has column statistics (ANALYZE ran on it)."""
    return bool(project.scalar(
        "select count(*) > 0 from pg_stats where schemaname = %s and tablename = %s",
        (project.schema, name)))


def test_new_and_rebuilt_views_have_statistics_before_their_first_reader(
    mv_project: DbtProject,
) -> None:
    # Autovacuum must not be the one analyzing: the check is of the materialization's own.
    no_autovacuum = (", post_hook=[\"alter materialized view {{ this }}"
                     " set (autovacuum_enabled = false)\"]")
    mv_project.write_model("items_mv", _items_model(mv_project, extra_config=no_autovacuum))
    mv_project.dbt("run")
    assert _analyzed(mv_project, "items_mv")
    mv_project.write_model("items_mv", _items_model(mv_project, "id, v, v * 2 as v2",
                                                    extra_config=no_autovacuum))
    mv_project.dbt("run")
    assert [row[0] for row in mv_project.log("items_mv")][-1] == "rebuild"
    assert _analyzed(mv_project, "items_mv")
    assert project_stats_columns(mv_project, "items_mv") == {"id", "v", "v2"}


def project_stats_columns(project: DbtProject, name: str) -> set[str]:
    return {str(row[0]) for row in project.sql(
        "select attname from pg_stats where schemaname = %s and tablename = %s",
        (project.schema, name))}
