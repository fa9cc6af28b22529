"""The forecast's figures for the bench: one run as the asset does it (timed), its held-out
week, and the forecast it wrote scored against the simulator's truth (`surplus_truth`), which
only the bench and the tests read."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

import numpy as np
import psycopg2.extensions

from orchestration.marts.seller_insights.forecast import baselines, evaluation, store
from orchestration.marts.seller_insights.forecast.run import run_forecast

_WRITTEN_WITH_TRUTH = f"""
select f.bundle_id, f.predicted_sales::float8, f.confidence::float8, t.collected_units
from {store.OUTPUT} f
join surplus_truth.bundle_outcomes t using (bundle_id)
order by f.bundle_id
"""


def _scores(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    return {k: round(v, 4) if isinstance(v, float) else v
            for k, v in asdict(evaluation.scores(predicted, actual)).items()}


def against_truth(conn: psycopg2.extensions.connection) -> dict[str, Any]:
    """The written forecast's MAE and MAPE on each bundle's eventual collected units, beside
    both baselines fitted on the same history, and the coverage of `confidence`."""
    with conn.cursor() as cur:
        cur.execute(_WRITTEN_WITH_TRUTH)
        rows = cur.fetchall()
    if not rows:
        return {"bundles": 0}
    bundle_id = np.array([r[0] for r in rows], dtype=np.int64)
    predicted = np.array([r[1] for r in rows])
    confidence = np.array([r[2] for r in rows])
    actual = np.array([r[3] for r in rows], dtype=np.float64)
    bundles = store.read_inputs(conn)
    now = store.database_now(conn).timestamp()
    train = bundles.take(evaluation.finished(bundles, now))
    target = bundles.take(np.isin(bundles.bundle_id, bundle_id))
    order = np.argsort(target.bundle_id)
    actual_by_target = actual[np.searchsorted(bundle_id, target.bundle_id[order])]
    return {
        "bundles": len(rows),
        "model": _scores(predicted, actual),
        "seller_mean": _scores(baselines.seller_mean(train, target)[order], actual_by_target),
        "same_slot": _scores(baselines.same_slot(train, target, now)[order], actual_by_target),
        "mean_confidence": round(float(confidence.mean()), 4),
        "coverage": round(float(evaluation.within_band(predicted, actual).mean()), 4),
    }


def measure(conn: psycopg2.extensions.connection) -> dict[str, Any]:
    """One run of the forecast (what the daily job's Python step costs) and its scores."""
    started = time.perf_counter()
    run = run_forecast(conn)
    figures: dict[str, Any] = {
        "rows_written": run.rows_written,
        "sellers_without_history": run.sellers_without_history,
        "fit_seconds": round(run.fit_seconds, 2),
        "run_seconds": round(time.perf_counter() - started, 2),
    }
    ev = run.evaluation
    if ev is not None:
        figures["held_out_week"] = {
            "train_bundles": ev.train_bundles, "test_bundles": ev.test_bundles,
            "fit_seconds": round(ev.fit_seconds, 2),
            "model": asdict(ev.model), "seller_mean": asdict(ev.seller_mean),
            "same_slot": asdict(ev.same_slot),
            "no_show_brier": round(ev.brier, 5), "no_show_brier_constant": round(ev.brier_constant, 5),
            "no_show_calibration": [asdict(r) for r in ev.noshow_calibration],
            "mean_confidence": round(ev.mean_confidence, 4), "coverage": round(ev.coverage, 4),
            "confidence_calibration": [asdict(r) for r in ev.confidence_calibration],
            "report": evaluation.report(ev),
        }
    figures["against_truth"] = against_truth(conn)
    return figures
