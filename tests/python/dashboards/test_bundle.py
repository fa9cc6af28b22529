"""The repository side of import and export, without Superset: where exported files go, and
what is made canonical so that two installations export the same files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestration.dashboards.bundle import (
    PLACEHOLDER_URI,
    BundleError,
    import_contents,
    renumber_charts,
    write_export,
)


def _write(root: Path, relative: str, config: dict) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config))


def _chart_node(node_id: str, chart_id: int) -> dict:
    return {"type": "CHART", "id": node_id, "meta": {"chartId": chart_id, "uuid": node_id}}


def test_chart_ids_are_numbered_in_layout_order_and_unmapped_references_dropped() -> None:
    dashboard = {
        "position": {"CHART-a": _chart_node("CHART-a", 42), "CHART-b": _chart_node("CHART-b", 17)},
        "metadata": {
            "native_filter_configuration": [{"chartsInScope": [17, 42], "scope": {"excluded": [42]}}],
            "chart_configuration": {"17": {"id": 17, "crossFilters": {"chartsInScope": [42]}}},
            "expanded_slices": {"17": True}, "shared_label_colors": ["revenue"],
        },
    }
    renumber_charts(dashboard)
    assert dashboard["position"]["CHART-a"]["meta"]["chartId"] == 1
    assert dashboard["position"]["CHART-b"]["meta"]["chartId"] == 2
    assert dashboard["metadata"]["native_filter_configuration"] == [{"scope": {"excluded": [1]}}]
    assert set(dashboard["metadata"]) == {"native_filter_configuration"}


def test_an_exported_file_goes_back_to_the_file_with_its_uuid(tmp_path: Path) -> None:
    _write(tmp_path, "retail/charts/store_ranking.yaml", {"uuid": "u-1", "slice_name": "Old"})
    exported = {"charts/New_title_12.yaml": yaml.safe_dump(
        {"uuid": "u-1", "slice_name": "New title", "params": {"datasource": "3__table"},
         "query_context": '{"datasource": {"id": 3}}'})}
    written = write_export(exported, root=tmp_path)
    assert written == [tmp_path / "retail/charts/store_ranking.yaml"]
    config = yaml.safe_load(written[0].read_text())
    assert config["slice_name"] == "New title" and config["params"] == {}
    assert config["query_context"] is None


def test_a_datasets_columns_and_metrics_are_kept_in_name_order(tmp_path: Path) -> None:
    _write(tmp_path, "retail/datasets/analytics/v.yaml", {"uuid": "d-1"})
    exported = {"datasets/analytics/v_4.yaml": yaml.safe_dump({
        "uuid": "d-1", "columns": [{"column_name": "b"}, {"column_name": "a"}],
        "metrics": [{"metric_name": "y"}, {"metric_name": "x"}]})}
    config = yaml.safe_load(write_export(exported, root=tmp_path)[0].read_text())
    assert [c["column_name"] for c in config["columns"]] == ["a", "b"]
    assert [m["metric_name"] for m in config["metrics"]] == ["x", "y"]


def test_a_new_file_needs_the_mart_it_belongs_to(tmp_path: Path) -> None:
    _write(tmp_path, "retail/charts/store_ranking.yaml", {"uuid": "u-1"})
    exported = {"charts/Brand_share_7.yaml": yaml.safe_dump({"uuid": "u-2"}),
                "charts/Store_ranking_3.yaml": yaml.safe_dump({"uuid": "u-1"})}
    with pytest.raises(BundleError, match=r"charts/Brand_share\.yaml.*--mart"):
        write_export(exported, root=tmp_path)
    assert yaml.safe_load((tmp_path / "retail/charts/store_ranking.yaml").read_text()) == {"uuid": "u-1"}
    written = write_export(exported, new_group="retail", root=tmp_path)
    assert tmp_path / "retail/charts/Brand_share.yaml" in written


def test_the_database_address_is_the_installations_at_import_and_a_placeholder_in_the_repository(
    tmp_path: Path,
) -> None:
    _write(tmp_path, "_shared/databases/analytics.yaml", {"uuid": "d", "sqlalchemy_uri": PLACEHOLDER_URI})
    _write(tmp_path, "retail/charts/totals.yaml", {"uuid": "r"})
    _write(tmp_path, "commerce/charts/totals.yaml", {"uuid": "c"})
    contents = import_contents("postgresql+psycopg2://u:XXXXXXXXXX@/db?host=/s", root=tmp_path)
    assert yaml.safe_load(contents["databases/_shared/analytics.yaml"])["sqlalchemy_uri"].endswith("host=/s")
    assert {"charts/retail/totals.yaml", "charts/commerce/totals.yaml"} <= set(contents)
    only_retail = import_contents("postgresql://x", root=tmp_path, marts=["retail"])
    assert "charts/commerce/totals.yaml" not in only_retail
    written = write_export({"databases/analytics.yaml": yaml.safe_dump(
        {"uuid": "d", "sqlalchemy_uri": "postgresql+psycopg2://u:XXXXXXXXXX@/db?host=/s"})}, root=tmp_path)
    assert yaml.safe_load(written[0].read_text())["sqlalchemy_uri"] == PLACEHOLDER_URI


def test_the_dashboards_read_the_replica_named_by_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from orchestration.cli.dashboards import read_uri
    from orchestration.core.settings import ConnectionSettings

    primary = ConnectionSettings("primary.example", 5432, "postgres", "pw", "analytics", False)
    monkeypatch.delenv("ANALYTICS_READ_DATABASE_URL", raising=False)
    assert "@primary.example:5432/analytics" in read_uri(primary)
    monkeypatch.setenv("ANALYTICS_READ_DATABASE_URL", "postgresql://x:secret@replica.example:6432/analytics")
    uri = read_uri(primary)
    # The reader login on the replica, its password masked as on the primary.
    assert uri.startswith("postgresql+psycopg2://analytics_dashboards:XXXXXXXXXX@replica.example:6432/")
    assert "secret" not in uri
