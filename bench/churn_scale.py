"""Churn training and prediction at a province's scale: time and peak memory.

    .venv/bin/python bench/churn_scale.py                 # 400,000 customers, 12 months
    .venv/bin/python bench/churn_scale.py --customers 50000

Budget (issue 14): training and prediction for 400,000 customers with 12 months of
history in under 5 minutes and 4 GB on a 2-core machine. The history is made up in
memory in the shape `server/churn/features.load_history` returns (bills of 4 services
for 25 months, about 5 visits a customer a year, complaints, warnings), with leavers
whose bills fall or who complain first, so what is timed is the feature table, the
sampling, the four models, the evaluation and the scoring, not the database. Reading
the same rows from PostgreSQL is one streamed SELECT per table (`_stream`); its cost is
reported by `--with-db` on a database that holds them (not run in CI).

Prints each phase's seconds and the peak resident memory; exits 1 when a budget is
missed. A benchmark, not a test: run it by hand on an idle machine.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from dateutil.relativedelta import relativedelta

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BUDGET_S = 300
BUDGET_GB = 4.0
MONTHS = 25  # 12 months of look-back, 12 labelled, the month to predict
FIRST = date(2024, 11, 1)
SERVICES = ("mobile", "data", "broadband", "fixed_line")
TIERS = ("diamond", "emerald", "platinum", "sapphire", "gold", "crystal")
INTERVALS = (15, 30, 30, 45, 60, 90)


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def make_history(n: int, managers: int, seed: int = 1):
    from server.churn.features import History, month_cutoff

    rng = np.random.default_rng(seed)
    months = [FIRST + relativedelta(months=i) for i in range(MONTHS)]
    cutoffs = np.array([month_cutoff(m) for m in months])
    tier = rng.integers(0, len(TIERS), n)
    customers = pd.DataFrame(
        {
            "tier": np.array(TIERS, dtype=object)[tier],
            "kind": np.where(rng.random(n) < 0.15, "organisation", "individual").astype(object),
            "interval": np.array(INTERVALS, dtype=float)[tier],
            "activation": cutoffs[0] - rng.uniform(30, 3000, n) * 86400,
            "contract_end": np.where(
                rng.random(n) < 0.5, cutoffs[12] + rng.uniform(-300, 700, n) * 86400, np.nan
            ),
            "manager": rng.integers(0, managers, n).astype(object),
            "stage": np.full(n, "maturity", dtype=object),
        }
    )
    # Who leaves when: 1.5% of those still billed, each month from the 13th on.
    leaves = np.full(n, MONTHS, dtype=np.int64)
    for m in range(12, MONTHS - 1):
        still = leaves == MONTHS
        leaves[still & (rng.random(n) < 0.015)] = m + 1
    loud = (leaves < MONTHS) & (rng.random(n) < 0.4)
    billed = np.arange(MONTHS)[None, :] < leaves[:, None]
    base = rng.uniform(20, 150, (len(SERVICES), n, 1)).astype(np.float32)
    noise = rng.uniform(0.97, 1.03, (len(SERVICES), n, MONTHS)).astype(np.float32)
    spend = base * noise * billed[None, :, :]
    rows = np.flatnonzero(loud)
    spend[2, rows, leaves[rows] - 1] *= 0.5
    # Visits: about 5 a year each, none in the last three months of a quiet leaver.
    count = rng.poisson(5 * MONTHS / 12, n)
    customer = np.repeat(np.arange(n), count)
    at = cutoffs[0] - 30 * 86400 + rng.uniform(0, 1, len(customer)) * (cutoffs[-1] - cutoffs[0])
    quiet = (leaves < MONTHS) & ~loud
    silent = quiet[customer] & (at > cutoffs[np.maximum(leaves[customer] - 4, 0)])
    visits = pd.DataFrame(
        {
            "customer": customer[~silent],
            "at": at[~silent],
            "negative": (rng.random((~silent).sum()) < 0.05).astype(float),
        }
    )
    # Complaints: a few among everyone, two before leaving for quiet leavers.
    some = rng.choice(n, n // 10)
    before = np.flatnonzero(quiet)
    complaint_customer = np.r_[some, before, before]
    received = np.r_[
        rng.uniform(cutoffs[0], cutoffs[-1], len(some)),
        cutoffs[leaves[before] - 1] - rng.uniform(1, 20, len(before)) * 86400,
        cutoffs[leaves[before] - 2] - rng.uniform(1, 20, len(before)) * 86400,
    ]
    resolved = received + rng.uniform(1, 10, len(received)) * 86400
    complaints = pd.DataFrame(
        {
            "customer": complaint_customer,
            "received": received,
            "resolved": resolved,
            "closed": resolved + 86400,
            "severe": (rng.random(len(received)) < 0.3).astype(float),
            "satisfaction": rng.integers(1, 6, len(received)).astype(float),
        }
    )
    warned = rng.choice(n, n // 20)
    opened = rng.uniform(cutoffs[0], cutoffs[-1], len(warned))
    warnings = pd.DataFrame(
        {
            "customer": warned,
            "opened": opened,
            "closed": opened + 20 * 86400,
            "churned": np.zeros(len(warned)),
            "retained": np.ones(len(warned)),
        }
    )
    targeted = rng.choice(n, n // 10)
    campaigns = pd.DataFrame(
        {
            "customer": targeted,
            "at": rng.uniform(cutoffs[0], cutoffs[-1], len(targeted)),
            "declined": (rng.random(len(targeted)) < 0.3).astype(float),
            "contracted": (rng.random(len(targeted)) < 0.2).astype(float),
        }
    )
    return History(
        months=months,
        ids=[uuid.UUID(int=i) for i in range(n)],
        customers=customers,
        services=list(SERVICES),
        spend=spend,
        billed=billed,
        complaints=complaints,
        visits=visits,
        warnings=warnings,
        campaigns=campaigns,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=400_000)
    parser.add_argument("--managers", type=int, default=1000)
    args = parser.parse_args()

    from config import Config
    from server import create_app
    from server.churn import services
    from server.churn.features import CATEGORICAL, numeric_features
    from server.churn.learn import Settings, flagged, train

    app = create_app(Config)
    with app.app_context():
        started = time.perf_counter()
        history = make_history(args.customers, args.managers)
        made = time.perf_counter()
        print(f"history made up: {made - started:.1f} s (not counted), peak {peak_gb():.2f} GB")
        k = app.config["CHURN_WARNINGS_PER_MANAGER"]
        labelled = history.months[12:-1]
        test_from = labelled[-3]

        t0 = time.perf_counter()
        table = services._table(history, labelled, 1)
        t1 = time.perf_counter()
        print(f"features of {len(labelled)} months: {len(table):,} rows, {t1 - t0:.1f} s")
        learn = table[table["month"] < test_from]
        judge = table[table["month"] >= test_from]
        learn, weights = services._sample(learn, 0)
        numeric = numeric_features(table)
        models = train(
            learn, learn["left"].to_numpy(), numeric, list(CATEGORICAL), Settings(), weights
        )
        t2 = time.perf_counter()
        print(f"training on {len(learn):,} rows (sampled): {t2 - t1:.1f} s")
        evaluation = services._evaluate(models, judge, k)
        t3 = time.perf_counter()
        combo, rules = evaluation["combination"], evaluation["rules"]
        print(
            f"evaluation on {len(judge):,} rows: {t3 - t2:.1f} s;"
            f" ROC AUC {combo['auc']:.3f} (rules {rules['auc']:.3f}),"
            f" lift over rules {evaluation['lift_over_rules']:.2f}"
        )
        latest = services._table(history, [history.months[-1]], None)
        scores = models.scores(latest)
        chosen = flagged(scores, models.settings.members, "union", k, services._groups(latest))
        paths = models.reasons(latest[chosen])
        t4 = time.perf_counter()
        print(
            f"prediction for {len(latest):,} customers: {t4 - t3:.1f} s;"
            f" {int(chosen.sum()):,} flagged, {len(paths):,} paths"
        )
        total, peak = t4 - t0, peak_gb()
        met = total < BUDGET_S and peak < BUDGET_GB
        print(
            f"\ntotal {total:.1f} s (budget {BUDGET_S} s), peak memory {peak:.2f} GB"
            f" (budget {BUDGET_GB} GB): {'met' if met else 'MISSED'}"
        )
        return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
