"""The models: a depth-limited decision tree (the white box), a Bayesian classifier,
logistic regression and gradient boosting; their union or intersection; and the
tree's path for each customer as reasons.

Everything is seeded: the same data and settings give the same models, scores and
reasons (tests/test_churn_learn.py). The features arrive as a frame of numbers (NaN
for blanks) and categories (None for blanks); `Encoder` turns them into the matrices
the models take and remembers what each column of those matrices means, so a split in
the tree can be said in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import CategoricalNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

MODEL_KINDS = ("tree", "bayes", "logistic", "boosting")
Combine = Literal["union", "intersection"]
BLANK = "(blank)"
# Quantile bins of a number for the Bayesian classifier (a blank is a bin of its own).
BAYES_BINS = 5


@dataclass(frozen=True)
class Settings:
    """What an admin may choose; recorded with every run."""

    # The models whose flags are combined (all four are always trained and scored).
    members: tuple[str, ...] = ("tree", "bayes", "boosting")
    combine: Combine = "union"
    tree_depth: int = 4
    # A leaf holds at least this share of the training rows: no rule for a handful.
    min_leaf_share: float = 0.01
    seed: int = 0

    def __post_init__(self):
        unknown = set(self.members) - set(MODEL_KINDS)
        if unknown or not self.members:
            raise ValueError(f"members must be among {MODEL_KINDS}")
        if self.combine not in ("union", "intersection"):
            raise ValueError("combine must be union or intersection")

    def as_dict(self) -> dict:
        return {
            "members": list(self.members),
            "combine": self.combine,
            "tree_depth": self.tree_depth,
            "min_leaf_share": self.min_leaf_share,
            "seed": self.seed,
        }


@dataclass(frozen=True)
class Column:
    """One column of the encoded matrix: a number, a blank flag, or one category."""

    kind: Literal["number", "blank", "category"]
    feature: str
    value: str | None = None
    # A number that is always whole (a count, months): its splits read "≥ 1", not "> 0.5".
    whole: bool = False


@dataclass
class Encoder:
    numeric: list[str]
    categorical: list[str]
    medians: dict[str, float] = field(default_factory=dict)
    with_blanks: list[str] = field(default_factory=list)
    whole: set[str] = field(default_factory=set)
    categories: dict[str, list[str]] = field(default_factory=dict)
    bin_edges: dict[str, np.ndarray] = field(default_factory=dict)
    columns: list[Column] = field(default_factory=list)

    @classmethod
    def fit(cls, frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> Encoder:
        encoder = cls(list(numeric), list(categorical))
        for name in encoder.numeric:
            values = frame[name].to_numpy(dtype=float)
            known = values[~np.isnan(values)]
            encoder.medians[name] = float(np.median(known)) if len(known) else 0.0
            if np.isnan(values).any():
                encoder.with_blanks.append(name)
            if len(known) and np.all(known == np.round(known)):
                encoder.whole.add(name)
            inner = (
                np.quantile(known, np.linspace(0, 1, BAYES_BINS + 1)[1:-1]) if len(known) else []
            )
            encoder.bin_edges[name] = np.unique(inner)
        for name in encoder.categorical:
            encoder.categories[name] = sorted(frame[name].fillna(BLANK).astype(str).unique())
        encoder.columns = (
            [Column("number", name, whole=name in encoder.whole) for name in encoder.numeric]
            + [Column("blank", name) for name in encoder.with_blanks]
            + [
                Column("category", name, value)
                for name in encoder.categorical
                for value in encoder.categories[name]
            ]
        )
        return encoder

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """Numbers (blanks as the training median), a 0/1 blank flag for the numbers
        that had blanks in training, and one 0/1 column per training category; float32,
        filled in place (a province's training table is millions of rows)."""
        out = np.empty((len(frame), len(self.columns)), dtype=np.float32)
        at = 0
        for name in self.numeric:
            values = frame[name].to_numpy(dtype=float)
            out[:, at] = np.where(np.isnan(values), self.medians[name], values)
            at += 1
        for name in self.with_blanks:
            out[:, at] = np.isnan(frame[name].to_numpy(dtype=float))
            at += 1
        for name in self.categorical:
            values = frame[name].fillna(BLANK).astype(str).to_numpy()
            for value in self.categories[name]:
                out[:, at] = values == value
                at += 1
        return out

    def codes(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[int]]:
        """One small integer per feature for the Bayesian classifier: a number's quantile
        bin (the last code: blank), a category's index (the last code: unseen or blank)."""
        parts, sizes = [], []
        for name in self.numeric:
            values = frame[name].to_numpy(dtype=float)
            edges = self.bin_edges[name]
            binned = np.searchsorted(edges, np.nan_to_num(values), side="right")
            parts.append(np.where(np.isnan(values), len(edges) + 1, binned))
            sizes.append(len(edges) + 2)
        for name in self.categorical:
            known = {value: index for index, value in enumerate(self.categories[name])}
            values = frame[name].fillna(BLANK).astype(str)
            parts.append(values.map(lambda v, k=known: k.get(v, len(k))).to_numpy())
            sizes.append(len(known) + 1)
        return np.column_stack(parts).astype(int), sizes


@dataclass
class Models:
    encoder: Encoder
    settings: Settings
    tree: DecisionTreeClassifier
    bayes: CategoricalNB
    logistic: object
    boosting: HistGradientBoostingClassifier

    def scores(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """Each model's probability of leaving for every row of `frame`."""
        matrix = self.encoder.matrix(frame)
        codes, _ = self.encoder.codes(frame)
        return {
            "tree": self.tree.predict_proba(matrix)[:, 1],
            "bayes": self.bayes.predict_proba(codes)[:, 1],
            "logistic": self.logistic.predict_proba(matrix)[:, 1],  # type: ignore[attr-defined]
            "boosting": self.boosting.predict_proba(matrix)[:, 1],
        }

    def reasons(self, frame: pd.DataFrame) -> list[list[dict]]:
        """For each row, the conditions of its path through the tree, merged per feature
        (the tightest bound kept), in the order the tree asked them."""
        matrix = self.encoder.matrix(frame)
        return [tree_path(self.tree, self.encoder.columns, row) for row in matrix]

    def rules(self) -> list[dict]:
        return tree_rules(self.tree, self.encoder.columns)


def train(
    frame: pd.DataFrame,
    label: np.ndarray,
    numeric: list[str],
    categorical: list[str],
    settings: Settings,
    weights: np.ndarray | None = None,
) -> Models:
    """Fit the four models; `weights` stand for rows left out of a sample (a kept
    stayer of one in five weighs 5), so probabilities stay those of the whole."""
    encoder = Encoder.fit(frame, numeric, categorical)
    matrix = encoder.matrix(frame)
    codes, sizes = encoder.codes(frame)
    min_leaf = max(5, int(settings.min_leaf_share * len(label)))
    tree = DecisionTreeClassifier(
        max_depth=settings.tree_depth, min_samples_leaf=min_leaf, random_state=settings.seed
    ).fit(matrix, label, sample_weight=weights)
    bayes = CategoricalNB(min_categories=sizes).fit(codes, label, sample_weight=weights)
    logistic = make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=2000, random_state=settings.seed)
    ).fit(matrix, label, logisticregression__sample_weight=weights)
    boosting = HistGradientBoostingClassifier(
        max_iter=100, learning_rate=0.1, early_stopping=False, random_state=settings.seed
    ).fit(matrix, label, sample_weight=weights)
    return Models(encoder, settings, tree, bayes, logistic, boosting)


