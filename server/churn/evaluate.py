"""`fieldbook churn evaluate FILE.csv --target COLUMN`: the same cleaning, encoding,
models and combination as Fieldbook's own training, on an analyst's extract, so an
operator can judge the models on their own data before trusting them.

An extract has no months, so the split is random (stratified, seeded) instead of by
time: the test rows are customers the models never saw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from server.churn import metrics
from server.churn.learn import MODEL_KINDS, Models, Settings, combined_score, flagged, top_k, train
from server.churn.table import CleaningReport, Labelled

TEST_SHARE = 0.3


@dataclass
class Evaluation:
    report: CleaningReport
    settings: Settings
    train_rows: int
    test_rows: int
    k: int
    base_rate: float
    models: dict[str, dict]
    combination: dict
    rules: list[dict]
    examples: list[dict]


def judge(
    label: np.ndarray,
    scores: dict[str, np.ndarray],
    settings: Settings,
    k: int,
    groups: np.ndarray | None = None,
) -> tuple[dict[str, dict], dict, np.ndarray]:
    """Each model's ROC AUC, figures at k (per group when `groups` numbers the rows)
    and calibration; the combination's ROC AUC and figures at k (the union or
    intersection of the members' flags, server/churn/learn.py); and its score."""
    per_model = {
        name: {
            "auc": metrics.auc(label, scores[name]),
            "at_k": metrics.at_k(label, top_k(scores[name], k, groups)),
            "calibration": metrics.calibration(label, scores[name]),
        }
        for name in MODEL_KINDS
    }
    score = combined_score(scores, settings.members, settings.combine)
    combination = {
        "auc": metrics.auc(label, score),
        "at_k": metrics.at_k(label, flagged(scores, settings.members, settings.combine, k, groups)),
    }
    return per_model, combination, score


def evaluate(data: Labelled, settings: Settings, top: int | None = None) -> Evaluation:
    rows = np.arange(len(data.label))
    train_rows, test_rows = train_test_split(
        rows, test_size=TEST_SHARE, random_state=settings.seed, stratify=data.label
    )
    train_rows, test_rows = np.sort(train_rows), np.sort(test_rows)
    models = train(
        data.features.iloc[train_rows],
        data.label[train_rows],
        data.numeric,
        data.categorical,
        settings,
    )
    test_frame = data.features.iloc[test_rows]
    label = data.label[test_rows]
    k = top if top is not None else max(1, round(0.1 * len(test_rows)))
    scores = models.scores(test_frame)
    per_model, combined, _score = judge(label, scores, settings, k)
    combination = {"members": list(settings.members), "combine": settings.combine, **combined}
    return Evaluation(
        report=data.report,
        settings=settings,
        train_rows=len(train_rows),
        test_rows=len(test_rows),
        k=k,
        base_rate=float(label.mean()),
        models=per_model,
        combination=combination,
        rules=models.rules(),
        examples=_examples(models, data, test_rows, scores["tree"], k),
    )


def _examples(
    models: Models, data: Labelled, test_rows: np.ndarray, tree_scores: np.ndarray, k: int
) -> list[dict]:
    """The tree's five riskiest test customers, each with the reasons of its path."""
    chosen = np.flatnonzero(top_k(tree_scores, min(k, 5)))
    frame = data.features.iloc[test_rows[chosen]]
    return [
        {
            "id": data.ids[test_rows[index]],
            "probability": float(tree_scores[index]),
            "left": bool(data.label[test_rows[index]]),
            "reasons": reasons,
        }
        for index, reasons in zip(chosen, models.reasons(frame), strict=True)
    ]
