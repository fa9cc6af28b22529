"""The commerce mart's simulated sneaker reseller: what scale S, M and L mean, and the values the
generator's SQL (`demo_data/`, scratch schema `commerce_sim`) gets.

A reseller in Germany buys sneakers, streetwear and a little luxury from twenty suppliers
(SUPPLIERS: German and other EU retailers, raffles, an outlet, two private-seller channels and
two outside the EU) and sells each item on one of five marketplaces (PLATFORMS: StockX, eBay,
GOAT, Alias, Restocks, each with its fee percentage, fixed fee, payout delay and share of the
sales). Forty brands (BRANDS), eight of them collaborations naming their parent brand (Travis
Scott x Jordan -> Jordan); eight categories (CATEGORIES, a brand's segment says which it makes).
PRODUCTS models (the same at every scale) each have a brand (by the brand's weight), a
category, a style code (`DD1391-100`, unique), a name (brand, model, colourway), a retail price
(60 to 300 euros, by category and the brand's tier), a release date and a hype factor (the
brand's, with noise: collaborations resell high); its market value is the retail price times
its hype. About one product in thirty has no demand at all (dead stock: bought, never sold).

Items (`products.inventory`, one row per pair or piece) are bought at ITEMS_PER_DAY times a
growth from GROWTH[0] to GROWTH[1] over DAYS (two and a half years up to the anchor), each of a
product by its own popularity, after its release date, from a supplier (suppliers favour their
specialty segment; the outlet buys cheap, private sellers ask near market value and charge no
VAT, most used items come from them), in a size of its category (EU shoe sizes, S to XXL, One
Size). purchase_price is net; vat_amount is the supplier country's rate (19 in 100 in Germany,
0 for private sellers and outside the EU); gross_purchase_price = purchase_price + vat_amount.

An item sells after a skewed number of days (most within weeks, a tail of months; hyped
products faster) unless it is one of the unlucky ones (UNSOLD_SHARE) or its product is dead;
WRITTEN_OFF_SHARE are written off and never sold. A sale (`transactions.orders`) is on a
platform by its share, to a buyer in one of CITIES' hundred (country, city) pairs by weight
(German cities first), at the market value with noise (whole euros); the currency is the
buyer's (GBP, USD, CHF, else EUR; amounts are in euros all the same), platform_fee =
round(gross_sale * fee_percentage / 100 + fee_fixed, 2) for the platform, shipping 5 to 25
euros by distance. An order is shipped one to three days after the sale and completed three
to eight days later; CANCELLED_SHARE are cancelled before shipping and RETURNED_SHARE returned
within two weeks of completion: the item is back in stock and may sell again (a second order,
never a third). A completed order is paid out its platform's payout_days (give or take two)
after completion, except NEVER_PAID_SHARE that never are. Whatever would happen after the
anchor (the load's `ends_at`) has not happened: recent orders are pending or shipped, recent
payouts not there yet, recent purchases unsold. An item's status agrees with its orders: sold
(latest order shipped or completed), reserved (latest order pending), in_stock or listed (no
order, or the latest cancelled or returned), written_off.

Every timestamp is before the anchor. The data is clean (no NULL platform or item, no negative
fee, no payout before its sale, no unknown currency or city): tests insert such rows
themselves. Pseudo-random numbers are hashes of (seed, ids), never random(). What the views may
rely on: the tests in tests/python/marts/commerce/test_demo_data.py.

The two source schemas are linked by a foreign key (transactions.orders -> products.inventory):
the engine's per-schema sessions could not truncate `products` while `transactions` holds the
orders, nor insert orders whose items another uncommitted session inserts. So the simulator
names `transactions` alone as its source schema: the engine truncates it (platforms, orders) and
recreates the orders' indexes and constraints around the load, and publish_transactions.sql
truncates, fills and analyzes `products` in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import accumulate
from pathlib import Path

from orchestration.demo_data.engine import Scale, Simulator

SEGMENTS = ("sneakers", "streetwear", "luxury", "sportswear", "lifestyle")


@dataclass(frozen=True)
class Brand:
    name: str
    segment: str
    price_tier: str
    demographic: str
    # Share of the products (and so of the purchases) and resale price over retail.
    weight: float
    hype: float
    # Footwear models (the product name's middle).
    models: tuple[str, ...]
    parent: str | None = None


BRANDS: tuple[Brand, ...] = (
    Brand("Nike", "sneakers", "premium", "unisex", 14, 1.15,
          ("Dunk Low", "Air Force 1 '07", "Air Max 90", "Air Max 1", "Blazer Mid '77",
           "Air Max Plus")),
    Brand("Jordan", "sneakers", "premium", "men", 12, 1.45,
          ("1 Retro High OG", "1 Low", "4 Retro", "3 Retro", "11 Retro", "1 Mid")),
    Brand("adidas", "sportswear", "mid", "unisex", 7, 0.95,
          ("Samba OG", "Gazelle", "Campus 00s", "Superstar", "Forum Low", "Ultraboost 1.0")),
    Brand("Yeezy", "sneakers", "premium", "unisex", 4, 1.30,
          ("Boost 350 V2", "Boost 700", "Foam Runner", "Slide", "500")),
    Brand("New Balance", "sneakers", "mid", "unisex", 6, 1.10,
          ("550", "2002R", "990v6", "9060", "1906R")),
    Brand("ASICS", "sportswear", "mid", "unisex", 3.5, 1.05,
          ("GEL-Kayano 14", "GEL-1130", "GEL-NYC", "GT-2160")),
    Brand("Puma", "sportswear", "entry", "unisex", 2, 0.80,
          ("Suede Classic", "Palermo", "Speedcat", "Clyde")),
    Brand("Converse", "lifestyle", "entry", "youth", 2, 0.80,
          ("Chuck 70 Hi", "Chuck Taylor All Star", "Run Star Hike")),
    Brand("Vans", "lifestyle", "entry", "youth", 2, 0.75,
          ("Old Skool", "Sk8-Hi", "Knu Skool", "Authentic")),
    Brand("Salomon", "sportswear", "premium", "unisex", 2.5, 1.10,
          ("XT-6", "XT-4 OG", "ACS Pro", "Speedcross 3")),
    Brand("On", "sportswear", "premium", "unisex", 2, 1.00,
          ("Cloud 5", "Cloudmonster", "Cloudtilt")),
    Brand("Hoka", "sportswear", "mid", "unisex", 2, 1.00,
          ("Clifton 9", "Bondi 8", "Mafate Speed 2")),
    Brand("Supreme", "streetwear", "premium", "men", 3, 1.60,
          ("SB Dunk Low", "Air Force 1 Low")),
    Brand("Palace", "streetwear", "premium", "men", 1.5, 1.30, ("Pro Low", "Samba")),
    Brand("Stüssy", "streetwear", "mid", "unisex", 2, 1.15, ("Air Max 2013", "Spiridon")),
    Brand("Off-White", "luxury", "premium", "unisex", 1.5, 1.80,
          ("Out Of Office", "Vulcanized Low", "ODSY-1000")),
    Brand("Fear of God Essentials", "streetwear", "mid", "unisex", 3, 1.10,
          ("Backless Sneaker", "Low Top")),
    Brand("Travis Scott x Jordan", "sneakers", "premium", "men", 2, 2.80,
          ("1 Low OG", "1 Retro High OG", "4 Retro"), parent="Jordan"),
    Brand("Sacai x Nike", "sneakers", "premium", "unisex", 0.8, 1.90,
          ("LDWaffle", "VaporWaffle", "Blazer Low"), parent="Nike"),
    Brand("Union x Jordan", "sneakers", "premium", "men", 0.6, 2.00,
          ("1 Retro High", "4 Retro", "2 Retro"), parent="Jordan"),
    Brand("Kith x New Balance", "sneakers", "premium", "unisex", 0.7, 1.60,
          ("990v3", "991", "1906R"), parent="New Balance"),
    Brand("Off-White x Nike", "luxury", "premium", "unisex", 0.8, 2.50,
          ("Dunk Low", "Air Presto", "Blazer Mid", "Air Force 1 Low"), parent="Nike"),
    Brand("A Ma Maniére x Jordan", "sneakers", "premium", "women", 0.5, 2.00,
          ("3 Retro", "4 Retro"), parent="Jordan"),
    Brand("Aimé Leon Dore x New Balance", "sneakers", "premium", "unisex", 0.6, 1.50,
          ("550", "860v2", "990v4"), parent="New Balance"),
    Brand("Stüssy x Nike", "streetwear", "premium", "unisex", 0.5, 1.40,
          ("Air Max 2013", "Spiridon Cage 2", "Air Force 1 Mid"), parent="Nike"),
    Brand("Balenciaga", "luxury", "premium", "unisex", 1.2, 1.30,
          ("Triple S", "Track", "Runner", "Speed Trainer")),
    Brand("Gucci", "luxury", "premium", "unisex", 0.6, 1.10, ("Ace", "Rhyton", "Screener")),
    Brand("Prada", "luxury", "premium", "men", 0.4, 1.00, ("America's Cup", "Cloudbust")),
    Brand("Alexander McQueen", "luxury", "premium", "women", 0.5, 0.95,
          ("Oversized Sneaker", "Tread Slick")),
    Brand("Rick Owens", "luxury", "premium", "men", 0.3, 1.10, ("Ramones", "Geobasket")),
    Brand("Golden Goose", "luxury", "premium", "women", 0.6, 0.85, ("Super-Star", "Ball Star")),
    Brand("Reebok", "sportswear", "entry", "unisex", 1, 0.75,
          ("Club C 85", "Classic Leather", "Question Mid")),
    Brand("Saucony", "sportswear", "mid", "unisex", 0.8, 0.85,
          ("Shadow 6000", "Grid 9000", "Jazz Original")),
    Brand("Crocs", "lifestyle", "entry", "unisex", 1, 0.80,
          ("Classic Clog", "Pollex Clog", "Echo Clog")),
    Brand("Birkenstock", "lifestyle", "mid", "unisex", 1, 0.90, ("Boston", "Arizona", "London")),
    Brand("UGG", "lifestyle", "mid", "women", 1, 0.90, ("Tasman", "Ultra Mini", "Tazz")),
    Brand("Carhartt WIP", "streetwear", "mid", "men", 1, 0.75, ("Chore Sneaker",)),
    Brand("The North Face", "sportswear", "mid", "unisex", 1.2, 0.90,
          ("Vectiv Taraval", "Glenclyffe")),
    Brand("Corteiz", "streetwear", "mid", "youth", 0.8, 1.35, ("Air Max 95",)),
    Brand("Arc'teryx", "sportswear", "premium", "men", 0.8, 1.05, ("Norvan LD 3", "Kragg")),
)

# (name, size family, item names for a brand without footwear models, price range in euros,
# weight per segment in SEGMENTS' order). Footwear takes the brand's models.
CATEGORIES: tuple[tuple[str, str, tuple[str, ...], tuple[int, int], tuple[float, ...]], ...] = (
    ("Sneakers", "shoe", (), (90, 230), (0.86, 0.05, 0.45, 0.75, 0.70)),
    ("Apparel", "apparel", ("Hoodie", "T-Shirt", "Crewneck", "Track Jacket", "Cargo Pants",
                            "Puffer Jacket"), (60, 260), (0.03, 0.55, 0.25, 0.10, 0.10)),
    ("Accessories", "one", ("Socks 3-Pack", "Wallet", "Keychain", "Belt", "Scarf"),
     (60, 150), (0.02, 0.10, 0.06, 0.04, 0.06)),
    ("Slides", "shoe", ("Slide", "Mule", "Sandal"), (60, 120), (0.05, 0.02, 0.05, 0.05, 0.05)),
    ("Boots", "shoe", ("Boot", "Hiking Boot", "Chelsea Boot"), (140, 300),
     (0.03, 0.01, 0.05, 0.04, 0.07)),
    ("Headwear", "one", ("Cap", "Beanie", "Bucket Hat"), (60, 110),
     (0.005, 0.14, 0.02, 0.01, 0.01)),
    ("Bags", "one", ("Backpack", "Shoulder Bag", "Tote Bag"), (70, 300),
     (0.005, 0.10, 0.12, 0.01, 0.01)),
    ("Collectibles", "one", ("Bearbrick 400%", "Skateboard Deck", "Figure"), (60, 250),
     (0.0, 0.03, 0.0, 0.0, 0.0)),
)

# (colourway, its main colour).
COLOURWAYS: tuple[tuple[str, str], ...] = (
    ("Panda", "Black/White"), ("Bred", "Black/Red"), ("Chicago", "Red/White"),
    ("University Blue", "Blue/White"), ("Triple White", "White"), ("Triple Black", "Black"),
    ("Sail", "Beige"), ("Mocha", "Brown"), ("Olive", "Green"), ("Grey Fog", "Grey"),
    ("Sea Salt", "White"), ("Bone", "Beige"), ("Onyx", "Black"), ("Concord", "White/Purple"),
    ("Royal", "Blue/Black"), ("Shadow", "Grey/Black"), ("Pine Green", "Green/White"),
    ("Court Purple", "Purple"), ("Lost and Found", "Red/White"), ("Cream", "Beige"),
    ("Navy", "Navy"), ("Burgundy", "Burgundy"), ("Volt", "Yellow"), ("Infrared", "Red/Grey"),
    ("Team Orange", "Orange"), ("Photon Dust", "Grey"), ("Pink Foam", "Pink"),
    ("Black Cement", "Black/Grey"),
)

# (name, country, VAT rate, price level, specialty segment, weight, rating or None, private).
# The price level multiplies the retail price (a private seller's: the market value).
SUPPLIERS: tuple[tuple[str, str, float, float, str, float, float | None, bool], ...] = (
    ("Snipes Einkauf GmbH", "DE", 0.19, 1.00, "sneakers", 8, 4.20, False),
    ("Foot Locker Europe B.V.", "NL", 0.21, 1.00, "sportswear", 7, 3.80, False),
    ("Zalando SE", "DE", 0.19, 0.92, "lifestyle", 6, 4.00, False),
    ("Solebox GmbH", "DE", 0.19, 1.02, "sneakers", 4, 4.50, False),
    ("Overkill Berlin", "DE", 0.19, 1.03, "sneakers", 3, 4.60, False),
    ("43einhalb Sneaker Store", "DE", 0.19, 1.02, "sneakers", 3, 4.40, False),
    ("Afew Store", "DE", 0.19, 1.01, "sneakers", 3, 4.70, False),
    ("BSTN Store", "DE", 0.19, 1.02, "streetwear", 3, 4.30, False),
    ("Patta Amsterdam", "NL", 0.21, 1.03, "streetwear", 2, 4.10, False),
    ("Sivasdescalzo", "ES", 0.21, 0.98, "sneakers", 2, 3.90, False),
    ("Slam Jam", "IT", 0.22, 1.04, "luxury", 2, 4.00, False),
    ("Courir France", "FR", 0.20, 0.95, "sportswear", 2, 3.60, False),
    ("Sizeer Polska", "PL", 0.23, 0.90, "sportswear", 2, 3.40, False),
    ("Blue Tomato Schladming", "AT", 0.20, 0.93, "lifestyle", 1.5, 3.70, False),
    ("END. Clothing", "GB", 0.0, 1.05, "luxury", 3, 4.40, False),
    ("Kith New York", "US", 0.0, 1.08, "streetwear", 1.5, 4.00, False),
    ("Nike Factory Store Zweibrücken", "DE", 0.19, 0.70, "sportswear", 3, 3.90, False),
    ("Privatverkäufer Kleinanzeigen", "DE", 0.0, 0.78, "sneakers", 3, 2.80, True),
    ("Vinted Privatkauf", "FR", 0.0, 0.80, "streetwear", 1.5, None, True),
    ("Nike SNKRS Raffle", "NL", 0.21, 1.00, "sneakers", 2, None, False),
)

# (name, slug, fee in per cent, fixed fee in euros, payout days, share of the sales,
# external id prefix).
PLATFORMS: tuple[tuple[str, str, float, float, int, float, str], ...] = (
    ("StockX", "stockx", 9.00, 5.00, 7, 0.38, "SX"),
    ("eBay", "ebay", 11.90, 0.35, 2, 0.18, "EB"),
    ("GOAT", "goat", 9.50, 5.50, 5, 0.17, "GT"),
    ("Alias", "alias", 12.40, 0.00, 4, 0.12, "AL"),
    ("Restocks", "restocks", 10.00, 10.00, 14, 0.15, "RS"),
)

# (country, city, weight): where the buyers are, German cities first.
CITIES: tuple[tuple[str, str, float], ...] = (
    ("DE", "Berlin", 8), ("DE", "Hamburg", 5), ("DE", "München", 5), ("DE", "Köln", 4),
    ("DE", "Frankfurt am Main", 4), ("DE", "Stuttgart", 3), ("DE", "Düsseldorf", 3),
    ("DE", "Leipzig", 2), ("DE", "Dortmund", 2), ("DE", "Essen", 1.5), ("DE", "Bremen", 1.5),
    ("DE", "Dresden", 1.5), ("DE", "Hannover", 1.5), ("DE", "Nürnberg", 1.5),
    ("DE", "Duisburg", 1), ("DE", "Bochum", 1), ("DE", "Wuppertal", 0.8),
    ("DE", "Bielefeld", 0.8), ("DE", "Bonn", 0.8), ("DE", "Münster", 0.8),
    ("DE", "Mannheim", 0.7), ("DE", "Karlsruhe", 0.7), ("DE", "Augsburg", 0.6),
    ("DE", "Wiesbaden", 0.6), ("DE", "Mönchengladbach", 0.5),
    ("DE", "Freiburg im Breisgau", 0.6), ("DE", "Saarbrücken", 0.4), ("DE", "Würzburg", 0.3),
    ("FR", "Paris", 5), ("FR", "Lyon", 1.5), ("FR", "Marseille", 1.2), ("FR", "Toulouse", 0.8),
    ("FR", "Nice", 0.6), ("FR", "Nantes", 0.6), ("FR", "Strasbourg", 0.6),
    ("FR", "Montpellier", 0.5), ("FR", "Bordeaux", 0.6), ("FR", "Lille", 0.6),
    ("NL", "Amsterdam", 2.5), ("NL", "Rotterdam", 1.2), ("NL", "Den Haag", 0.8),
    ("NL", "Utrecht", 0.8), ("NL", "Eindhoven", 0.5), ("NL", "Groningen", 0.3),
    ("IT", "Milano", 2), ("IT", "Roma", 1.5), ("IT", "Torino", 0.6), ("IT", "Napoli", 0.6),
    ("IT", "Bologna", 0.5), ("IT", "Firenze", 0.4),
    ("ES", "Madrid", 1.8), ("ES", "Barcelona", 1.8), ("ES", "Valencia", 0.5),
    ("ES", "Sevilla", 0.4), ("ES", "Málaga", 0.3),
    ("GB", "London", 3), ("GB", "Manchester", 0.8), ("GB", "Birmingham", 0.6),
    ("GB", "Glasgow", 0.4), ("GB", "Leeds", 0.4), ("GB", "Bristol", 0.3),
    ("US", "New York", 1.5), ("US", "Los Angeles", 1), ("US", "Chicago", 0.5),
    ("US", "Miami", 0.3), ("US", "Houston", 0.3), ("US", "San Francisco", 0.4),
    ("AT", "Wien", 2), ("AT", "Graz", 0.5), ("AT", "Linz", 0.4), ("AT", "Salzburg", 0.4),
    ("CH", "Zürich", 1.2), ("CH", "Genève", 0.5), ("CH", "Basel", 0.5), ("CH", "Bern", 0.4),
    ("PL", "Warszawa", 1.2), ("PL", "Kraków", 0.6), ("PL", "Wrocław", 0.5),
    ("PL", "Poznań", 0.4), ("PL", "Gdańsk", 0.4),
    ("BE", "Bruxelles", 0.8), ("BE", "Antwerpen", 0.6), ("BE", "Gent", 0.3),
    ("DK", "København", 0.7), ("DK", "Aarhus", 0.2), ("SE", "Stockholm", 0.7),
    ("SE", "Göteborg", 0.3), ("CZ", "Praha", 0.6), ("CZ", "Brno", 0.2),
    ("PT", "Lisboa", 0.5), ("PT", "Porto", 0.3), ("IE", "Dublin", 0.4),
    ("FI", "Helsinki", 0.3), ("NO", "Oslo", 0.3), ("LU", "Luxembourg", 0.2),
    ("HU", "Budapest", 0.3), ("BR", "São Paulo", 0.2), ("JP", "Tokyo", 0.3),
    ("CA", "Toronto", 0.2), ("AU", "Sydney", 0.15),
)
# The currency a buyer of these countries pays in (others: EUR).
CURRENCIES = {"GB": "GBP", "US": "USD", "CH": "CHF"}

# The purchases per day grow linearly from the first share of the mean to the second.
GROWTH = (0.7, 1.3)
# Products with no demand at all; items that never sell (unlucky) or are written off.
DEAD_PRODUCT_SHARE = 0.03
UNSOLD_SHARE = 0.13
WRITTEN_OFF_SHARE = 0.015
# Orders cancelled (before shipping), returned (after delivery), completed but never paid.
CANCELLED_SHARE = 0.03
RETURNED_SHARE = 0.04
NEVER_PAID_SHARE = 0.01


@dataclass(frozen=True)
class ScaleSpec:
    """How big the simulated reseller is: items bought per day over `days` days."""

    name: str
    days: int
    items_per_day: float
    products: int


SCALES: dict[str, ScaleSpec] = {
    # Tests: some 33 thousand items and 28 thousand orders, in a few seconds.
    "S": ScaleSpec("S", days=913, items_per_day=36, products=800),
    # Benchmarks: some 2.5 million items and over 2 million orders.
    "M": ScaleSpec("M", days=913, items_per_day=2700, products=800),
    # Four times M's purchases (and sales) over the same period and catalogue.
    "L": ScaleSpec("L", days=913, items_per_day=4 * 2700, products=800),
}


def scale_spec(scale: Scale) -> ScaleSpec:
    """The reseller of a scale; a fraction (M/4) buys that fraction of the items per day."""
    base = SCALES[scale.base]
    if scale.divisor == 1:
        return base
    return replace(base, name=scale.name, items_per_day=base.items_per_day / scale.divisor)


def items(spec: ScaleSpec) -> int:
    """How many items (inventory rows) the reseller buys over the period."""
    return round(spec.items_per_day * spec.days)


def describe(scale: Scale) -> str:
    spec = scale_spec(scale)
    return (f"{spec.items_per_day:g} items bought a day for {spec.days} days, "
            f"{spec.products} products of {len(BRANDS)} brands, {len(PLATFORMS)} platforms")


def _cumulative_starts(weights: tuple[float, ...] | list[float]) -> list[float]:
    """Where each weight's share of [0, 1) starts: thresholds for width_bucket()."""
    total = sum(weights)
    return [0.0, *(value / total for value in accumulate(weights))][:-1]


