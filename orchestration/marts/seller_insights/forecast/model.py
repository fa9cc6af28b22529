"""The demand and no-show model: fit on past bundles, predict any bundles.

Demand (units a bundle's buyers want to reserve) is Poisson-like with a multiplicative mean

    lambda = base x weekday x hour x category x price bin            (the marketplace's factors)
             x seller x seller-weekday x seller-hour x seller-category x exp(trend x weeks)

where the category factor of a bundle is the geometric mean over its categories (none -> 1),
the price bin is the bundle's price over the seller's median price, and every seller factor
is shrunk toward 1 (the marketplace's factor) by pseudo-bundles, so a seller with one week
of history sits between its own figures and the marketplace's, and one with none gets the
marketplace's. Past bundles are weighted by exp decay (half-life `half_life_weeks`) and a
small per-seller log-linear trend is fitted, so a growing or shrinking seller is followed.

Fit: Poisson maximum likelihood by backfitting (each factor's level = its weighted observed
over expected units, one `np.bincount` per factor), as in a GLM with a log link but without
building a design matrix. Reserved units are capped by the posted quantity, so a sold-out
bundle only says demand >= posted: EM replaces its count by E[D | D >= posted] under the
current fit. Then the over-dispersion (negative binomial size) is chosen by the censored
likelihood, for the predictive distribution.

No-show: logistic regression of a bundle's no-show share (weighted by its reserved units) on
its local start hour and ln(mean lead hours), by Newton's method. A future bundle's lead is
its seller's historic mean lead (its reservations are still coming in).

Prediction: predicted_sales = E[min(D, posted)] x (1 - p_no_show); confidence = P(collected
within 20 % of predicted_sales) under D capped at posted and binomial no-shows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from orchestration.marts.seller_insights.forecast import distributions
from orchestration.marts.seller_insights.forecast.bundles import WEEK_SECONDS, Bundles

HOURS = 24
DAYS = 7
DISPERSION_GRID = (0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0, 35.0, 60.0, 100.0, np.inf)


@dataclass(frozen=True)
class ModelConfig:
    """Knobs of the model (the defaults are the ones measured on the simulation)."""

    half_life_weeks: float = 8.0
    # Pseudo-bundles pulling each seller factor toward the marketplace's (1).
    seller_pseudo: float = 2.0
    seller_weekday_pseudo: float = 8.0
    seller_hour_pseudo: float = 8.0
    seller_category_pseudo: float = 10.0
    global_pseudo: float = 1.0
    # Prior sd of a seller's weekly log-trend; 0 turns the trend off.
    trend_sd: float = 0.03
    max_trend_weeks: float = 3.0
    sweeps: int = 30
    em_every: int = 3
    price_edges: tuple[float, ...] = (0.8, 0.9, 0.97, 1.03, 1.1, 1.25)
    noshow_ridge: float = 2.0
    # Prior sd of a seller's own no-show log-odds offset.
    noshow_seller_sd: float = 0.4
    # Weeks held out inside the training data to calibrate the predictive dispersion (0: off).
    calibration_weeks: int = 2
    calibration_sample: int = 20_000
    dispersion_sample: int = 200_000
    band: float = 0.2
    seed: int = 0


@dataclass(frozen=True)
class Encoding:
    """How bundles map to factor levels: sellers and categories known at fit time (unknown
    ones get the extra last level, whose factor stays 1), and each seller's median price."""

    seller_ids: np.ndarray
    category_names: tuple[str, ...]
    ref_price: np.ndarray  # per known seller
    t_ref: float  # epoch seconds: the fit's "now" (trend weeks are counted from it)

    @property
    def n_sellers(self) -> int:
        return int(self.seller_ids.shape[0]) + 1

    @property
    def n_categories(self) -> int:
        return len(self.category_names) + 1

    def seller_index(self, seller_id: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.seller_ids, seller_id)
        idx = np.minimum(idx, self.seller_ids.shape[0] - 1) if self.seller_ids.size else idx
        known = self.seller_ids[idx] == seller_id if self.seller_ids.size else np.zeros_like(idx, bool)
        return np.where(known, idx, self.n_sellers - 1)

    def category_codes(self, bundles: Bundles) -> np.ndarray:
        """Each bundle-category pair's code in this encoding (unknown names -> last code)."""
        mine = {name: i for i, name in enumerate(self.category_names)}
        remap = np.array([mine.get(name, len(self.category_names)) for name in bundles.category_names]
                         + [len(self.category_names)], dtype=np.int64)
        return remap[bundles.cat_code] if bundles.cat_code.size else bundles.cat_code


