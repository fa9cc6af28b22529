"""The forecast on scale S (seed 1) in a real database: accuracy against both baselines on
held-out weeks and against the simulator's truth, calibration of the no-show probability and
of `confidence`, and the atomic replacement of `seller_forecast.forecast_output`.

The module writes the forecast table of the session's mart database; it puts the rows it
found back when it is done, so the views' tests read what they expect.

Figures measured on S, seed 1 (60 sellers, ~7 900 bundles, 12 weeks; fit 1.2-2 s, of which
half is the inner refit that calibrates confidence): two held-out weeks (~1 230 bundles): MAE
model 2.02, seller mean 2.90, same slot 2.83 (ratio 0.70-0.72 over cutoffs 1-3 weeks apart);
MAPE 38 % vs 51 % and 48 %; no-show Brier 0.0932 (constant rate 0.0946), largest decile gap
0.011; mean confidence 0.468 vs coverage 0.472. Live future bundles (~790) against the truth:
MAE 1.89 vs 2.84 and 2.91, MAPE 29 % vs 41 % and 42 %; confidence 0.47 vs coverage 0.51.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import numpy as np
import psycopg2.extensions
import pytest
from dagster import materialize

from orchestration.core.database import connect
from orchestration.defs.resources import PostgresResource
from orchestration.defs.seller_insights.forecast import KEY, forecast_output
from orchestration.marts.seller_insights.forecast import baselines, evaluation, store
from orchestration.marts.seller_insights.forecast.bundles import Bundles
from orchestration.marts.seller_insights.forecast.run import ForecastRun, forecast_rows, run_forecast
from tests.python.marts.built_marts import BuiltMart

EVAL_WEEKS = 2
COLUMNS = ", ".join(store.OUTPUT_COLUMNS)


@pytest.fixture(scope="module")
def mart(seller_insights_mart: BuiltMart) -> Iterator[BuiltMart]:
    """The built S mart; the forecast table's rows are restored after the module."""
    with connect(seller_insights_mart.settings) as conn, conn.cursor() as cur:
        cur.execute(f"select {COLUMNS} from {store.OUTPUT}")
        saved = cur.fetchall()
    yield seller_insights_mart
    with connect(seller_insights_mart.settings) as conn, conn.cursor() as cur:
        cur.execute(f"delete from {store.OUTPUT}")
        if saved:
            cur.executemany(f"insert into {store.OUTPUT} ({COLUMNS}) values ({', '.join(['%s'] * 8)})",
                            saved)


@pytest.fixture(scope="module")
def inputs(mart: BuiltMart) -> tuple[Bundles, datetime]:
    with connect(mart.settings, autocommit=True) as conn:
        return store.read_inputs(conn), store.database_now(conn)


@pytest.fixture(scope="module")
def held_out(inputs: tuple[Bundles, datetime]) -> evaluation.Evaluation:
    bundles, now = inputs
    return evaluation.evaluate(bundles, now.timestamp(), EVAL_WEEKS)


def test_beats_both_baselines_on_held_out_weeks(held_out: evaluation.Evaluation) -> None:
    ev = held_out
    report = evaluation.report(ev)
    assert ev.test_bundles > 800, report
    # Measured: model MAE 0.70-0.72 x the better baseline. The MAE ratio's standard error on
    # ~1 200 bundles is ~0.03 and the test's anchor (the start of the hour) moves which bundles
    # fall into the weeks, so 0.85 leaves 4 standard errors while still demanding a real win.
    assert ev.model.mae < 0.85 * min(ev.seller_mean.mae, ev.same_slot.mae), report
    assert ev.model.mape < min(ev.seller_mean.mape, ev.same_slot.mape), report


def test_no_show_probability_is_calibrated(held_out: evaluation.Evaluation) -> None:
    ev = held_out
    report = evaluation.report(ev)
    # About one reserved unit in nine is a no-show and the simulator's differences between
    # windows are small, so the Brier score stays near p(1 - p) ~ 0.093: the model must not
    # be worse than the constant training rate (measured 0.0926 vs 0.0938; 0.002 allows the
    # week's sampling noise) and never near a useless 0.11.
    assert ev.brier < min(0.11, ev.brier_constant + 0.002), report
    # Each decile holds ~1 200 units in reservations of 1-3 units: the observed rate's standard
    # error is ~0.012; 0.05 is 4 of them (measured largest gap 0.025).
    assert len(ev.noshow_calibration) == 10
    assert all(abs(r.predicted - r.observed) < 0.05 for r in ev.noshow_calibration), report
    rows = ev.noshow_calibration
    assert rows[-1].observed > rows[0].observed, report


def test_confidence_is_calibrated(held_out: evaluation.Evaluation) -> None:
    """confidence = P(collected within +-20 % of predicted). Measured: mean 0.48, coverage 0.49.
    The hit rate's standard error on ~1 200 bundles is 0.014 and the dispersion behind
    confidence is itself calibrated on ~1 200 bundles with a coarse grid (+-0.02), so 0.08;
    per decile (~123 bundles, standard error 0.045), 0.2."""
    ev = held_out
    report = evaluation.report(ev)
    assert abs(ev.coverage - ev.mean_confidence) < 0.08, report
    assert all(abs(r.predicted - r.observed) < 0.2 for r in ev.confidence_calibration), report
    assert ev.confidence_calibration[-1].observed > ev.confidence_calibration[0].observed, report


def _truth(mart: BuiltMart, bundle_ids: np.ndarray) -> np.ndarray:
    with connect(mart.settings) as conn, conn.cursor() as cur:
        cur.execute("select bundle_id, collected_units from surplus_truth.bundle_outcomes"
                    " where bundle_id = any(%s)", (bundle_ids.tolist(),))
        found = dict(cur.fetchall())
    return np.array([found[int(b)] for b in bundle_ids], dtype=np.float64)


