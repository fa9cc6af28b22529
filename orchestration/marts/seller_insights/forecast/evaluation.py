"""How good the forecast is: held-out weeks of past bundles, scored like the live forecast.

`evaluate` fits on the bundles that ended before a cutoff (`weeks` before `as_of`) and
forecasts the past bundles after it exactly as it would future ones (no-show lead from the
seller's history, no use of their own outcome), then compares with their collected units:

* MAE: mean |predicted - collected| per bundle; MAPE: mean |predicted - collected| / collected
  over the bundles with collected > 0 (a bundle with no sales has no percentage error), in %;
  for the model and both baselines (`baselines`).
* Brier score of the no-show probability, per reserved unit (each reserved unit is an event:
  collected or not), with a calibration table per decile of predicted probability (units).
* The interval behind `confidence`: confidence is P(collected within +-20 % of the predicted
  sales); `coverage` is how often that happened. Calibrated means coverage ~ mean confidence,
  overall and per decile of confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.marts.seller_insights.forecast import baselines
from orchestration.marts.seller_insights.forecast.bundles import WEEK_SECONDS, Bundles
from orchestration.marts.seller_insights.forecast.model import ModelConfig, Prediction, fit, predict


@dataclass(frozen=True)
class Scores:
    mae: float
    mape: float  # %, over bundles with actual > 0
    bundles: int


@dataclass(frozen=True)
class CalibrationRow:
    decile: int
    weight: float  # units (no-show) or bundles (confidence)
    predicted: float
    observed: float


@dataclass(frozen=True)
class Evaluation:
    cutoff: float
    as_of: float
    train_bundles: int
    test_bundles: int
    model: Scores
    seller_mean: Scores
    same_slot: Scores
    brier: float
    brier_constant: float  # Brier of the training no-show rate for every unit (reference)
    noshow_calibration: tuple[CalibrationRow, ...]
    mean_confidence: float
    coverage: float
    confidence_calibration: tuple[CalibrationRow, ...]
    fit_seconds: float


def finished(bundles: Bundles, at: float) -> np.ndarray:
    """Past bundles whose pickup window had ended at `at`: their outcome is final."""
    return ~bundles.is_future & (bundles.window_end <= at)


def split(bundles: Bundles, as_of: float, weeks: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(train mask, held-out mask, cutoff): train on bundles ended by the cutoff, hold out the
    finished bundles starting after it."""
    cutoff = as_of - weeks * WEEK_SECONDS
    train = finished(bundles, cutoff)
    test = finished(bundles, as_of) & (bundles.window_start > cutoff)
    return train, test, cutoff


def scores(predicted: np.ndarray, actual: np.ndarray) -> Scores:
    err = np.abs(predicted - actual)
    pos = actual > 0
    return Scores(mae=float(err.mean()) if err.size else float("nan"),
                  mape=float(100 * (err[pos] / actual[pos]).mean()) if pos.any() else float("nan"),
                  bundles=int(err.size))


def calibration_table(predicted: np.ndarray, observed: np.ndarray, weight: np.ndarray,
                      bins: int = 10) -> tuple[CalibrationRow, ...]:
    """Weighted deciles of `predicted`: mean predicted vs mean observed in each."""
    keep = weight > 0
    predicted, observed, weight = predicted[keep], observed[keep], weight[keep]
    if predicted.size == 0:
        return ()
    order = np.argsort(predicted, kind="stable")
    cum = np.cumsum(weight[order]) / weight.sum()
    decile = np.minimum((cum * bins - 1e-9).astype(np.int64), bins - 1)
    rows = []
    for k in range(bins):
        sel = order[decile == k]
        w = weight[sel]
        if w.sum() > 0:
            rows.append(CalibrationRow(k + 1, float(w.sum()), float(np.average(predicted[sel], weights=w)),
                                       float(np.average(observed[sel], weights=w))))
    return tuple(rows)


def within_band(predicted: np.ndarray, actual: np.ndarray, band: float = 0.2) -> np.ndarray:
    return np.abs(actual - predicted) <= band * predicted + 1e-9


def noshow_scores(prediction: Prediction, target: Bundles, constant: float
                  ) -> tuple[float, float, tuple[CalibrationRow, ...]]:
    units = target.reserved_units.astype(np.float64)
    shows = target.no_show_units.astype(np.float64)
    p = prediction.no_show_prob
    total = units.sum()
    if total <= 0:
        return float("nan"), float("nan"), ()
    brier = float((shows * (1 - p) ** 2 + (units - shows) * p**2).sum() / total)
    base = float((shows * (1 - constant) ** 2 + (units - shows) * constant**2).sum() / total)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(units > 0, shows / units, 0.0)
    return brier, base, calibration_table(p, share, units)


def evaluate(bundles: Bundles, as_of: float, weeks: int = 1, config: ModelConfig | None = None
             ) -> Evaluation:
    train_mask, test_mask, cutoff = split(bundles, as_of, weeks)
    train, test = bundles.take(train_mask), bundles.take(test_mask)
    model = fit(train, cutoff, config)
    prediction = predict(model, test)
    actual = test.collected_units.astype(np.float64)
    constant = float(train.no_show_units.sum() / max(train.reserved_units.sum(), 1))
    brier, brier_constant, noshow_table = noshow_scores(prediction, test, constant)
    sales = np.round(prediction.predicted_sales, 2)
    hit = within_band(sales, actual, model.config.band).astype(np.float64)
    return Evaluation(
        cutoff=cutoff, as_of=as_of, train_bundles=len(train), test_bundles=len(test),
        model=scores(sales, actual),
        seller_mean=scores(baselines.seller_mean(train, test), actual),
        same_slot=scores(baselines.same_slot(train, test, cutoff), actual),
        brier=brier, brier_constant=brier_constant, noshow_calibration=noshow_table,
        mean_confidence=float(prediction.confidence.mean()) if len(test) else float("nan"),
        coverage=float(hit.mean()) if len(test) else float("nan"),
        confidence_calibration=calibration_table(prediction.confidence, hit, np.ones(len(test))),
        fit_seconds=model.fit_seconds,
    )


def report(ev: Evaluation) -> str:
    """A plain-text summary (for logs, the bench and the docs)."""
    lines = [
        f"held out {ev.test_bundles} bundles after the cutoff, trained on {ev.train_bundles}"
        f" (fit {ev.fit_seconds:.1f} s)",
        *(f"  {name:<12} MAE {s.mae:.3f}  MAPE {s.mape:.1f} %" for name, s in
          (("model", ev.model), ("seller mean", ev.seller_mean), ("same slot", ev.same_slot))),
        f"  no-show Brier {ev.brier:.4f} (constant rate: {ev.brier_constant:.4f})",
        *(f"    decile {r.decile:>2}: predicted {r.predicted:.3f} observed {r.observed:.3f}"
          f" ({r.weight:.0f} units)" for r in ev.noshow_calibration),
        f"  confidence: mean {ev.mean_confidence:.3f}, coverage of +-20 % {ev.coverage:.3f}",
        *(f"    decile {r.decile:>2}: confidence {r.predicted:.3f} hit rate {r.observed:.3f}"
          f" ({r.weight:.0f} bundles)" for r in ev.confidence_calibration),
    ]
    return "\n".join(lines)
