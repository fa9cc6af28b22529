"""The commerce mart's plug-in: the sneaker reseller's operational tables (`products`: brands,
categories, suppliers, the catalogue and every item bought; `transactions`: the marketplaces
and the orders placed there) and their simulator.

Its views are `models/marts/commerce/`, its sources `models/staging/commerce/`; the
simulated data set is described in simulation.py.
"""

from pathlib import Path

from orchestration.core.marts import MartPlugin
from orchestration.marts.commerce.bench import BENCH
from orchestration.marts.commerce.simulation import SIMULATOR

MART = MartPlugin(name="commerce", directory=Path(__file__).resolve().parent,
                  simulator=SIMULATOR, bench=BENCH)
