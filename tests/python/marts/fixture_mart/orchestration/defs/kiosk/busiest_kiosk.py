"""A Python asset downstream of a dbt view, as a forecast would be."""

from dagster import AssetExecutionContext, AssetKey, asset


@asset(key=["kiosk", "busiest_kiosk"], deps=[AssetKey(["analytics", "mv_kiosk_daily_sales"])])
def busiest_kiosk(context: AssetExecutionContext) -> None:
    context.log.info("the busiest kiosk would be computed here")
