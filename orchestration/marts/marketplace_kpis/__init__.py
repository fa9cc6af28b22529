"""The marketplace KPI mart's plug-in: the auto-parts marketplace's operational tables
(`marketplace`: requests, offers, advisors, notifications, deliveries, audits) and their
simulator.

Its views are `models/marts/marketplace_kpis/`, its sources
`models/staging/marketplace_kpis/`; the formulas are in docs/marketplace-kpis-mart.md and the
simulated data set is described in simulation.py.
"""

from pathlib import Path

from orchestration.core.marts import MartPlugin
from orchestration.marts.marketplace_kpis.bench import BENCH
from orchestration.marts.marketplace_kpis.simulation import SIMULATOR

MART = MartPlugin(name="marketplace_kpis", directory=Path(__file__).resolve().parent,
                  simulator=SIMULATOR, bench=BENCH)
