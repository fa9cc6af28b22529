"""`analytics bench --quick` at scale S on the session's test server: every figure is there.

No timing is asserted (the test machine is shared); only that each section produced its numbers
and the JSON file holds them all, in the retail mart's section (`marts.retail`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from typer.testing import CliRunner

from orchestration.bench.context import BenchContext
from orchestration.bench.report import render
from orchestration.bench.runner import BenchOptions, bench_marts, run_bench
from orchestration.core.settings import ConnectionSettings

VIEWS = {
    "mv_daily_sales_estimates", "mv_brand_market_share", "mv_sku_velocity",
    "mv_store_performance", "mv_category_weekly_trends", "mv_product_intelligence",
}


INCREMENTAL = "mv_daily_sales_estimates"
HOURLY = {INCREMENTAL, "mv_sku_velocity", "mv_product_intelligence"}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numbers(mapping: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    for key in keys:
        assert _number(mapping.get(key)), f"{where}: {key} = {mapping.get(key)!r}"


def _check_incremental(section: dict[str, Any]) -> None:
    """The incremental section: the full chain, then an hour and a late batch, each run
    incremental, its dependants kept and the same rows as a full recomputation."""
    assert section["table"] == INCREMENTAL and set(section["chain"]) == HOURLY
    full = section["full"]
    _numbers(full["computed"], ("chain_seconds",), "full computed")
    assert set(full["computed"]["views"]) == HOURLY
    # The quick bench leaves out the chain's `dbt run --full-refresh` (its reference figure).
    assert "dbt" not in full
    assert section["readers_baseline"]["reads"] > 0
    assert section["dependants"]["views"], "no view on the incremental table"
    # The quick bench leaves out midnight (at S no day leaves the window; unit-tested apart).
    assert list(section["steps"]) == ["new_hour", "late_batch"]
    clocks = []
    for name, step in section["steps"].items():
        own = step["views"][INCREMENTAL]
        assert own["action"] == "refresh_incremental", (name, own)
        assert set(step["views"]) == HOURLY, name
        _numbers(step, ("chain_seconds", "step_vs_full", "chain_vs_full", "best_chain_vs_full",
                        "incremental_seconds"), name)
        _numbers(own, ("seconds", "slices", "rows_deleted", "rows_inserted"), name)
        # The materialization ran at the pinned clock, and the proof agrees.
        assert step["run_clock"] == step["clock"], (name, step["run_clock"], step["clock"])
        clocks.append(step["clock"])
        # The views on the table outside the chain keep their OIDs; the chain's swapped views
        # (velocity, and product intelligence recreated on it) are renewed by their own swap.
        assert step["table_oid_kept"] is True and step["dependants"]["ok"] is True, (name, step)
        assert step["dependants"]["kept"] and not step["dependants"]["oid_changed"], name
        assert step["proof"]["same"] is True, (name, step["proof"])
        assert step["readers"]["errors"] == 0 and step["readers"]["reads"] > 0, name
    steps = section["steps"]
    assert steps["new_hour"]["change"]["rows"]["retail_raw.inventory_snapshots"] > 0
    assert steps["new_hour"]["views"][INCREMENTAL]["slices"] > 0
    assert steps["late_batch"]["change"]["rows"] > 0
    assert steps["late_batch"]["views"][INCREMENTAL]["slices"] > 0
    assert clocks[0] == clocks[1]


def test_quick_bench_at_s_writes_every_figure(pg_settings: ConnectionSettings, tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    context = BenchContext(pg_settings, work_dir=tmp_path / "work", console=Console(stderr=True))
    # Every section for the retail mart. The orchestration overhead (a dbt parse and a whole
    # `analytics refresh`, ~20 s a mart) is the same code for every mart: retail's only. The
    # readers during refresh and the skipped refreshes are measured again for the mart whose
    # views skip unchanged refreshes (search performance); the other marts run their views'
    # refresh cost, their dashboard queries and their own sections.
    retail = bench_marts(["retail"])
    skipping = bench_marts(["search_performance"])
    others = [m for m in bench_marts(None) if m.name not in ("retail", "search_performance")]
    run_bench(context, BenchOptions(scale="S", quick=True), json_path=output, marts=retail)
    document = json.loads(output.read_text())
    for marts, skip in ((skipping, ("orchestration_overhead",)),
                        (others, ("orchestration_overhead", "availability", "skipped_refresh"))):
        rest = tmp_path / f"bench-{marts[0].name}.json"
        run_bench(context, BenchOptions(scale="S", quick=True, skip=skip), json_path=rest,
                  marts=marts)
        other_document = json.loads(rest.read_text())
        assert not other_document.get("errors"), other_document.get("errors")
        for mart in marts:
            assert set(skip).isdisjoint(other_document["marts"][mart.name]), mart.name
        document["marts"].update(other_document["marts"])

    assert not document.get("errors"), document.get("errors")
    assert document["bench_version"] == 2 and document["scale"] == "S"
    assert "retail" in document["marts"]
    results = document["marts"]["retail"]
    assert not results.get("errors"), results.get("errors")
    assert results["mart"] == "retail" and results["scale"] == "S"
    _numbers(results["machine"], ("cpu_cores", "memory_gib"), "machine")
    assert results["machine"]["postgres_version"]
    assert results["machine"]["postgres_settings"]["shared_buffers"]
    assert results["data"]["scale"] == "S" and results["data"]["inventory_snapshots"] > 0
    assert results["data"]["probe_table"] == "retail_raw.inventory_snapshots"
    # The parameters come from the retail plug-in's picker, from the built views.
    assert set(results["parameters"]) == {"state", "brand", "store", "product", "stock_out_days",
                                          "oos_days"}
    assert results["parameters"]["state"] and results["parameters"]["product"]
    assert set(results["views"]) == VIEWS

    refresh = results["refresh_cost"]
    assert set(refresh["views"]) == VIEWS
    for name, view in refresh["views"].items():
        _numbers(view, ("rows", "floor_seconds", "rebuild_seconds", "configured_seconds",
                        "materialization_seconds", "rebuild_create_seconds",
                        "rebuild_indexes_seconds"), name)
        if name == INCREMENTAL:
            # A table: no REFRESH; its configured figure is its own run through dbt.
            assert view["strategy"] == "incremental" and view["kind"] == "incremental table"
            assert view["concurrent_seconds"] is None and view["plain_seconds"] is None
            assert view["configured_seconds"] == view["materialization_seconds"]
            assert view["materialization_actions"] == ["refresh_incremental"], view
        else:
            _numbers(view, ("concurrent_seconds", "plain_seconds"), name)
            assert view["strategy"] in ("concurrently", "swap")
    _numbers(refresh["total"], ("floor_seconds", "concurrent_seconds", "plain_seconds",
                                "rebuild_seconds", "materialization_seconds",
                                "materialization_span_seconds", "materialization_vs_floor"), "total")
    assert refresh["total"]["left_out"]["concurrent_seconds"] == [INCREMENTAL]

    for mode in ("concurrent", "plain"):
        section = results["availability"][mode]
        assert set(section["views"]) == VIEWS, mode
        _numbers(section, ("refresh_wall_seconds", "total_reads", "total_errors"), mode)
        for name, view in section["views"].items():
            assert view["reads"] > 0, (mode, name)
            assert isinstance(view["errors"], int)
            _numbers(view["latency_ms"], ("p50", "p99", "max"), f"{mode} {name}")

    dashboard = results["dashboard"]
    assert len(dashboard["queries"]) == 8
    for name, query in dashboard["queries"].items():
        _numbers(query["view_ms"], ("p50", "p95"), name)
        _numbers(query["raw_ms"], ("p50",), name)
        assert _number(query["speedup"]), name
        _numbers(query["answer_floor_ms"], ("p50",), name)
        assert _number(query["best_speedup"]), name
        assert isinstance(query["uses_index"], bool)
        assert query["same_rows_as_raw"] is True, name

    overhead = results["orchestration_overhead"]
    assert "error" not in overhead, overhead.get("error")
    _numbers(overhead, ("wall_seconds", "sql_seconds", "overhead_seconds", "dbt_run_seconds",
                        "checks_and_hooks_seconds", "startup_and_events_seconds", "seconds_to_dbt",
                        "seconds_to_first_dbt_node", "parse_before_seconds"), "overhead")
    # Measured as a deployment's hourly run: it starts from the previous run's parse.
    assert overhead["full_reparse"] is False, overhead["log_file"]
    # The hourly views only: daily sales is refreshed incrementally, so nothing on it is
    # rebuilt with it.
    assert {row["model"] for row in overhead["refresh_log"]} == HOURLY
    assert {row["action"] for row in overhead["refresh_log"]
            if row["model"] == INCREMENTAL} == {"refresh_incremental"}
    assert results["availability"]["plain"]["not_refreshed"] == [INCREMENTAL]

    _check_incremental(results["incremental"])

    assert results["scaling"] == {"enabled": False, "slope": None, "points": []}
    ids = {t["id"] for t in results["targets"]}
    assert {"refresh_vs_floor", "whole_refresh_vs_floor", "read_errors", "read_max_latency_ms",
            "dashboard_p95_ms", "dashboard_speedup", "orchestration_overhead_seconds",
            "scaling_slope", "incremental_step_vs_full", "incremental_chain_vs_full",
            "incremental_read_errors", "incremental_read_max_latency_ms",
            "incremental_dependants_intact", "incremental_rows_differing"} <= ids
    by_id = {t["id"]: t for t in results["targets"]}
    # Correctness, not timing: readers never fail, dependants stay, the rows are the same.
    for target_id in ("incremental_read_errors", "incremental_dependants_intact",
                      "incremental_rows_differing"):
        assert by_id[target_id]["met"] is True, by_id[target_id]
    for target in results["targets"]:
        if target["id"] != "scaling_slope":
            assert target["met"] in (True, False), target
    # Every mart with a bench is measured. A view that skips unchanged refreshes skips a run in
    # which nothing changed, and the runs that time refreshes touched its sources first.
    assert document["marts"]["search_performance"]["skipped_refresh"]["views"]
    for name, section in document["marts"].items():
        assert not section.get("errors"), (name, section.get("errors"))
        for query_name, query in section["dashboard"]["queries"].items():
            assert query["same_rows_as_raw"] is True, (name, query_name)
        if "skipped_refresh" not in section:
            continue
        skipping = section["skipped_refresh"]["views"]
        for view, figures in skipping.items():
            assert figures["skipped"] is True, (name, view, figures)
            _numbers(figures, ("sql_seconds", "statements", "node_seconds"), f"{name} {view}")
        concurrent = section["availability"]["concurrent"]
        if skipping:
            assert concurrent["sources_touched"], name
            # (A view rebuilt with its swapped upstream skips as fresh: that is no skip.)
            unchanged = [row["model"] for row in concurrent["refresh_log"]
                         if row["skip_reason"] == "unchanged"]
            assert not unchanged, (name, unchanged)
    # A mart's own section (the seller insights forecast) runs before the others, so the
    # forecast views the dashboard section reads hold the forecast it wrote.
    insights = document["marts"]["seller_insights"]
    forecast = insights["forecast"]
    _numbers(forecast, ("rows_written", "fit_seconds", "run_seconds"), "forecast")
    _numbers(forecast["against_truth"]["model"], ("mae", "mape"), "forecast against the truth")
    assert forecast["rows_written"] > 0
    assert insights["dashboard"]["queries"]["upcoming_forecast"]["rows"] > 0
    with open(tmp_path / "report.txt", "w", encoding="utf-8") as handle:
        Console(file=handle, width=200).print(render(document))
    text = (tmp_path / "report.txt").read_text()
    assert "Targets" in text and "Benchmark of the retail mart at scale S" in text
    assert "inventory snapshots" in text
    assert "Incremental hourly chain" in text and "late_batch" in text


def test_an_unknown_mart_is_refused_naming_the_known_ones() -> None:
    from orchestration.cli import app

    result = CliRunner().invoke(app, ["bench", "--quick", "--mart", "retail", "--mart", "nowhere"])
    assert result.exit_code == 2, result.output
    assert "unknown mart 'nowhere'" in result.output and "retail" in result.output
