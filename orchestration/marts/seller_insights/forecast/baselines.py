"""The two baselines the model must beat (issue 15), on collected units per bundle.

1. `seller_mean`: the seller's mean collected units per past bundle (a seller with no past
   bundles: the marketplace's mean).
2. `same_slot`: the mean collected units of the seller's bundles on the same local weekday and
   start hour in the four weeks before the cutoff (none there: baseline 1).
"""

from __future__ import annotations

import numpy as np

from orchestration.marts.seller_insights.forecast.bundles import WEEK_SECONDS, Bundles

SLOT_WEEKS = 4


def _mean_by(train_keys: np.ndarray, values: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean of `values` over train rows with the same key, whether there was any) per key."""
    uniq, inverse = np.unique(train_keys, return_inverse=True)
    sums = np.bincount(inverse, values, uniq.shape[0])
    counts = np.bincount(inverse, minlength=uniq.shape[0])
    if uniq.size == 0:
        return np.zeros(keys.shape), np.zeros(keys.shape, bool)
    idx = np.minimum(np.searchsorted(uniq, keys), uniq.shape[0] - 1)
    found = uniq[idx] == keys
    return np.where(found, sums[idx] / np.maximum(counts[idx], 1), 0.0), found


def seller_mean(train: Bundles, target: Bundles) -> np.ndarray:
    collected = train.collected_units.astype(np.float64)
    overall = float(collected.mean()) if collected.size else 0.0
    mean, found = _mean_by(train.seller_id, collected, target.seller_id)
    return np.where(found, mean, overall)


def _slot_key(b: Bundles) -> np.ndarray:
    return (b.seller_id * 8 + b.weekday) * 24 + b.start_hour


def same_slot(train: Bundles, target: Bundles, cutoff: float) -> np.ndarray:
    recent = train.window_start > cutoff - SLOT_WEEKS * WEEK_SECONDS
    mean, found = _mean_by(_slot_key(train)[recent], train.collected_units[recent].astype(np.float64),
                           _slot_key(target))
    return np.where(found, mean, seller_mean(train, target))
