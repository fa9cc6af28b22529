"""The seller insights mart's plug-in: the surplus-food marketplace's tables (`surplus`: sellers,
categories, bundles posted for a pickup window, their categories and the buyers' reservations),
the simulator's truth (`surplus_truth`) and their simulator.

Its views are `models/marts/seller_insights/`, its sources `models/staging/seller_insights/`;
the simulated data set is described in simulation.py, the forecast (a Python asset in
`orchestration/defs/seller_insights/`) in `forecast/`.
"""

from pathlib import Path

from orchestration.core.marts import MartPlugin
from orchestration.marts.seller_insights.bench import BENCH
from orchestration.marts.seller_insights.simulation import SIMULATOR

MART = MartPlugin(name="seller_insights", directory=Path(__file__).resolve().parent,
                  simulator=SIMULATOR, bench=BENCH)