# --- combination -------------------------------------------------------------------


def top_k(scores: np.ndarray, k: int, groups: np.ndarray | None = None) -> np.ndarray:
    """The k highest scores as a mask, in each group when `groups` numbers the rows (a
    manager's month); ties go to the earlier row (deterministic)."""
    if groups is None:
        groups = np.zeros(len(scores), dtype=np.int64)
    order = np.lexsort((np.arange(len(scores)), -scores, groups))
    sorted_groups = groups[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_groups)) + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    mask = np.zeros(len(scores), dtype=bool)
    mask[order[rank < max(0, k)]] = True
    return mask


def flagged(
    scores: dict[str, np.ndarray],
    members: tuple[str, ...],
    combine: Combine,
    k: int,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Who the combination flags when each member may flag k (per group): union =
    flagged by any member (more leavers caught, more visits spent), intersection = by
    every member (fewer, surer)."""
    masks = [top_k(scores[name], k, groups) for name in members]
    return np.logical_or.reduce(masks) if combine == "union" else np.logical_and.reduce(masks)


def combined_score(
    scores: dict[str, np.ndarray], members: tuple[str, ...], combine: Combine
) -> np.ndarray:
    """A score whose top rows are the combination's flags: each member's rank as a share
    (1 = its highest), then the best of them (union) or the worst (intersection)."""
    shares = []
    for name in members:
        order = np.lexsort((np.arange(len(scores[name])), -scores[name]))
        share = np.empty(len(order))
        share[order] = 1 - np.arange(len(order)) / max(1, len(order))
        shares.append(share)
    stacked = np.vstack(shares)
    return stacked.max(axis=0) if combine == "union" else stacked.min(axis=0)


# --- the tree in words -------------------------------------------------------------


def _condition(column: Column, goes_left: bool, threshold: float) -> tuple[str, dict]:
    """A split as (key to merge on, reason). Left is `value <= threshold`."""
    if column.kind == "number":
        if column.whole:  # x <= 2.5 is x <= 2; x > 2.5 is x >= 3; and x > 1.0 is x >= 2
            op, value = (
                ("le", np.floor(threshold)) if goes_left else ("ge", np.floor(threshold) + 1)
            )
        else:
            op, value = ("le" if goes_left else "gt"), round(float(threshold), 4)
        bound = "upper" if op == "le" else "lower"
        return f"{column.feature}:{bound}", {
            "feature": column.feature,
            "op": op,
            "value": float(value),
        }
    if column.kind == "blank":
        op = "present" if goes_left else "blank"
        return f"{column.feature}:blankness", {"feature": column.feature, "op": op}
    op = "is_not" if goes_left else "is"
    key = f"{column.feature}:is" if op == "is" else f"{column.feature}:not:{column.value}"
    return key, {"feature": column.feature, "op": op, "value": column.value}


def _merge(conditions: list[tuple[str, dict]]) -> list[dict]:
    """Keep one condition per key (the tightest bound for numbers), in first-asked order;
    a number bounded on both sides becomes one "between"; once a category is known
    ("is"), its "is not"s say nothing more."""
    merged: dict[str, dict] = {}
    for key, reason in conditions:
        if key in merged and reason["op"] in ("le", "gt", "ge"):
            tighter = min if reason["op"] == "le" else max
            merged[key]["value"] = tighter(merged[key]["value"], reason["value"])
        else:
            merged.setdefault(key, dict(reason))
    known = {r["feature"] for r in merged.values() if r["op"] == "is"}
    result: list[dict] = []
    for key, reason in merged.items():
        if reason["op"] == "is_not" and reason["feature"] in known:
            continue
        if key.endswith(":lower") and f"{reason['feature']}:upper" in merged:
            continue  # said with the upper bound
        if key.endswith(":upper") and (lower := merged.get(f"{reason['feature']}:lower")):
            reason = {
                "feature": reason["feature"],
                "op": "between_ge" if lower["op"] == "ge" else "between",
                "low": lower["value"],
                "value": reason["value"],
            }
        result.append(reason)
    return result


def tree_path(tree: DecisionTreeClassifier, columns: list[Column], row: np.ndarray) -> list[dict]:
    structure = tree.tree_
    node, conditions = 0, []
    while structure.children_left[node] != -1:
        feature, threshold = structure.feature[node], structure.threshold[node]
        goes_left = bool(row[feature] <= threshold)
        conditions.append(_condition(columns[feature], goes_left, threshold))
        node = structure.children_left[node] if goes_left else structure.children_right[node]
    return _merge(conditions)


def tree_rules(tree: DecisionTreeClassifier, columns: list[Column]) -> list[dict]:
    """Every leaf as a rule: its conditions, how many training rows reach it and the
    share of them that left; the riskiest first."""
    structure = tree.tree_
    rules = []

    def walk(node: int, conditions: list[tuple[str, dict]]) -> None:
        left, right = structure.children_left[node], structure.children_right[node]
        if left == -1:
            counts = structure.value[node][0]
            rows = int(structure.n_node_samples[node])
            share = float(counts[1] / counts.sum()) if counts.sum() else 0.0
            rules.append({"conditions": _merge(conditions), "rows": rows, "left_share": share})
            return
        column, threshold = columns[structure.feature[node]], structure.threshold[node]
        walk(left, [*conditions, _condition(column, True, threshold)])
        walk(right, [*conditions, _condition(column, False, threshold)])

    walk(0, [])
    return sorted(rules, key=lambda rule: -rule["left_share"])