def _supplier_starts() -> tuple[list[int], list[int], list[float]]:
    """Per segment (1-based, SEGMENTS' order) and supplier: where the supplier's share of the
    segment's purchases starts. A supplier weighs four times more in its specialty."""
    segments, suppliers, starts = [], [], []
    for segment_no, segment in enumerate(SEGMENTS, 1):
        weights = [weight * (4 if specialty == segment else 1)
                   for _n, _c, _v, _l, specialty, weight, _r, _p in SUPPLIERS]
        for supplier_no, start in enumerate(_cumulative_starts(weights), 1):
            segments.append(segment_no)
            suppliers.append(supplier_no)
            starts.append(start)
    return segments, suppliers, starts


def _mail(name: str) -> str:
    plain = name.lower().translate(str.maketrans("äöüéèß", "aouees"))
    return "einkauf@" + "".join(c for c in plain.replace(" ", "-") if c.isalnum() or c == "-") \
        .strip("-") + ".example"


def generator_params(scale: Scale, seed: int, ends_at: datetime) -> dict[str, object]:
    spec = scale_spec(scale)
    brand_ids = {brand.name: no for no, brand in enumerate(BRANDS, 1)}
    models = [(brand_no, model) for brand_no, brand in enumerate(BRANDS, 1)
              for model in brand.models]
    category_items = [(category_no, item) for category_no, category in enumerate(CATEGORIES, 1)
                      for item in category[2]]
    seg_categories = [(segment_no, category_no, category[4][segment_no - 1])
                      for segment_no in range(1, len(SEGMENTS) + 1)
                      for category_no, category in enumerate(CATEGORIES, 1)]
    seg_starts = []
    for segment_no in range(1, len(SEGMENTS) + 1):
        seg_starts += _cumulative_starts([w for s, _c, w in seg_categories if s == segment_no])
    supplier_segments, supplier_nos, supplier_starts = _supplier_starts()
    return {
        "days": spec.days,
        "n_items": items(spec),
        "n_products": spec.products,
        "start_ts": ends_at - timedelta(days=spec.days),
        "growth_start": GROWTH[0],
        "growth_end": GROWTH[1],
        "dead_product_share": DEAD_PRODUCT_SHARE,
        "unsold_share": UNSOLD_SHARE,
        "written_off_share": WRITTEN_OFF_SHARE,
        "cancelled_share": CANCELLED_SHARE,
        "returned_share": RETURNED_SHARE,
        "never_paid_share": NEVER_PAID_SHARE,
        "brand_names": [b.name for b in BRANDS],
        "brand_segments": [b.segment for b in BRANDS],
        "brand_tiers": [b.price_tier for b in BRANDS],
        "brand_demographics": [b.demographic for b in BRANDS],
        "brand_hypes": [b.hype for b in BRANDS],
        "brand_parents": [brand_ids[b.parent] if b.parent else None for b in BRANDS],
        "brand_starts": _cumulative_starts([b.weight for b in BRANDS]),
        "model_brands": [brand_no for brand_no, _model in models],
        "model_names": [model for _brand_no, model in models],
        "category_names": [c[0] for c in CATEGORIES],
        "category_sizes": [c[1] for c in CATEGORIES],
        "category_low_prices": [c[3][0] for c in CATEGORIES],
        "category_high_prices": [c[3][1] for c in CATEGORIES],
        "category_item_categories": [category_no for category_no, _item in category_items],
        "category_item_names": [item for _category_no, item in category_items],
        "segment_names": list(SEGMENTS),
        "segment_category_segments": [s for s, _c, _w in seg_categories],
        "segment_category_categories": [c for _s, c, _w in seg_categories],
        "segment_category_starts": seg_starts,
        "colourway_names": [name for name, _colour in COLOURWAYS],
        "colourway_colours": [colour for _name, colour in COLOURWAYS],
        "supplier_names": [s[0] for s in SUPPLIERS],
        "supplier_emails": [_mail(s[0]) for s in SUPPLIERS],
        "supplier_countries": [s[1] for s in SUPPLIERS],
        "supplier_vat_rates": [s[2] for s in SUPPLIERS],
        "supplier_levels": [s[3] for s in SUPPLIERS],
        "supplier_ratings": [s[6] for s in SUPPLIERS],
        "supplier_private": [s[7] for s in SUPPLIERS],
        "supplier_pick_segments": supplier_segments,
        "supplier_pick_suppliers": supplier_nos,
        "supplier_pick_starts": supplier_starts,
        "platform_names": [p[0] for p in PLATFORMS],
        "platform_slugs": [p[1] for p in PLATFORMS],
        "platform_fee_percentages": [p[2] for p in PLATFORMS],
        "platform_fee_fixed": [p[3] for p in PLATFORMS],
        "platform_payout_days": [p[4] for p in PLATFORMS],
        "platform_prefixes": [p[6] for p in PLATFORMS],
        "platform_starts": _cumulative_starts([p[5] for p in PLATFORMS]),
        "city_countries": [country for country, _city, _weight in CITIES],
        "city_names": [city for _country, city, _weight in CITIES],
        "city_currencies": [CURRENCIES.get(country, "EUR") for country, _city, _w in CITIES],
        "city_starts": _cumulative_starts([weight for _country, _city, weight in CITIES]),
    }


SIMULATOR = Simulator(
    sql_dir=Path(__file__).resolve().parent / "demo_data",
    # One session publishes both schemas (the orders reference the items): the engine
    # truncates transactions, publish_transactions.sql the tables of products too.
    source_schemas=("transactions",),
    scratch_schema="commerce_sim",
    probe_table="products.inventory",
    params=generator_params,
    describe=describe,
    bulk_tables=("transactions.orders",),
    # The publishing session sorts the orders by sale time in memory.
    publish_settings={"work_mem": "1GB"},
)
