"""The forecast's database side: read `analytics.seller_forecast_inputs`, replace
`seller_forecast.forecast_output`.

The replacement is one transaction: the new rows are copied into a temporary table first (the
slow part, before any lock), then the output table is locked against other writers (SHARE ROW
EXCLUSIVE: readers are not blocked), emptied with DELETE (not TRUNCATE, whose ACCESS EXCLUSIVE
lock would block readers, and which is not MVCC-safe for them) and refilled, and committed. A
reader sees the old table until the commit and the new one after it, never a partial or empty
one; two overlapping runs write one after the other. Only bundles still in the future at write
time are kept, so stale rows (windows that have started) are gone after each run.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import psycopg2.extensions

from orchestration.marts.seller_insights.forecast.bundles import INPUT_COLUMNS, Bundles, from_rows

INPUTS = "analytics.seller_forecast_inputs"
OUTPUT = "seller_forecast.forecast_output"
OUTPUT_COLUMNS = ("bundle_id", "seller_id", "window_start", "predicted_sales", "posted_qty",
                  "predicted_no_show_prob", "confidence", "rationale")
# Called inside the replacing transaction, after the new rows are in and before the commit
# (tests hold the transaction open there to read from another connection).
BeforeCommit = Callable[[psycopg2.extensions.cursor], None]


@dataclass(frozen=True)
class OutputRows:
    """The rows to write, as arrays (one entry per future bundle) and rationale strings."""

    bundle_id: np.ndarray
    seller_id: np.ndarray
    window_start: np.ndarray  # epoch seconds
    predicted_sales: np.ndarray
    posted_qty: np.ndarray
    no_show_prob: np.ndarray
    confidence: np.ndarray
    rationale: Sequence[str]

    def __len__(self) -> int:
        return int(self.bundle_id.shape[0])


def read_inputs(conn: psycopg2.extensions.connection) -> Bundles:
    with conn.cursor() as cur:
        cur.execute(f"select {', '.join(INPUT_COLUMNS)} from {INPUTS}")
        return from_rows(cur.fetchall())


def database_now(conn: psycopg2.extensions.connection) -> datetime:
    with conn.cursor() as cur:
        cur.execute("select statement_timestamp()")
        return cur.fetchone()[0]


@contextlib.contextmanager
def transaction(conn: psycopg2.extensions.connection) -> Iterator[psycopg2.extensions.cursor]:
    """One transaction on a connection that may be in autocommit mode (the resource's are)."""
    saved = conn.autocommit
    conn.autocommit = False
    try:
        with conn, conn.cursor() as cur:
            yield cur
    finally:
        conn.autocommit = saved


def replace_output(conn: psycopg2.extensions.connection, rows: OutputRows, as_of: datetime | None = None,
                   before_commit: BeforeCommit | None = None) -> int:
    """Replace the whole output table with `rows` whose window starts after `as_of` (default:
    the time of the write). Returns the rows written."""
    with transaction(conn) as cur:
        cur.execute(f"create temporary table forecast_new (like {OUTPUT}) on commit drop")
        cur.copy_expert(f"copy forecast_new ({', '.join(OUTPUT_COLUMNS)}) from stdin", _copy_text(rows))
        cur.execute(f"lock table {OUTPUT} in share row exclusive mode")
        cur.execute(f"delete from {OUTPUT}")
        cur.execute(
            f"insert into {OUTPUT} ({', '.join(OUTPUT_COLUMNS)})"
            f" select {', '.join(OUTPUT_COLUMNS)} from forecast_new"
            " where window_start > coalesce(%s::timestamptz, statement_timestamp())"
            " order by seller_id, window_start, bundle_id",
            (as_of,))
        written = cur.rowcount
        if before_commit is not None:
            before_commit(cur)
    return written


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def _copy_text(rows: OutputRows) -> io.StringIO:
    """The rows in COPY's text format (window starts as UTC ISO timestamps)."""
    micros = np.rint(np.asarray(rows.window_start, dtype=np.float64) * 1e6).astype(np.int64)
    starts = micros.astype("datetime64[us]")
    buf = io.StringIO()
    for i in range(len(rows)):
        buf.write(
            f"{int(rows.bundle_id[i])}\t{int(rows.seller_id[i])}\t{starts[i]}+00\t"
            f"{rows.predicted_sales[i]:.2f}\t{int(rows.posted_qty[i])}\t{rows.no_show_prob[i]:.4f}\t"
            f"{rows.confidence[i]:.4f}\t{_escape(rows.rationale[i])}\n")
    buf.seek(0)
    return buf
