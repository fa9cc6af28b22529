"""The kiosk mart (a test fixture): tills' sales, simulated as one sale per kiosk and hour."""

from datetime import datetime, timedelta
from pathlib import Path

from orchestration.bench.spec import BenchSpec, DashboardQuery, ViewReader
from orchestration.core.marts import MartPlugin
from orchestration.demo_data.engine import Scale, Simulator

KIOSKS = {"S": 4, "M": 40, "L": 80}
DAYS = 3


def params(scale: Scale, seed: int, ends_at: datetime) -> dict[str, object]:
    return {"kiosks": max(1, KIOSKS[scale.base] // scale.divisor), "hours": DAYS * 24,
            "start_ts": ends_at - timedelta(days=DAYS)}


def pick_parameters(views: ViewReader) -> dict[str, object]:
    busiest = views.first(f"select kiosk_id from {views.relation('mv_kiosk_daily_sales')}"
                          " group by 1 order by sum(revenue) desc, 1 limit 1")
    return {"kiosk": busiest or 0}


BENCH = BenchSpec(
    queries=(DashboardQuery("revenue_by_day", "A kiosk's revenue per day", "mv_kiosk_daily_sales",
                            "select sale_date, revenue from {source} where kiosk_id = %(kiosk)s"
                            " order by sale_date"),),
    pick_parameters=pick_parameters,
)

MART = MartPlugin(
    name="kiosk",
    directory=Path(__file__).resolve().parent,
    simulator=Simulator(
        sql_dir=Path(__file__).resolve().parent / "demo_data",
        source_schemas=("kiosk_raw",),
        scratch_schema="kiosk_sim",
        probe_table="kiosk_raw.sales",
        params=params,
        describe=lambda scale: f"{params(scale, 0, datetime.now())['kiosks']} kiosks, {DAYS} days",
    ),
    bench=BENCH,
)
