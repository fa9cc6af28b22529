"""The marketplace KPI mart's simulated auto-parts marketplace: what scale S, M and L mean, and
the values the generator's SQL (`demo_data/`, scratch schema `marketplace_kpis_sim`) gets.

Twenty Colombian cities (with their real departments) weigh as their population. Advisors
(`asesores`) work at sales points of one city, as many per city as its weight gives (at least
two); most were there before the data starts, some join during it, and some left (INACTIVO,
SUSPENDIDO, a rare BLOQUEADO) and get no request after that. An advisor has a quality (trust
score 1.00-5.00, level 1-5, the application's historical-performance score), an activity (how
often they answer, the application's recent-activity score), a speed and a price level.
Clients (`clientes`) live in a city; a few post many requests, most few, some none.

Requests (`solicitudes`) arrive per Bogotá day at a rate growing over the period (busier on
weekdays than at weekends), at a Bogotá hour of day drawn from REQUESTS_BY_HOUR (daytime
mostly, some at night), plus one to three between 23:00 and 24:00 Bogotá on every month's last
day (in UTC they fall in the next month, so bucketing by Bogotá month matters). A request is in
its client's city nine times in ten, for a brand of realistic popularity (BRANDS), a line and a
year. Four to twelve advisors of its city (fewer in a city with fewer; an advisor who has not
joined yet or has left is skipped) are notified, the higher levels first; one request in twelve
also notifies one advisor of another city. An advisor responds with a probability of 35 to 95
in a hundred by their activity (a rare part, one request in sixteen or so, gets far fewer
answers), after 15 seconds to some hours; eight in ten who respond send an offer
(`ofertas`) some minutes later, if the request still collects offers (its window: 2 to 24
hours) and has fewer than MAX_OFFERS. An offer's amount (Colombian pesos, 50,000 to 3,000,000,
whole hundreds) is the part's price times the advisor's price level and some noise; delivery 0
to 15 days, warranty 0 to 12 months.

When the window closes the marketplace picks the best offer (price, delivery, warranty and the
advisor's trust score) as the winner; the client accepts it, rejects it, or lets it expire
after DECISION_HOURS. A request without offers is closed (CERRADA_SIN_OFERTAS) at the window's
end. Whatever would happen after the anchor (the load's `ends_at`) has not happened: recent
requests are still ABIERTA (offers ENVIADA) or EVALUADA (winner GANADORA); deliveries
(`entregas`) of accepted offers still under way are EN_CURSO. A delivery fails one time in
eight or so; most failed ones are retried (another row for the offer). Notifications
(`notificaciones`) record when they were sent and when the advisor responded (NULL if never).
Advisors are audited (`auditorias`) zero to five times (about three in ten never).

Every timestamp is before the anchor and the data runs up to it, so the last 30 days are full.
The data is clean (no NULL city, no negative amount, no offer after its request closed):
tests insert such rows themselves. Pseudo-random numbers are hashes of (seed, ids), never
random(); ids are UUIDs from md5 of (seed, kind, number). What the views may rely on: the
tests in tests/python/marts/marketplace_kpis/test_demo_data.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import accumulate
from pathlib import Path
from zoneinfo import ZoneInfo

from orchestration.demo_data.engine import Scale, Simulator

TIME_ZONE = "America/Bogota"

# (city, department, weight: its population in millions, roughly). The first is the capital.
CITIES: tuple[tuple[str, str, float], ...] = (
    ("Bogotá", "Bogotá D.C.", 7.9),
    ("Medellín", "Antioquia", 2.6),
    ("Cali", "Valle del Cauca", 2.3),
    ("Barranquilla", "Atlántico", 1.3),
    ("Cartagena", "Bolívar", 1.0),
    ("Cúcuta", "Norte de Santander", 0.8),
    ("Bucaramanga", "Santander", 0.6),
    ("Ibagué", "Tolima", 0.55),
    ("Villavicencio", "Meta", 0.53),
    ("Santa Marta", "Magdalena", 0.53),
    ("Valledupar", "Cesar", 0.52),
    ("Montería", "Córdoba", 0.5),
    ("Pereira", "Risaralda", 0.48),
    ("Manizales", "Caldas", 0.45),
    ("Pasto", "Nariño", 0.39),
    ("Neiva", "Huila", 0.36),
    ("Popayán", "Cauca", 0.32),
    ("Armenia", "Quindío", 0.3),
    ("Sincelejo", "Sucre", 0.29),
    ("Tunja", "Boyacá", 0.2),
)

# (brand, weight: its share of the requests, lines). Chevrolet and Renault lead in Colombia.
BRANDS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("Chevrolet", 0.21, ("Spark GT", "Aveo", "Sail", "Onix", "Tracker", "Captiva", "Cruze",
                         "Luv D-Max")),
    ("Renault", 0.16, ("Logan", "Sandero", "Duster", "Stepway", "Kwid", "Clio", "Twingo",
                       "Koleos")),
    ("Mazda", 0.11, ("Mazda 2", "Mazda 3", "Mazda 6", "CX-30", "CX-5", "BT-50")),
    ("Kia", 0.09, ("Picanto", "Rio", "Cerato", "Sportage", "Sorento", "Soluto")),
    ("Toyota", 0.08, ("Corolla", "Hilux", "Prado", "Fortuner", "Yaris", "RAV4")),
    ("Nissan", 0.07, ("March", "Versa", "Sentra", "Frontier", "X-Trail", "Kicks")),
    ("Hyundai", 0.06, ("i10", "Accent", "Tucson", "Creta", "Santa Fe")),
    ("Ford", 0.05, ("Fiesta", "Focus", "EcoSport", "Escape", "Ranger", "Explorer")),
    ("Volkswagen", 0.045, ("Gol", "Polo", "Jetta", "Tiguan", "Amarok", "Voyage")),
    ("Suzuki", 0.04, ("Swift", "Vitara", "S-Cross", "Jimny", "Celerio")),
    ("Mitsubishi", 0.02, ("Montero", "L200", "Outlander", "ASX")),
    ("Honda", 0.015, ("Civic", "CR-V", "HR-V", "City")),
    ("Peugeot", 0.012, ("208", "2008", "3008", "Partner")),
    ("Chery", 0.01, ("Tiggo 2", "Tiggo 7", "QQ")),
    ("Fiat", 0.008, ("Uno", "Palio", "Strada")),
    ("Jeep", 0.006, ("Wrangler", "Grand Cherokee", "Compass")),
    ("Subaru", 0.004, ("Forester", "Impreza", "XV")),
)

# Requests by Bogotá hour of day (0-23): shops' hours, some at night.
REQUESTS_BY_HOUR: tuple[float, ...] = (
    0.15, 0.08, 0.05, 0.04, 0.05, 0.15, 0.40, 0.80, 1.20, 1.50, 1.60, 1.50,
    1.10, 1.20, 1.45, 1.50, 1.40, 1.20, 0.95, 0.80, 0.65, 0.50, 0.40, 0.25,
)
# Requests by Bogotá weekday, Monday first (ISO): busier on weekdays.
REQUESTS_BY_WEEKDAY: tuple[float, ...] = (1.15, 1.10, 1.05, 1.05, 1.00, 0.70, 0.35)
# The request rate grows linearly from this share of the mean at the start to the other at the
# end (the marketplace grows).
GROWTH = (0.7, 1.3)
# Offers a request collects at most; advisors notified of one (of its city).
MAX_OFFERS = 8
NOTIFIED = (4, 12)
# The client decides within this many hours of the winner being picked, or the request expires.
DECISION_HOURS = 72


@dataclass(frozen=True)
class ScaleSpec:
    """How big the simulated marketplace is."""

    name: str
    days: int
    requests_per_day: float
    advisors: int
    clients: int


SCALES: dict[str, ScaleSpec] = {
    # Tests: one year, some 9 thousand requests and 30 thousand offers, in a few seconds.
    "S": ScaleSpec("S", days=365, requests_per_day=25, advisors=300, clients=3000),
    # Benchmarks: three years, some 700 thousand requests and 2.3 million offers.
    "M": ScaleSpec("M", days=3 * 365, requests_per_day=640, advisors=4000, clients=150_000),
    # Four times M: four times the requests, advisors and clients over the same three years.
    "L": ScaleSpec("L", days=3 * 365, requests_per_day=4 * 640, advisors=16_000,
                   clients=600_000),
}


def scale_spec(scale: Scale) -> ScaleSpec:
    """The marketplace of a scale; a fraction (M/4) has that fraction of the requests per day,
    the advisors and the clients, over the same period."""
    base = SCALES[scale.base]
    if scale.divisor == 1:
        return base
    return replace(base, name=scale.name,
                   requests_per_day=base.requests_per_day / scale.divisor,
                   advisors=max(2 * len(CITIES), round(base.advisors / scale.divisor)),
                   clients=max(100, round(base.clients / scale.divisor)))


def describe(scale: Scale) -> str:
    spec = scale_spec(scale)
    return (f"{spec.requests_per_day:g} requests a day for {spec.days} days, "
            f"{spec.advisors} advisors, {spec.clients} clients in {len(CITIES)} cities")


def advisors_per_city(advisors: int) -> list[int]:
    """Each city's advisors (CITIES' order): proportional to its weight, at least two."""
    total = sum(weight for _city, _department, weight in CITIES)
    return [max(2, round(advisors * weight / total)) for _city, _department, weight in CITIES]


def _cumulative_starts(weights: tuple[float, ...] | list[float]) -> list[float]:
    """Where each weight's share of [0, 1) starts: thresholds for width_bucket()."""
    total = sum(weights)
    return [0.0, *(value / total for value in accumulate(weights))][:-1]


