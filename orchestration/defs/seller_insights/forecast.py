"""The seller insights forecast as a Dagster asset: `seller_forecast/forecast_output`.

It sits between two dbt assets: it reads the dbt view `analytics.seller_forecast_inputs` and
writes the table the dbt source `seller_forecast.forecast_output` names, which the views
`seller_forecast_vs_posted(_weekly)` read; the daily job runs the three in that order. Each run
scores the model on the last held-out week (fitted on the weeks before it), fits on every
finished bundle, forecasts the bundles starting after now and replaces the table in one
transaction (`orchestration.marts.seller_insights.forecast.store`). The model and its figures:
`orchestration/marts/seller_insights/forecast/`.
"""

# No `from __future__ import annotations`: Dagster checks the op's annotations at run time.
from datetime import datetime
from typing import Any

from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, MetadataValue, asset

from orchestration.core.project import CADENCE_TAG
from orchestration.defs.freshness import freshness_policy
from orchestration.defs.resources import PostgresResource
from orchestration.marts.seller_insights.forecast import evaluation
from orchestration.marts.seller_insights.forecast.run import ForecastRun, run_forecast

KEY = AssetKey(["seller_forecast", "forecast_output"])
INPUTS_KEY = AssetKey(["analytics", "seller_forecast_inputs"])


class ForecastConfig(Config):
    """Run config: `as_of` (an ISO timestamp with zone) pins "now" for back-fills and tests;
    empty means the time of the run, as the daily job wants."""

    as_of: str = ""


def run_metadata(run: ForecastRun) -> dict[str, Any]:
    """What each materialization records: rows written, fit time, sellers forecast from the
    marketplace's averages, and the held-out week's scores (model against both baselines)."""
    meta: dict[str, Any] = {
        # What `analytics refresh` reports for any asset it ran (see orchestration/cli/refresh).
        "analytics/action": "forecast",
        "dagster/row_count": run.rows_written,
        "rows_written": run.rows_written,
        "fit_seconds": round(run.fit_seconds, 2),
        "run_seconds": round(run.total_seconds, 2),
        "sellers_without_history": run.sellers_without_history,
    }
    ev = run.evaluation
    if ev is not None:
        meta |= {
            "held_out_bundles": ev.test_bundles,
            "mae_model": round(ev.model.mae, 3),
            "mae_seller_mean": round(ev.seller_mean.mae, 3),
            "mae_same_slot": round(ev.same_slot.mae, 3),
            "mape_model_pct": round(ev.model.mape, 1),
            "no_show_brier": round(ev.brier, 4),
            "confidence_mean": round(ev.mean_confidence, 3),
            "confidence_coverage": round(ev.coverage, 3),
            "held_out_report": MetadataValue.md(f"```\n{evaluation.report(ev)}\n```"),
        }
    return meta


@asset(
    key=KEY,
    deps=[INPUTS_KEY],
    tags={CADENCE_TAG: "daily"},
    description=(
        "Forecast of every future bundle (predicted sales, no-show probability, confidence = "
        "P(collected within 20 % of the prediction), rationale): a numpy demand model fitted on "
        "analytics.seller_forecast_inputs, written to seller_forecast.forecast_output in one "
        "transaction (readers see the old or the new forecast, never a partial one)."
    ),
    metadata={"analytics/relation": "seller_forecast.forecast_output"},
    freshness_policy=freshness_policy("daily"),
)
def forecast_output(context: AssetExecutionContext, config: ForecastConfig,
                    postgres: PostgresResource) -> MaterializeResult:
    as_of = datetime.fromisoformat(config.as_of) if config.as_of else None
    with postgres.connect() as conn:
        run = run_forecast(conn, as_of=as_of)
    if run.evaluation is not None:
        context.log.info(evaluation.report(run.evaluation))
    context.log.info(f"wrote {run.rows_written} forecasts ({run.sellers_without_history} sellers"
                     " without history)")
    return MaterializeResult(metadata=run_metadata(run))
