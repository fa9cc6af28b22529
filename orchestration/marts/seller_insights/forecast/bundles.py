"""The forecast's input as arrays: one entry per valid bundle of `analytics.seller_forecast_inputs`.

The view gives each bundle's local calendar (weekday, start time, date in the seller's zone),
its posted quantity and price, its categories and, for past bundles, what happened to it. Here
the rows become column arrays (the model is array arithmetic) with the categories as codes in a
CSR layout (`cat_ptr`/`cat_code`), so a bundle with no category is simply an empty slice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from typing import Any

import numpy as np

WEEK_SECONDS = 7 * 24 * 3600.0
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Bundles:
    """Column arrays of bundles (every array has one entry per bundle, except the CSR pair)."""

    bundle_id: np.ndarray  # int64
    seller_id: np.ndarray  # int64
    window_start: np.ndarray  # float64, epoch seconds
    local_day: np.ndarray  # int64, days since 1970-01-01 of the local date
    weekday: np.ndarray  # int64, ISO 1 = Mon .. 7 = Sun
    start_minute: np.ndarray  # int64, local start time in minutes after midnight
    window_hours: np.ndarray  # float64
    posted_qty: np.ndarray  # int64
    price: np.ndarray  # float64
    cat_ptr: np.ndarray  # int64, len n + 1: bundle i's categories are cat_code[ptr[i]:ptr[i+1]]
    cat_code: np.ndarray  # int64, codes into `category_names`
    category_names: tuple[str, ...]
    is_future: np.ndarray  # bool
    reserved_units: np.ndarray  # int64
    collected_units: np.ndarray  # int64
    no_show_units: np.ndarray  # int64
    mean_lead_hours: np.ndarray  # float64, NaN when the bundle has no reserved units

    def __len__(self) -> int:
        return int(self.bundle_id.shape[0])

    @property
    def start_hour(self) -> np.ndarray:
        return self.start_minute // 60

    @property
    def window_end(self) -> np.ndarray:
        return self.window_start + self.window_hours * 3600.0

    @property
    def week(self) -> np.ndarray:
        """ISO week of the local date, as a running number (1970-01-01 was a Thursday)."""
        return (self.local_day + 3) // 7

    @property
    def n_categories(self) -> np.ndarray:
        return np.diff(self.cat_ptr)

    def categories_of(self, i: int) -> tuple[str, ...]:
        return tuple(self.category_names[c] for c in self.cat_code[self.cat_ptr[i]:self.cat_ptr[i + 1]])

    def category_entries(self) -> tuple[np.ndarray, np.ndarray]:
        """(bundle index, category code) of every bundle-category pair."""
        rows = np.repeat(np.arange(len(self)), self.n_categories)
        return rows, self.cat_code

    def take(self, mask_or_index: np.ndarray) -> Bundles:
        """The bundles selected by a boolean mask or an index array (categories kept aligned)."""
        index = np.flatnonzero(mask_or_index) if mask_or_index.dtype == bool else mask_or_index
        counts = self.n_categories[index]
        starts = self.cat_ptr[index]
        ptr = np.zeros(len(index) + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        offsets = np.arange(int(ptr[-1])) - np.repeat(ptr[:-1], counts) + np.repeat(starts, counts)
        columns: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "cat_ptr":
                columns[f.name] = ptr
            elif f.name == "cat_code":
                columns[f.name] = self.cat_code[offsets]
            elif f.name == "category_names":
                columns[f.name] = value
            else:
                columns[f.name] = value[index]
        return Bundles(**columns)


# The view's columns, in its order (the spec fixes them).
INPUT_COLUMNS = (
    "bundle_id", "seller_id", "time_zone", "window_start", "local_date", "local_weekday",
    "local_start_time", "window_hours", "posted_qty", "price", "category_names", "is_future",
    "reserved_units", "collected_units", "no_show_units", "mean_lead_hours",
)


def from_rows(rows: Sequence[Sequence[Any]]) -> Bundles:
    """Bundles from rows of the inputs view (in INPUT_COLUMNS order, as psycopg2 returns them)."""
    n = len(rows)
    cols = list(zip(*rows, strict=True)) if n else [()] * len(INPUT_COLUMNS)
    by = dict(zip(INPUT_COLUMNS, cols, strict=True))
    names = sorted({c for cats in by["category_names"] for c in (cats or ())})
    code = {name: i for i, name in enumerate(names)}
    cat_lists = [[code[c] for c in (cats or ())] for cats in by["category_names"]]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(c) for c in cat_lists], out=ptr[1:])
    return Bundles(
        bundle_id=np.asarray(by["bundle_id"], dtype=np.int64),
        seller_id=np.asarray(by["seller_id"], dtype=np.int64),
        window_start=np.asarray([_epoch(t) for t in by["window_start"]], dtype=np.float64),
        local_day=np.asarray([_day(d) for d in by["local_date"]], dtype=np.int64),
        weekday=np.asarray(by["local_weekday"], dtype=np.int64),
        start_minute=np.asarray([_minute(t) for t in by["local_start_time"]], dtype=np.int64),
        window_hours=np.asarray(by["window_hours"], dtype=np.float64),
        posted_qty=np.asarray(by["posted_qty"], dtype=np.int64),
        price=np.asarray(by["price"], dtype=np.float64),
        cat_ptr=ptr,
        cat_code=np.asarray([c for cats in cat_lists for c in cats], dtype=np.int64),
        category_names=tuple(names),
        is_future=np.asarray(by["is_future"], dtype=bool),
        reserved_units=np.asarray(by["reserved_units"], dtype=np.int64),
        collected_units=np.asarray(by["collected_units"], dtype=np.int64),
        no_show_units=np.asarray(by["no_show_units"], dtype=np.int64),
        mean_lead_hours=np.asarray([np.nan if v is None else float(v) for v in by["mean_lead_hours"]],
                                   dtype=np.float64),
    )


def _epoch(value: datetime) -> float:
    return value.timestamp()


def _day(value: date) -> int:
    return (value - _EPOCH).days


def _minute(value: time) -> int:
    return value.hour * 60 + value.minute