@dataclass
class _Term:
    """One factor: per entry (a bundle, or a bundle-category pair) a level and a weight."""

    name: str
    n_levels: int
    pseudo: float
    theta: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.theta = np.zeros(self.n_levels)


@dataclass(frozen=True)
class Design:
    """Level indices of every factor for a set of bundles (see `design`)."""

    seller: np.ndarray
    weekday: np.ndarray
    hour: np.ndarray
    price_bin: np.ndarray
    trend_x: np.ndarray
    cat_rows: np.ndarray
    cat_codes: np.ndarray
    cat_weight: np.ndarray


@dataclass(frozen=True)
class FittedModel:
    config: ModelConfig
    encoding: Encoding
    terms: dict[str, np.ndarray]  # factor name -> log factors per level
    trend: np.ndarray  # per seller level, log change per week
    dispersion: float  # negative binomial size of demand in the training data (inf: Poisson)
    predictive_dispersion: float  # the size that calibrates `confidence` on unseen weeks
    noshow_coef: np.ndarray
    noshow_seller: np.ndarray  # per seller level, log-odds offset (last: 0)
    seller_lead_hours: np.ndarray  # per seller level (last: the marketplace's mean)
    fit_seconds: float
    n_train: int

    def log_demand(self, d: Design) -> np.ndarray:
        t = self.terms
        eta = (t["base"][0] + t["weekday"][d.weekday] + t["hour"][d.hour]
               + t["seller"][d.seller] + t["seller_weekday"][d.seller * DAYS + d.weekday]
               + t["seller_hour"][d.seller * HOURS + d.hour])
        return eta + self.category_log(d) + self.price_log(d) + self.trend_log(d)

    def category_log(self, d: Design) -> np.ndarray:
        """Log factor of each bundle's categories (mean over them; 0 for none)."""
        t = self.terms
        c = self.encoding.n_categories
        cat = d.cat_weight * (t["category"][d.cat_codes]
                              + t["seller_category"][d.seller[d.cat_rows] * c + d.cat_codes])
        return np.bincount(d.cat_rows, cat, minlength=d.seller.shape[0])

    def price_log(self, d: Design) -> np.ndarray:
        return self.terms["price"][d.price_bin]

    def trend_log(self, d: Design) -> np.ndarray:
        return self.trend[d.seller] * d.trend_x


@dataclass(frozen=True)
class Prediction:
    """Per bundle: mean demand, sales expected to be collected, no-show probability, confidence."""

    demand: np.ndarray
    reserved: np.ndarray
    predicted_sales: np.ndarray
    no_show_prob: np.ndarray
    confidence: np.ndarray


def design(encoding: Encoding, bundles: Bundles, config: ModelConfig) -> Design:
    seller = encoding.seller_index(bundles.seller_id)
    known = seller < encoding.n_sellers - 1
    ref = np.where(known, encoding.ref_price[np.minimum(seller, encoding.n_sellers - 2)], np.nan) \
        if encoding.seller_ids.size else np.full(len(bundles), np.nan)
    # An unknown seller's reference price is the median of its own bundles here.
    if (~known).any():
        own = _group_median(bundles.seller_id[~known], bundles.price[~known])
        ref[~known] = own
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(ref > 0, bundles.price / ref, 1.0)
    price_bin = np.digitize(np.nan_to_num(ratio, nan=1.0), config.price_edges)
    rows, _ = bundles.category_entries()
    n_cat = bundles.n_categories
    trend_x = np.minimum((bundles.window_start - encoding.t_ref) / WEEK_SECONDS, config.max_trend_weeks)
    return Design(
        seller=seller, weekday=np.clip(bundles.weekday - 1, 0, DAYS - 1),
        hour=np.clip(bundles.start_hour, 0, HOURS - 1), price_bin=price_bin, trend_x=trend_x,
        cat_rows=rows, cat_codes=encoding.category_codes(bundles),
        cat_weight=1.0 / n_cat[rows] if rows.size else np.zeros(0))


def encode(train: Bundles, t_ref: float) -> Encoding:
    seller_ids = np.unique(train.seller_id)
    order = np.searchsorted(seller_ids, train.seller_id)
    ref = _group_median(order, train.price, n_groups=seller_ids.shape[0])
    return Encoding(seller_ids=seller_ids, category_names=train.category_names, ref_price=ref, t_ref=t_ref)


def fit(train: Bundles, t_ref: float, config: ModelConfig | None = None) -> FittedModel:
    """Fit on `train` (past bundles whose outcome is known), as of `t_ref` (epoch seconds)."""
    config = config or ModelConfig()
    started = time.perf_counter()
    model = _fit(train, t_ref, config)
    predictive = _calibrate_dispersion(train, t_ref, config) if config.calibration_weeks else model.dispersion
    return replace(model, predictive_dispersion=predictive, fit_seconds=time.perf_counter() - started)


