"""The search-performance mart's plug-in: Amazon Search Query Performance reports (`sqp`) and
the brand catalogue (`public.brands`, `public.asin_brand_mapping`), their simulator and bench.

Its views are `models/marts/search_performance/`, its sources
`models/staging/search_performance/`; the simulated data set is described in simulation.py.
"""

from pathlib import Path

from orchestration.core.marts import MartPlugin
from orchestration.marts.search_performance.bench import BENCH
from orchestration.marts.search_performance.simulation import SIMULATOR

MART = MartPlugin(name="search_performance", directory=Path(__file__).resolve().parent,
                  simulator=SIMULATOR, bench=BENCH)
