"""`rationale`: one short sentence per forecast, from the figures that drove it.

First what the seller's history at that weekday and hour says (sell-through of the units
posted there recently), or that there is none and what stands in for it (the seller's other
windows, or the marketplace's averages for a seller with no history); then the strongest
adjustment of this bundle (its categories, its price, the seller's trend, demand above the
posted quantity), if any moves demand by 10 % or more; then the no-show share when it is
notable. Every clause is filled from numbers; none is printed without them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.marts.seller_insights.forecast.bundles import WEEK_SECONDS, WEEKDAY_NAMES, Bundles
from orchestration.marts.seller_insights.forecast.model import (
    DAYS,
    HOURS,
    Design,
    FittedModel,
    Prediction,
    design,
)

RECENT_WEEKS = 6
SLOTS = DAYS * HOURS
NOTABLE = np.log(1.1)
NOTABLE_NO_SHOW = 0.1
NOTABLE_TREND = 0.02


@dataclass(frozen=True)
class History:
    """Sums over the training bundles, per seller level (the model's encoding) and slot."""

    slot_posted: np.ndarray  # (sellers, 168), last RECENT_WEEKS
    slot_collected: np.ndarray
    slot_count: np.ndarray
    recent_posted: np.ndarray  # (sellers,), last RECENT_WEEKS
    recent_collected: np.ndarray
    recent_count: np.ndarray
    all_posted: np.ndarray  # (sellers,), all history
    all_collected: np.ndarray
    first_start: np.ndarray  # (sellers,), epoch seconds of the first bundle (inf: none)
    market_slot_posted: np.ndarray  # (168,), all history
    market_slot_collected: np.ndarray
    category_mean: np.ndarray  # (sellers,), unit-weighted mean category log factor
    price_mean: np.ndarray
    t_ref: float


def history(model: FittedModel, train: Bundles) -> History:
    d = design(model.encoding, train, model.config)
    n_s = model.encoding.n_sellers
    slot = d.weekday * HOURS + d.hour
    key = d.seller * SLOTS + slot
    recent = train.window_start > model.encoding.t_ref - RECENT_WEEKS * WEEK_SECONDS
    posted = train.posted_qty.astype(np.float64)
    collected = train.collected_units.astype(np.float64)

    def by(keys: np.ndarray, values: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
        return np.bincount(keys[mask], values[mask], n)

    every = np.ones(len(train), bool)
    ones = np.ones(len(train))
    first = np.full(n_s, np.inf)
    np.minimum.at(first, d.seller, train.window_start)
    count = np.maximum(np.bincount(d.seller, minlength=n_s), 1)
    return History(
        slot_posted=by(key, posted, recent, n_s * SLOTS).reshape(n_s, SLOTS),
        slot_collected=by(key, collected, recent, n_s * SLOTS).reshape(n_s, SLOTS),
        slot_count=by(key, ones, recent, n_s * SLOTS).reshape(n_s, SLOTS),
        recent_posted=by(d.seller, posted, recent, n_s),
        recent_collected=by(d.seller, collected, recent, n_s),
        recent_count=by(d.seller, ones, recent, n_s),
        all_posted=by(d.seller, posted, every, n_s),
        all_collected=by(d.seller, collected, every, n_s),
        first_start=first,
        market_slot_posted=by(slot, posted, every, SLOTS),
        market_slot_collected=by(slot, collected, every, SLOTS),
        category_mean=np.bincount(d.seller, model.category_log(d), n_s) / count,
        price_mean=np.bincount(d.seller, model.price_log(d), n_s) / count,
        t_ref=model.encoding.t_ref,
    )


def explain(model: FittedModel, hist: History, bundles: Bundles, prediction: Prediction) -> list[str]:
    """The rationale of each bundle's forecast."""
    d = design(model.encoding, bundles, model.config)
    category = model.category_log(d) - hist.category_mean[d.seller]
    price = model.price_log(d) - hist.price_mean[d.seller]
    trend = model.trend[d.seller]
    return [
        _sentence(i, bundles, d, hist, category[i], price[i], trend[i], prediction)
        for i in range(len(bundles))
    ]


def _slot_label(weekday: int, hour: int) -> str:
    return f"{WEEKDAY_NAMES[weekday]} {hour:02d}:00-{(hour + 1) % 24:02d}:00 windows"


def _pct(part: float, whole: float) -> str:
    return f"{round(100 * part / whole)} %" if whole > 0 else "0 %"


def _units(n: float) -> str:
    n = round(n)
    return f"{n} unit" if n == 1 else f"{n} units"


def _history_clause(i: int, d: Design, hist: History) -> str:
    s, wd, hr = int(d.seller[i]), int(d.weekday[i]), int(d.hour[i])
    slot = wd * HOURS + hr
    label = _slot_label(wd, hr)
    if not np.isfinite(hist.first_start[s]):
        market = hist.market_slot_posted[slot]
        where = (f"for {label} ({_pct(hist.market_slot_collected[slot], market)} of posted units sold)"
                 if market > 0 else "(no marketplace history for that weekday and hour either)")
        return f"No sales history yet, so the forecast uses the marketplace's averages {where}"
    span_weeks = (hist.t_ref - hist.first_start[s]) / WEEK_SECONDS
    period = ("in the seller's only week of history" if span_weeks <= 1.0
              else f"over the last {min(RECENT_WEEKS, int(np.ceil(span_weeks)))} weeks")
    count = hist.slot_count[s, slot]
    if count > 0:
        posted, sold = hist.slot_posted[s, slot], hist.slot_collected[s, slot]
        windows = "1 window" if count == 1 else f"{int(count)} windows"
        return f"{label} sold {_pct(sold, posted)} of {_units(posted)} posted {period} ({windows})"
    if hist.recent_count[s] > 0:
        return (f"No {label} {period}; the seller's other windows sold "
                f"{_pct(hist.recent_collected[s], hist.recent_posted[s])} of "
                f"{_units(hist.recent_posted[s])} posted")
    return (f"No windows in the last {RECENT_WEEKS} weeks; earlier the seller sold "
            f"{_pct(hist.all_collected[s], hist.all_posted[s])} of {_units(hist.all_posted[s])} posted")


def _sentence(i: int, bundles: Bundles, d: Design, hist: History, category: float, price: float,
              trend: float, prediction: Prediction) -> str:
    clauses = [_history_clause(i, d, hist)]
    cats = bundles.categories_of(i)
    options: list[tuple[float, str]] = []
    if cats:
        names = " and ".join(c.lower() for c in cats[:2]) + (" etc." if len(cats) > 2 else "")
        options.append((abs(category), f"{names} items sell {np.exp(category):.1f}x the seller's average"))
    if price != 0.0:
        options.append((abs(price), f"its price moves demand {np.exp(price):.1f}x against the"
                                    " seller's usual price"))
    if abs(trend) >= NOTABLE_TREND:
        options.append((abs(trend) * 2, f"the seller's demand is {'growing' if trend > 0 else 'falling'} "
                                        f"{abs(round(100 * (np.exp(trend) - 1)))} % a week"))
    demand, posted = prediction.demand[i], int(bundles.posted_qty[i])
    if posted > 0 and demand > 1.1 * posted:
        options.append((np.log(demand / posted), f"expected demand ({demand:.0f}) exceeds the "
                                                 f"{_units(posted)} posted"))
    notable = [o for o in options if o[0] >= NOTABLE]
    if notable:
        clauses.append(max(notable)[1])
    elif not cats:
        clauses.append("it has no category, so the seller's overall level applies")
    p = prediction.no_show_prob[i]
    if p >= NOTABLE_NO_SHOW:
        clauses.append(f"{round(100 * p)} % of reserved units are expected not to be collected")
    text = "; ".join(clauses) + "."
    return text[0].upper() + text[1:]