def _fit(train: Bundles, t_ref: float, config: ModelConfig) -> FittedModel:
    encoding = encode(train, t_ref)
    d = design(encoding, train, config)
    age_weeks = np.maximum((t_ref - train.window_start) / WEEK_SECONDS, 0.0)
    w = 0.5 ** (age_weeks / config.half_life_weeks)
    observed = train.reserved_units.astype(np.float64)
    censored = (train.reserved_units >= train.posted_qty) & (train.posted_qty > 0)
    terms, trend, eta = _backfit(encoding, d, w, observed, censored, train.posted_qty, config)
    dispersion = _dispersion(np.exp(eta), observed, censored, config)
    coef, offsets = _fit_noshow(train, d.seller, encoding.n_sellers, w, config)
    return FittedModel(
        config=config, encoding=encoding, terms=terms, trend=trend, dispersion=dispersion,
        predictive_dispersion=dispersion, noshow_coef=coef, noshow_seller=offsets,
        seller_lead_hours=_seller_lead(encoding, train), fit_seconds=0.0, n_train=len(train))


def _calibrate_dispersion(train: Bundles, t_ref: float, config: ModelConfig) -> float:
    """The demand dispersion for `confidence`: the demand model is fitted again without the
    last `calibration_weeks`, which it then forecasts; the size chosen is the one whose
    predicted P(within 20 %) matches how often the collected units were within 20 %.

    In-sample the demand looks Poisson, but a forecast also carries the error of its own
    factors and no-shows come in whole reservations (1 to 3 units), so the collected units of
    an unseen week vary more than Poisson thinning says; without this, confidence is ~7
    points too high on the simulation."""
    cutoff = t_ref - config.calibration_weeks * WEEK_SECONDS
    early = train.window_end <= cutoff
    late = ~early & (train.window_start > cutoff)
    if not early.any() or not late.any():
        return np.inf
    inner = _fit(train.take(early), cutoff, replace(config, calibration_weeks=0))
    target = train.take(late)
    if len(target) > config.calibration_sample:
        rng = np.random.default_rng(config.seed)
        target = target.take(np.sort(rng.choice(len(target), config.calibration_sample, replace=False)))
    demand, reserved, p = _point_forecast(inner, target)
    actual = target.collected_units.astype(np.float64)
    sales = np.round(reserved * (1.0 - p), 2)
    hit = float((np.abs(actual - sales) <= config.band * sales + 1e-9).mean())
    best, best_gap = np.inf, np.inf
    for r in DISPERSION_GRID:
        conf = distributions.collected_within_band(demand, r, target.posted_qty, 1.0 - p, sales, config.band)
        gap = abs(float(conf.mean()) - hit)
        if gap < best_gap:
            best, best_gap = r, gap
    return float(best)


def predict(model: FittedModel, bundles: Bundles) -> Prediction:
    """Forecast `bundles` (their outcome columns are not read)."""
    demand, reserved, p = _point_forecast(model, bundles)
    sales = reserved * (1.0 - p)
    # The point forecast from the fitted demand law; the spread around it from the calibrated one.
    confidence = distributions.collected_within_band(
        demand, model.predictive_dispersion, bundles.posted_qty, 1.0 - p, np.round(sales, 2),
        model.config.band)
    return Prediction(demand=demand, reserved=reserved, predicted_sales=sales, no_show_prob=p,
                      confidence=confidence)


