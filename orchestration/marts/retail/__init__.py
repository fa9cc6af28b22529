"""The retail mart's plug-in: the crawler's catalogue (`retail_raw`), its simulator and bench.

Its views are `models/marts/retail/`, its sources `models/staging/retail/`; design notes in
docs/retail-mart.md.
"""

from pathlib import Path

from orchestration.core.marts import MartPlugin
from orchestration.marts.retail.bench import BENCH
from orchestration.marts.retail.simulation import SIMULATOR

MART = MartPlugin(name="retail", directory=Path(__file__).resolve().parent, simulator=SIMULATOR,
                  bench=BENCH)
