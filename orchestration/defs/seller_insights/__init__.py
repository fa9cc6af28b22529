"""The seller insights mart's non-dbt assets: the Python forecast between the dbt input view
(`analytics.seller_forecast_inputs`) and the forecast-vs-posted views, which read its table
`seller_forecast.forecast_output` through a dbt source mapped to this asset.

`orchestration.defs.definitions.python_assets` loads this package with
`load_assets_from_package_module`, which finds the asset in the `forecast` submodule.
"""

from orchestration.defs.seller_insights.forecast import forecast_output

__all__ = ["forecast_output"]
