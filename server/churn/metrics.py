"""How good a churn model is, measured the way it will be used: managers work the top
k warnings, so precision and recall at k matter more than accuracy; ROC AUC compares
rankings; calibration says whether "70%" means seven in ten."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score

CALIBRATION_BINS = 10


def at_k(label: np.ndarray, mask: np.ndarray) -> dict:
    """Precision, recall and lift of the rows `mask` flags."""
    flagged = int(mask.sum())
    caught = int(label[mask].sum())
    leavers = int(label.sum())
    base = leavers / len(label) if len(label) else 0.0
    precision = caught / flagged if flagged else 0.0
    return {
        "flagged": flagged,
        "caught": caught,
        "precision": precision,
        "recall": caught / leavers if leavers else 0.0,
        "lift": precision / base if base else 0.0,
    }


def auc(label: np.ndarray, score: np.ndarray) -> float | None:
    """ROC AUC; None when the rows hold one class only (it is undefined then)."""
    if label.min() == label.max():
        return None
    return float(roc_auc_score(label, score))


def calibration(label: np.ndarray, probability: np.ndarray) -> dict:
    """The Brier score and, over ten bins of equal width, the mean predicted probability
    against the share that left; the expected calibration error weighs each bin's gap
    by its rows."""
    edges = np.linspace(0, 1, CALIBRATION_BINS + 1)
    bins = np.clip(np.digitize(probability, edges[1:-1]), 0, CALIBRATION_BINS - 1)
    table, error = [], 0.0
    for index in range(CALIBRATION_BINS):
        inside = bins == index
        rows = int(inside.sum())
        if not rows:
            continue
        predicted = float(probability[inside].mean())
        observed = float(label[inside].mean())
        error += rows / len(label) * abs(predicted - observed)
        table.append(
            {"from": float(edges[index]), "rows": rows, "predicted": predicted, "left": observed}
        )
    return {
        "brier": float(brier_score_loss(label, probability)),
        "ece": error,
        "bins": table,
    }