def generator_params(scale: Scale, seed: int, ends_at: datetime) -> dict[str, object]:
    spec = scale_spec(scale)
    zone = ZoneInfo(TIME_ZONE)
    start_ts = ends_at - timedelta(days=spec.days)
    weekday_mean = sum(REQUESTS_BY_WEEKDAY) / len(REQUESTS_BY_WEEKDAY)
    lines = [(brand_no, line) for brand_no, (_brand, _weight, names) in enumerate(BRANDS, 1)
             for line in names]
    return {
        "days": spec.days,
        "requests_per_day": float(spec.requests_per_day),
        "n_advisors_per_city": advisors_per_city(spec.advisors),
        "n_clients": spec.clients,
        "start_ts": start_ts,
        "first_local_day": start_ts.astimezone(zone).date(),
        "last_local_day": ends_at.astimezone(zone).date(),
        "time_zone": TIME_ZONE,
        "hour_starts": _cumulative_starts(REQUESTS_BY_HOUR),
        "weekday_weight": [weight / weekday_mean for weight in REQUESTS_BY_WEEKDAY],
        "growth_start": GROWTH[0],
        "growth_end": GROWTH[1],
        "city_names": [city for city, _department, _weight in CITIES],
        "city_departments": [department for _city, department, _weight in CITIES],
        "city_starts": _cumulative_starts([weight for _city, _department, weight in CITIES]),
        "brand_names": [brand for brand, _weight, _lines in BRANDS],
        "brand_starts": _cumulative_starts([weight for _brand, weight, _lines in BRANDS]),
        "line_brands": [brand_no for brand_no, _line in lines],
        "line_names": [line for _brand_no, line in lines],
        "max_offers": MAX_OFFERS,
        "notified_min": NOTIFIED[0],
        "notified_max": NOTIFIED[1],
        "decision_hours": DECISION_HOURS,
    }


SIMULATOR = Simulator(
    sql_dir=Path(__file__).resolve().parent / "demo_data",
    source_schemas=("marketplace",),
    scratch_schema="marketplace_kpis_sim",
    probe_table="marketplace.ofertas",
    params=generator_params,
    describe=describe,
    bulk_tables=("marketplace.solicitudes", "marketplace.ofertas", "marketplace.notificaciones",
                 "marketplace.entregas"),
    # The publishing session sorts the notifications and offers by id in memory.
    publish_settings={"work_mem": "1GB"},
)
