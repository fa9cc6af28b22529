"""The seller insights forecast: predicted sales, no-show probability, confidence and rationale
of every future bundle, written to `seller_forecast.forecast_output` by the Python asset in
`orchestration/defs/seller_insights/forecast.py`.

numpy only (no scikit-learn, statsmodels or pandas): the dependency set stays small, and the
model is a few array operations — multiplicative Poisson factors fitted by backfitting with
`np.bincount`, an EM step for sold-out bundles, a 26-coefficient logistic regression by
Newton's method and count distributions built term by term. Modules: `bundles` (the input
as arrays), `model` (fit/predict), `distributions`, `baselines`, `evaluation`, `rationale`
and `store` (read the inputs view, replace the output table in one transaction).
"""