def test_live_forecast_against_the_truth(mart: BuiltMart, inputs: tuple[Bundles, datetime]) -> None:
    """The forecast of the future bundles, scored on their eventual outcome (the truth schema):
    measured MAE 1.89 against 2.8-3.0 for the baselines; the same 0.85 margin as held out."""
    bundles, now = inputs
    t = now.timestamp()
    rows, _, _ = forecast_rows(bundles, t)
    assert len(rows) > 300
    actual = _truth(mart, rows.bundle_id)
    train = bundles.take(evaluation.finished(bundles, t))
    future = bundles.take(bundles.window_start > t)
    mae = np.abs(rows.predicted_sales - actual).mean()
    base = [np.abs(b - actual).mean() for b in (baselines.seller_mean(train, future),
                                                baselines.same_slot(train, future, t))]
    assert mae < 0.85 * min(base), (mae, base)
    hit = evaluation.within_band(np.round(rows.predicted_sales, 2), actual).mean()
    assert abs(hit - rows.confidence.mean()) < 0.1, (hit, rows.confidence.mean())


def _stale_rows(cur: psycopg2.extensions.cursor) -> None:
    """Two rows no run would write: a bundle whose window has started, a marker row."""
    cur.execute(f"delete from {store.OUTPUT}")
    cur.execute(
        f"insert into {store.OUTPUT} ({COLUMNS})"
        " select bundle_id, seller_id, window_start, 1, posted_qty, 0.1, 0.5, 'stale'"
        " from analytics.seller_forecast_inputs where window_start <= now()"
        " order by window_start desc limit 2")


def test_replacement_is_atomic_and_drops_stale_rows(mart: BuiltMart) -> None:
    """While the writer's transaction is open (new rows in, not committed), a reader on another
    connection sees exactly the old table, without waiting; after the commit, exactly the new
    one: no stale row, every future bundle once."""
    with connect(mart.settings) as conn, conn.cursor() as cur:
        _stale_rows(cur)
    seen: list[tuple] = []

    def read_during_write(writer: psycopg2.extensions.cursor) -> None:
        writer.execute(f"select count(*) from {store.OUTPUT}")
        seen.append(("writer", writer.fetchone()[0]))

        def reader() -> None:
            with connect(mart.settings) as other, other.cursor() as cur:
                cur.execute("set statement_timeout = '5s'")
                cur.execute(f"select count(*), count(*) filter (where rationale = 'stale')"
                            f" from {store.OUTPUT}")
                seen.append(("reader", *cur.fetchone()))

        thread = threading.Thread(target=reader)
        thread.start()
        thread.join(30)

    with connect(mart.settings, autocommit=True) as conn:
        run = run_forecast(conn, before_commit=read_during_write)
    assert run.rows_written > 300
    assert seen[0] == ("writer", run.rows_written)
    assert seen[1] == ("reader", 2, 2), seen
    with connect(mart.settings) as conn, conn.cursor() as cur:
        cur.execute("select count(*), count(distinct bundle_id),"
                    " count(*) filter (where rationale = 'stale'),"
                    f" count(*) filter (where window_start <= now()) from {store.OUTPUT}")
        assert cur.fetchone() == (run.rows_written, run.rows_written, 0, 0)
        cur.execute("select count(*) from analytics.seller_forecast_inputs i"
                    f" left join {store.OUTPUT} f using (bundle_id)"
                    " where i.window_start > now() + interval '1 minute' and f.bundle_id is null")
        assert cur.fetchone()[0] == 0, "a future bundle has no forecast"
        cur.execute(f"select rationale from {store.OUTPUT}")
        texts = [r[0] for r in cur.fetchall()]
    assert all(len(t) > 30 and t.endswith(".") and "nan" not in t for t in texts)


def test_a_failed_run_keeps_the_previous_forecast(mart: BuiltMart) -> None:
    with connect(mart.settings) as conn, conn.cursor() as cur:
        _stale_rows(cur)

    def fail(_: psycopg2.extensions.cursor) -> None:
        raise RuntimeError("the write fails before its commit")

    with connect(mart.settings, autocommit=True) as conn, pytest.raises(RuntimeError):
        run_forecast(conn, before_commit=fail)
    with connect(mart.settings) as conn, conn.cursor() as cur:
        cur.execute(f"select count(*) filter (where rationale = 'stale'), count(*) from {store.OUTPUT}")
        assert cur.fetchone() == (2, 2)


def test_the_asset_materializes_with_its_metadata(mart: BuiltMart, monkeypatch: pytest.MonkeyPatch
                                                  ) -> None:
    for name, value in mart.settings.libpq_env().items():
        monkeypatch.setenv(name, value)
    result = materialize([forecast_output], resources={"postgres": PostgresResource()})
    assert result.success
    [event] = result.asset_materializations_for_node(forecast_output.op.name)
    assert event.asset_key == KEY
    meta = {k: v.value for k, v in event.metadata.items()}
    assert meta["rows_written"] > 300
    assert meta["mae_model"] < min(meta["mae_seller_mean"], meta["mae_same_slot"])
    assert meta["fit_seconds"] > 0
    assert meta["sellers_without_history"] >= 0


def test_as_of_pins_now(mart: BuiltMart) -> None:
    """An `as_of` a day ago forecasts from then: bundles of the last day are written too."""
    with connect(mart.settings, autocommit=True) as conn:
        now = store.database_now(conn)
        run = run_forecast(conn, as_of=now - timedelta(days=1))
        again = run_forecast(conn)
    assert run.rows_written > again.rows_written > 0
    assert isinstance(run, ForecastRun)