def _point_forecast(model: FittedModel, bundles: Bundles) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bundle: mean demand, expected reserved units (demand capped at the posted quantity,
    under the fitted demand law) and no-show probability (from the seller's historic lead)."""
    d = design(model.encoding, bundles, model.config)
    demand = np.exp(model.log_demand(d))
    reserved = distributions.capped_mean(demand, model.dispersion, bundles.posted_qty)
    lead = model.seller_lead_hours[d.seller]
    p = noshow_probability(model.noshow_coef, d.hour, lead, model.noshow_seller[d.seller])
    return demand, reserved, p


# --- demand -----------------------------------------------------------------------------------


def _backfit(encoding: Encoding, d: Design, w: np.ndarray, observed: np.ndarray, censored: np.ndarray,
             posted: np.ndarray, config: ModelConfig) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    n = observed.shape[0]
    s, c = encoding.n_sellers, encoding.n_categories
    single = {
        "base": (np.zeros(n, np.int64), 1, 0.0),
        "weekday": (d.weekday, DAYS, config.global_pseudo),
        "hour": (d.hour, HOURS, config.global_pseudo),
        "price": (d.price_bin, len(config.price_edges) + 1, config.global_pseudo),
        "seller": (d.seller, s, config.seller_pseudo),
        "seller_weekday": (d.seller * DAYS + d.weekday, s * DAYS, config.seller_weekday_pseudo),
        "seller_hour": (d.seller * HOURS + d.hour, s * HOURS, config.seller_hour_pseudo),
    }
    multi = {
        "category": (d.cat_codes, c, config.global_pseudo),
        "seller_category": (d.seller[d.cat_rows] * c + d.cat_codes, s * c, config.seller_category_pseudo),
    }
    terms = {name: _Term(name, n_levels, pseudo)
             for name, (_, n_levels, pseudo) in {**single, **multi}.items()}
    trend = np.zeros(s)
    y = observed.copy()
    eta = np.full(n, np.log(max(float(np.average(y, weights=w)) if n else 1.0, 1e-3)))
    terms["base"].theta[0] = eta[0] if n else 0.0
    for sweep in range(config.sweeps if n else 0):
        if censored.any() and sweep % config.em_every == config.em_every - 1:
            y = observed.copy()
            y[censored] = distributions.censored_mean(np.exp(eta[censored]), np.inf, posted[censored])
        wy = w * y
        for name, (levels, _, _) in single.items():
            eta += _step(terms[name], levels, None, None, w, wy, eta, n)
        for name, (levels, _, _) in multi.items():
            eta += _step(terms[name], levels, d.cat_rows, d.cat_weight, w, wy, eta, n)
        if config.trend_sd > 0:
            eta += _trend_step(trend, d, w, y, eta, config.trend_sd)
    return {name: term.theta for name, term in terms.items()}, trend, eta


def _step(term: _Term, levels: np.ndarray, rows: np.ndarray | None, weight: np.ndarray | None,
          w: np.ndarray, wy: np.ndarray, eta: np.ndarray, n: int) -> np.ndarray:
    """One backfitting update of `term`; returns the change of every bundle's log-mean.

    Level k's factor f moves to (observed + prior) / (expected + prior * f) times itself, the
    Poisson score equation of that level with `pseudo` bundles at factor 1 added (exactly the
    ML/MAP coordinate update when each bundle has one level, a fixed-point step otherwise)."""
    if levels.size == 0:
        return np.zeros(n)
    wl = w * np.exp(eta)
    if rows is None:
        num = np.bincount(levels, wy, term.n_levels)
        den = np.bincount(levels, wl, term.n_levels)
        cnt = np.bincount(levels, w, term.n_levels)
    else:
        num = np.bincount(levels, weight * wy[rows], term.n_levels)
        den = np.bincount(levels, weight * wl[rows], term.n_levels)
        cnt = np.bincount(levels, weight * w[rows], term.n_levels)
    f = np.exp(term.theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        prior = np.where(cnt > 0, term.pseudo * den / f / cnt, 0.0)
        new = np.where(den > 0, np.log((num + prior + 1e-12) / (den + prior * f + 1e-12)), 0.0)
    delta = np.clip(new, -3.0, 3.0)
    if term.name == "base":
        delta[:] = new
    term.theta = term.theta + delta
    if rows is None:
        return delta[levels]
    return np.bincount(rows, weight * delta[levels], minlength=n)


def _trend_step(trend: np.ndarray, d: Design, w: np.ndarray, y: np.ndarray, eta: np.ndarray,
                sd: float) -> np.ndarray:
    """One Newton step of each seller's log-trend per week, with a N(0, sd^2) prior."""
    lam = np.exp(eta)
    x = d.trend_x
    n_levels = trend.shape[0]
    grad = np.bincount(d.seller, w * x * (y - lam), n_levels) - trend / sd**2
    hess = np.bincount(d.seller, w * x * x * lam, n_levels) + 1.0 / sd**2
    delta = np.clip(grad / hess, -0.05, 0.05)
    delta[-1] = 0.0
    trend += delta
    return delta[d.seller] * x


def _dispersion(mean: np.ndarray, observed: np.ndarray, censored: np.ndarray, config: ModelConfig) -> float:
    """The negative binomial size with the best censored likelihood (inf: Poisson)."""
    if mean.size == 0:
        return np.inf
    rng = np.random.default_rng(config.seed)
    pick = rng.choice(mean.size, size=min(mean.size, config.dispersion_sample), replace=False)
    y = np.rint(observed[pick]).astype(np.int64)
    scores = [distributions.censored_log_likelihood(mean[pick], r, y, censored[pick])
              for r in DISPERSION_GRID]
    return float(DISPERSION_GRID[int(np.argmax(scores))])


# --- no-show ----------------------------------------------------------------------------------


def _noshow_features(hour: np.ndarray, lead_hours: np.ndarray) -> np.ndarray:
    x = np.zeros((hour.shape[0], 2 + HOURS))
    x[:, 0] = 1.0
    x[:, 1] = np.log(np.clip(lead_hours, 0.1, 24.0 * 60))
    x[np.arange(hour.shape[0]), 2 + hour] = 1.0
    return x


def noshow_probability(coef: np.ndarray, hour: np.ndarray, lead_hours: np.ndarray,
                       offset: np.ndarray | float = 0.0) -> np.ndarray:
    return _logistic(_noshow_features(np.clip(hour, 0, HOURS - 1), lead_hours) @ coef + offset)


def _logistic(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def _fit_noshow(train: Bundles, seller: np.ndarray, n_sellers: int, w: np.ndarray, config: ModelConfig
                ) -> tuple[np.ndarray, np.ndarray]:
    """Weighted logistic regression (Newton's method) of no-show shares, weight = reserved units:
    shared coefficients (intercept, ln lead, hour dummies with a ridge penalty so a rarely used
    hour stays near the intercept) and a per-seller offset with a N(0, sd^2) prior, fitted
    alternately (the offsets by one Newton step each, via bincount: no sellers x sellers
    matrix)."""
    has = (train.reserved_units > 0) & np.isfinite(train.mean_lead_hours)
    units = (train.reserved_units[has] * w[has]).astype(np.float64)
    coef = np.zeros(2 + HOURS)
    offsets = np.zeros(n_sellers)
    if units.sum() <= 0:
        coef[0] = np.log(0.1 / 0.9)
        return coef, offsets
    share = train.no_show_units[has] / train.reserved_units[has]
    s = seller[has]
    x = _noshow_features(np.clip(train.start_hour[has], 0, HOURS - 1), train.mean_lead_hours[has])
    penalty = np.full(2 + HOURS, config.noshow_ridge)
    penalty[:2] = 1e-6
    mean_share = float(np.clip(np.average(share, weights=units), 1e-4, 1 - 1e-4))
    coef[0] = np.log(mean_share / (1 - mean_share))
    precision = 1.0 / config.noshow_seller_sd**2 if config.noshow_seller_sd > 0 else np.inf
    for _ in range(30):
        p = _logistic(x @ coef + offsets[s])
        grad = x.T @ (units * (share - p)) - penalty * coef
        hess = (x * (units * p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        coef += step
        change = float(np.abs(step).max())
        if np.isfinite(precision):
            p = _logistic(x @ coef + offsets[s])
            g = np.bincount(s, units * (share - p), n_sellers) - precision * offsets
            h = np.bincount(s, units * p * (1 - p), n_sellers) + precision
            delta = g / h
            delta[-1] = 0.0
            offsets += delta
            change = max(change, float(np.abs(delta).max()))
        if change < 1e-7:
            break
    return coef, offsets


def _seller_lead(encoding: Encoding, train: Bundles) -> np.ndarray:
    """Each seller's reserved-unit-weighted mean lead hours; the last entry (and sellers with no
    reservations) the marketplace's."""
    has = (train.reserved_units > 0) & np.isfinite(train.mean_lead_hours)
    s = encoding.seller_index(train.seller_id[has])
    units = train.reserved_units[has].astype(np.float64)
    lead = train.mean_lead_hours[has]
    overall = float(np.average(lead, weights=units)) if units.sum() > 0 else 24.0
    num = np.bincount(s, units * lead, encoding.n_sellers)
    den = np.bincount(s, units, encoding.n_sellers)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / den, overall)
    out[-1] = overall
    return out


# --- helpers ----------------------------------------------------------------------------------


def _group_median(keys: np.ndarray, values: np.ndarray, n_groups: int | None = None) -> np.ndarray:
    """Median of `values` per key. With `n_groups`, keys are 0..n_groups-1 and one median per
    group is returned; else one per element (its key's median)."""
    if keys.size == 0:
        return np.zeros(n_groups or 0)
    uniq, inverse = np.unique(keys, return_inverse=True)
    order = np.lexsort((values, inverse))
    counts = np.bincount(inverse, minlength=uniq.shape[0])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    sorted_values = values[order]
    lo = sorted_values[starts + (counts - 1) // 2]
    hi = sorted_values[starts + counts // 2]
    med = (lo + hi) / 2.0
    if n_groups is None:
        return med[inverse]
    out = np.full(n_groups, np.nan)
    out[uniq] = med
    return out
