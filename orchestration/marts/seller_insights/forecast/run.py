"""One forecast run, as the Dagster asset does it: read the inputs, score the model on the last
held-out week, fit on every finished bundle, forecast the future ones, replace the output.

Kept apart from Dagster so tests and the bench run exactly what the asset runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import psycopg2.extensions

from orchestration.marts.seller_insights.forecast import evaluation, rationale, store
from orchestration.marts.seller_insights.forecast.bundles import Bundles
from orchestration.marts.seller_insights.forecast.model import ModelConfig, fit, predict

HELD_OUT_WEEKS = 1


@dataclass(frozen=True)
class ForecastRun:
    rows_written: int
    future_bundles: int
    sellers_without_history: int
    fit_seconds: float
    total_seconds: float
    evaluation: evaluation.Evaluation | None  # None when there is no week to hold out


def forecast_rows(bundles: Bundles, as_of: float, config: ModelConfig | None = None
                  ) -> tuple[store.OutputRows, float, int]:
    """(rows for the bundles starting after `as_of`, fit seconds, sellers without history),
    from a model fitted on the bundles finished by then."""
    train = bundles.take(evaluation.finished(bundles, as_of))
    future = bundles.take(bundles.window_start > as_of)
    model = fit(train, as_of, config)
    prediction = predict(model, future)
    text = rationale.explain(model, rationale.history(model, train), future, prediction)
    unknown = model.encoding.seller_index(future.seller_id) == model.encoding.n_sellers - 1
    rows = store.OutputRows(
        bundle_id=future.bundle_id, seller_id=future.seller_id, window_start=future.window_start,
        predicted_sales=prediction.predicted_sales, posted_qty=future.posted_qty,
        no_show_prob=prediction.no_show_prob, confidence=prediction.confidence, rationale=text)
    return rows, model.fit_seconds, int(np.unique(future.seller_id[unknown]).shape[0])


def run_forecast(conn: psycopg2.extensions.connection, as_of: datetime | None = None,
                 config: ModelConfig | None = None,
                 before_commit: store.BeforeCommit | None = None) -> ForecastRun:
    started = time.perf_counter()
    now = as_of or store.database_now(conn)
    bundles = store.read_inputs(conn)
    t = now.timestamp()
    ev = None
    held_out = evaluation.split(bundles, t, HELD_OUT_WEEKS)
    if held_out[0].any() and held_out[1].any():
        ev = evaluation.evaluate(bundles, t, HELD_OUT_WEEKS, config)
    rows, fit_seconds, new_sellers = forecast_rows(bundles, t, config)
    written = store.replace_output(conn, rows, as_of=as_of, before_commit=before_commit)
    return ForecastRun(rows_written=written, future_bundles=len(rows), sellers_without_history=new_sellers,
                       fit_seconds=fit_seconds, total_seconds=time.perf_counter() - started, evaluation=ev)
