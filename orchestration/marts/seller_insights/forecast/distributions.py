"""Count distributions the forecast needs, vectorised over bundles.

Demand D of a bundle is Poisson (dispersion `r` = inf) or negative binomial with mean `mean`
and size `r` (variance mean + mean² / r). What is observed is capped by the posted quantity:
R = min(D, cap) units are reserved, and each reserved unit is collected with probability q
(binomial thinning), so the collected units C ~ Binomial(R, q).

The pmf is built term by term (p_k from p_{k-1}), one array operation per k for all bundles
at once. `effective_cap` bounds k: beyond mean + 12 sd the tail is below 1e-20, so a bundle
posted with 10 000 units costs as much as one posted with its plausible demand.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

MAX_MEAN = 500.0
_TINY = 1e-300


def effective_cap(mean: np.ndarray, r: float, cap: np.ndarray) -> np.ndarray:
    """`cap`, lowered to where D's upper tail is negligible (so loops over k stay short)."""
    sd = np.sqrt(mean + (0.0 if np.isinf(r) else mean**2 / r))
    bound = np.ceil(mean + 12.0 * sd + 10.0).astype(np.int64)
    return np.minimum(np.maximum(cap, 0), bound)


def pmf_terms(mean: np.ndarray, r: float, kmax: int) -> Iterator[tuple[int, np.ndarray]]:
    """(k, P(D = k)) for k = 0..kmax, each an array over bundles."""
    mu = np.clip(np.asarray(mean, dtype=np.float64), 0.0, MAX_MEAN)
    if np.isinf(r):
        p = np.exp(-mu)
        ratio = mu
    else:
        p = np.exp(r * np.log(r / (r + mu)))
        ratio = mu / (r + mu)
    for k in range(kmax + 1):
        if k > 0:
            p = p * ratio / k if np.isinf(r) else p * ratio * (k - 1 + r) / k
        yield k, p


def capped_mean(mean: np.ndarray, r: float, cap: np.ndarray) -> np.ndarray:
    """E[min(D, cap)] = sum over k < cap of P(D > k)."""
    cap = effective_cap(mean, r, cap)
    out = np.zeros(mean.shape, dtype=np.float64)
    cdf = np.zeros(mean.shape, dtype=np.float64)
    kmax = int(cap.max(initial=0))
    for k, p in pmf_terms(mean, r, kmax - 1):
        cdf = cdf + p
        out += np.where(k < cap, np.clip(1.0 - cdf, 0.0, 1.0), 0.0)
    return out


def censored_mean(mean: np.ndarray, r: float, floor: np.ndarray) -> np.ndarray:
    """E[D | D >= floor]: the demand of a sold-out bundle, whose floor is its posted quantity.

    E[D; D >= c] = mean - sum_{k<c} k p_k, divided by P(D >= c). Where that tail is vanishing
    (demand far below what sold out) the answer is the floor itself."""
    floor = np.maximum(floor, 0)
    below_mass = np.zeros(mean.shape, dtype=np.float64)
    below_first = np.zeros(mean.shape, dtype=np.float64)
    kmax = int(floor.max(initial=0))
    for k, p in pmf_terms(mean, r, kmax - 1):
        inside = k < floor
        below_mass += np.where(inside, p, 0.0)
        below_first += np.where(inside, k * p, 0.0)
    tail = 1.0 - below_mass
    mu = np.clip(mean, 0.0, MAX_MEAN)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (mu - below_first) / tail
    ok = np.isfinite(value) & (tail > 1e-9)
    return np.where(ok, np.maximum(value, floor), floor.astype(np.float64))


def censored_log_likelihood(mean: np.ndarray, r: float, y: np.ndarray, censored: np.ndarray) -> float:
    """log L of counts `y`, where `censored` ones are only known to be >= y."""
    kmax = int(y.max(initial=0))
    log_p = np.full(mean.shape, np.log(_TINY))
    below = np.zeros(mean.shape, dtype=np.float64)
    for k, p in pmf_terms(mean, r, kmax):
        log_p = np.where(~censored & (y == k), np.log(np.maximum(p, _TINY)), log_p)
        below += np.where(censored & (k < y), p, 0.0)
    log_tail = np.log(np.maximum(1.0 - below, _TINY))
    return float(np.where(censored, log_tail, log_p).sum())


def collected_within_band(mean: np.ndarray, r: float, cap: np.ndarray, q: np.ndarray,
                          predicted: np.ndarray, band: float = 0.2, chunk: int = 4096) -> np.ndarray:
    """P(|C - predicted| <= band * predicted), C ~ Binomial(min(D, cap), q).

    The pmf of C is assembled chunk by chunk as a (bundles x k) matrix: for each reserved count
    r', P(R = r') times the binomial pmf of collecting j of r' units."""
    cap = effective_cap(mean, r, cap)
    out = np.empty(mean.shape, dtype=np.float64)
    lo = np.ceil(predicted * (1.0 - band) - 1e-9).astype(np.int64)
    hi = np.floor(predicted * (1.0 + band) + 1e-9).astype(np.int64)
    for start in range(0, mean.shape[0], chunk):
        sl = slice(start, start + chunk)
        out[sl] = _band_chunk(mean[sl], r, cap[sl], q[sl], lo[sl], hi[sl])
    return np.clip(out, 0.0, 1.0)


def _band_chunk(mean: np.ndarray, r: float, cap: np.ndarray, q: np.ndarray, lo: np.ndarray,
                hi: np.ndarray) -> np.ndarray:
    m = mean.shape[0]
    kmax = int(cap.max(initial=0))
    reserved = np.zeros((m, kmax + 1))
    cdf = np.zeros(m)
    for k, p in pmf_terms(mean, r, kmax):
        reserved[:, k] = np.where(k < cap, p, np.where(k == cap, np.clip(1.0 - cdf, 0.0, 1.0), 0.0))
        cdf = cdf + p
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, kmax + 1)))])
    qq = np.clip(q, 1e-12, 1 - 1e-12)[:, None]
    log_q, log_1q = np.log(qq), np.log1p(-qq)
    collected = np.zeros((m, kmax + 1))
    for total in range(kmax + 1):
        j = np.arange(total + 1)
        log_binom = (log_fact[total] - log_fact[j] - log_fact[total - j])[None, :]
        collected[:, : total + 1] += reserved[:, total : total + 1] * np.exp(
            log_binom + j * log_q + (total - j) * log_1q)
    cum = np.concatenate([np.zeros((m, 1)), np.cumsum(collected, axis=1)], axis=1)
    hi_c = np.clip(hi, -1, kmax) + 1
    lo_c = np.clip(lo, 0, kmax + 1)
    rows = np.arange(m)
    return np.where(hi_c > lo_c, cum[rows, hi_c] - cum[rows, lo_c], 0.0)
