"""`fieldbook churn evaluate`: an analyst's labelled extract read, cleaned, learned from
and judged; the tree's reasons are its decision path; union and intersection behave as
defined; bad files get a message, not a traceback."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from server.churn.learn import (
    Settings,
    combined_score,
    flagged,
    top_k,
    train,
)
from server.churn.table import ChurnDataError, read_labelled
from server.churn.words import reasons as words_for

HEADER = ["id", "tenure", "contract", "monthly", "total", "complaints", "name", "churn"]


def extract(path: Path, rows: int = 1200, seed: int = 1, encoding: str = "utf-8") -> Path:
    """A telecom-like extract: month-to-month contracts, short tenure and complaints
    make leaving likelier; totals written "1,234.50" and sometimes blank; a name per row."""
    rng = np.random.default_rng(seed)
    with path.open("w", newline="", encoding=encoding) as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for index in range(rows):
            tenure = int(rng.integers(0, 72))
            contract = rng.choice(["月付", "One year", "Two year"], p=[0.55, 0.25, 0.2])
            monthly = float(rng.normal(70, 25))
            complaints = int(rng.poisson(0.5))
            logit = -1.5 + 1.6 * (contract == "月付") - 0.03 * tenure + 0.7 * complaints
            left = rng.random() < 1 / (1 + np.exp(-logit))
            total = "" if tenure == 0 else f"{monthly * tenure:,.2f}"
            writer.writerow(
                [
                    f"C{index:05d}",
                    tenure,
                    contract,
                    f"{monthly:.2f}",
                    total,
                    complaints,
                    f"客户{index}",
                    "Yes" if left else "No",
                ]
            )
    return path


def write(path: Path, rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    return path


# --- reading and cleaning ------------------------------------------------------------


def test_reads_numbers_written_as_text_and_reports_what_it_did(tmp_path):
    data = read_labelled(extract(tmp_path / "x.csv"), "churn", "id")
    report = data.report
    assert report.rows_used == 1200
    assert report.positive_label == "Yes"
    assert report.positives == int(data.label.sum()) > 100
    assert report.numeric == ["tenure", "monthly", "total", "complaints"]
    assert report.categorical == ["contract"]
    assert report.left_out == {"name": "identifier"}
    assert data.features["total"].isna().sum() > 0  # the blanks stay blanks
    assert data.features["total"].max() > 1000  # "1,234.50" read as 1234.5
    assert any("total" in note and "separators" in note for note in report.notes)
    assert any("total" in note and "blank" in note for note in report.notes)
    assert data.ids[:2] == ["C00000", "C00001"]


def test_a_gb18030_file_reads_like_utf8(tmp_path):
    utf8 = read_labelled(extract(tmp_path / "u.csv"), "churn", "id")
    gbk = read_labelled(extract(tmp_path / "g.csv", encoding="gb18030"), "churn", "id")
    assert gbk.features.equals(utf8.features)


@pytest.mark.parametrize(
    ("target", "rows", "code"),
    [
        ("left", None, "no_target_column"),
        ("churn", [["a", "churn"], *[[str(i), "No"] for i in range(80)]], "one_class"),
        (
            "churn",
            [["a", "churn"], *[[str(i), "Yes" if i % 2 else "No"] for i in range(30)]],
            "too_few_rows",
        ),
        (
            "churn",
            [["a", "churn"], *[[str(i), "Yes" if i < 3 else "No"] for i in range(80)]],
            "too_few_of_a_class",
        ),
        ("churn", [["a", "churn"], *[[str(i), "abc"[i % 3]] for i in range(80)]], "many_classes"),
        (
            "churn",
            [["a", "churn"], *[[str(i), "ab"[i % 2]] for i in range(80)]],
            "unknown_positive",
        ),
        ("churn", [["a", "churn"], ["1", "Yes", "extra"]], "ragged_row"),
    ],
)
def test_files_that_cannot_be_learned_from_say_why(tmp_path, target, rows, code):
    path = extract(tmp_path / "x.csv") if rows is None else write(tmp_path / "x.csv", rows)
    with pytest.raises(ChurnDataError) as raised:
        read_labelled(path, target)
    assert raised.value.code == code
    assert raised.value.message


def test_the_positive_value_can_be_named(tmp_path):
    rows = [["a", "status"], *[[str(i), "ab"[i % 2]] for i in range(80)]]
    data = read_labelled(write(tmp_path / "x.csv", rows), "status", positive="b")
    assert data.label.tolist() == [i % 2 for i in range(80)]


# --- the models ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def learned(tmp_path_factory):
    data = read_labelled(extract(tmp_path_factory.mktemp("churn") / "x.csv"), "churn", "id")
    models = train(data.features, data.label, data.numeric, data.categorical, Settings())
    return data, models


def test_training_is_deterministic(learned):
    data, models = learned
    again = train(data.features, data.label, data.numeric, data.categorical, Settings())
    first, second = models.scores(data.features), again.scores(data.features)
    for name in first:
        assert np.array_equal(first[name], second[name]), name
    assert models.rules() == again.rules()


def _holds(reason: dict, row) -> bool:
    value = row[reason["feature"]]
    op = reason["op"]
    if op in ("is", "is_not"):
        same = (value if value is not None else "(blank)") == reason["value"]
        return same if op == "is" else not same
    if op in ("blank", "present"):
        return (value != value) == (op == "blank")  # NaN is not itself
    if value != value:  # a blank number was read as the training median
        return True
    bound = reason["value"]
    if op == "le":
        return value <= bound
    if op == "gt":
        return value > bound
    if op == "ge":
        return value >= bound
    if op == "between":
        return reason["low"] < value <= bound
    assert op == "between_ge", op
    return reason["low"] <= value <= bound


def test_each_explanation_is_the_rows_path_through_the_tree(learned):
    data, models = learned
    frame = data.features.iloc[:300]
    matrix = models.encoder.matrix(frame)
    leaves = models.tree.apply(matrix)
    leaf_rules = {}
    for reasons, leaf, (_, row) in zip(
        models.reasons(frame), leaves, frame.iterrows(), strict=True
    ):
        assert reasons, "a depth-4 tree asks something of everyone"
        for reason in reasons:
            assert _holds(reason, row), (reason, row.to_dict())
        # Rows in the same leaf get the same reasons: the leaf's path, nothing else.
        assert leaf_rules.setdefault(leaf, reasons) == reasons
    # And the reasons are worded from the codes, in both languages.
    some = next(iter(leaf_rules.values()))
    assert words_for(some, "en") and words_for(some, "zh")
    assert any("月付" in words_for(r, "zh") for r in leaf_rules.values())


def test_the_tree_learns_what_drives_leaving(learned):
    data, models = learned
    riskiest = models.rules()[0]
    features = {reason["feature"] for reason in riskiest["conditions"]}
    assert {"contract", "tenure"} <= features
    assert riskiest["left_share"] > 2 * data.label.mean()


def test_union_and_intersection_are_what_they_say():
    rng = np.random.default_rng(3)
    # Models that mostly agree, as real ones do: a shared risk plus each one's noise.
    risk = rng.random(200)
    scores = {name: risk + 0.3 * rng.random(200) for name in ("tree", "bayes", "boosting")}
    members = ("tree", "bayes", "boosting")
    k = 20
    tops = [top_k(scores[name], k) for name in members]
    union = flagged(scores, members, "union", k)
    both = flagged(scores, members, "intersection", k)
    assert np.array_equal(union, tops[0] | tops[1] | tops[2])
    assert np.array_equal(both, tops[0] & tops[1] & tops[2])
    assert union.sum() > k > both.sum() > 0
    # The combined score ranks exactly the flagged rows first.
    for combine, mask in (("union", union), ("intersection", both)):
        score = combined_score(scores, members, combine)
        assert score[mask].min() > score[~mask].max()
    # One member alone: union and intersection are that member.
    assert np.array_equal(flagged(scores, ("tree",), "union", k), tops[0])
    assert np.array_equal(flagged(scores, ("tree",), "intersection", k), tops[0])


def test_settings_refuse_unknown_models():
    with pytest.raises(ValueError):
        Settings(members=("tree", "forest"))
    with pytest.raises(ValueError):
        Settings(combine="both")  # type: ignore[arg-type]


# --- the command ---------------------------------------------------------------------


def test_evaluate_prints_metrics_rules_and_reasons(runner, tmp_path):
    path = extract(tmp_path / "x.csv")
    result = runner.invoke(args=["churn", "evaluate", str(path), "--target", "churn", "--id", "id"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "ROC AUC" in out and "decision tree" in out and "union of tree+bayes+boosting" in out
    assert "name: left out" in out
    assert "contract is 月付" in out

    result = runner.invoke(
        args=["churn", "evaluate", str(path), "--target", "churn", "--json", "--seed", "0"]
    )
    assert result.exit_code == 0, result.output
    evaluation = json.loads(result.output)
    for name in ("tree", "bayes", "logistic", "boosting"):
        assert 0.6 < evaluation["models"][name]["auc"] <= 1
    assert evaluation["combination"]["at_k"]["flagged"] >= evaluation["k"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "left"], "No column named 'left'"),
        (["--target", "churn", "--members", "tree,forest"], "members must be among"),
    ],
)
def test_evaluate_refuses_bad_input_without_a_traceback(runner, tmp_path, args, message):
    path = extract(tmp_path / "x.csv", rows=200)
    result = runner.invoke(args=["churn", "evaluate", str(path), *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
