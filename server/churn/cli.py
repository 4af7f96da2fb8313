"""`fieldbook churn ...`"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

import click

from server.churn import services, words
from server.churn.evaluate import Evaluation, evaluate
from server.churn.learn import MODEL_KINDS, Settings
from server.churn.table import ChurnDataError, read_labelled
from server.errors import ApiError
from server.transaction import UnitOfWorkGroup

churn_cli = UnitOfWorkGroup("churn", help="Churn prediction: models trained on history.")

_MODEL_NAMES = {
    "tree": "decision tree",
    "bayes": "naive Bayes",
    "logistic": "logistic regression",
    "boosting": "gradient boosting",
}


def model_options(command):
    """The choices every training takes: which models combine, how, the tree's depth."""
    for option in reversed(
        [
            click.option(
                "--combine",
                type=click.Choice(["union", "intersection"]),
                default="union",
                show_default=True,
                help="Flag who any member flags (union) or who every member flags (intersection).",
            ),
            click.option(
                "--members",
                default="tree,bayes,boosting",
                show_default=True,
                help=f"The models combined, comma-separated, among {', '.join(MODEL_KINDS)}.",
            ),
            click.option("--depth", type=click.IntRange(2, 8), default=4, show_default=True),
            click.option("--seed", type=int, default=0, show_default=True),
        ]
    ):
        command = option(command)
    return command


def _settings(members: str, combine: str, depth: int, seed: int) -> Settings:
    chosen = tuple(name.strip() for name in members.split(",") if name.strip())
    try:
        return Settings(members=chosen, combine=combine, tree_depth=depth, seed=seed)  # type: ignore[arg-type]
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--members") from None


@churn_cli.command("train")
@model_options
@click.option("--window", type=click.IntRange(1, 6), help="Months after which one has left.")
def train_cmd(combine: str, members: str, depth: int, seed: int, window: int | None) -> None:
    """Train on the months with known outcomes, test on the latest of them, record the
    runs, and activate those that beat the spend rule alone."""
    try:
        runs = services.train_runs(_settings(members, combine, depth, seed), None, window)
    except ApiError as error:
        raise click.ClickException(error.message) from None
    for run in runs:
        m = run.metrics
        lift = m["lift_over_rules"]
        click.echo(
            f"{run.segment}: {run.status.value};"
            f" trained {run.trained_from:%Y-%m}..{run.trained_to:%Y-%m}"
            f" ({m['rows']['train']:,} rows, {m['rows']['train_leavers']:,} left),"
            f" tested {run.tested_from:%Y-%m}..{run.tested_to:%Y-%m}"
            f" ({m['rows']['test']:,} rows, {m['rows']['test_leavers']:,} left)"
        )
        click.echo(
            f"  ROC AUC {_share(m['combination']['auc'])} (rules {_share(m['rules']['auc'])});"
            f" precision at {run.warnings_per_manager} a manager"
            f" {m['combination']['at_k']['precision']:.3f}"
            f" (rules {m['rules']['at_k']['precision']:.3f});"
            f" recall {m['combination']['at_k']['recall']:.3f}"
            f" (rules {m['rules']['at_k']['recall']:.3f});"
            f" lift over rules {'n/a' if lift is None else f'{lift:.2f}'}"
        )


@churn_cli.command("predict")
@click.option("--month", type=click.DateTime(formats=["%Y-%m"]), help="Default: the latest billed.")
def predict_cmd(month: datetime | None) -> None:
    """Score the month's customers with the active runs; open or join model warnings."""
    try:
        counts = services.predict(month.date() if month else None)
    except ApiError as error:
        raise click.ClickException(error.message) from None
    click.echo(", ".join(f"{key}: {value}" for key, value in counts.items()))


@churn_cli.command("evaluate")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--target", required=True, help="The column saying who left.")
@click.option("--id", "id_column", help="The column naming each customer.")
@click.option("--positive", help="The target's value meaning 'left' (guessed when yes/no, 1/0).")
@model_options
@click.option("--top", type=click.IntRange(min=1), help="Warnings each model may raise (k).")
@click.option("--language", type=click.Choice(words.LANGUAGES), default="en", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the whole evaluation as JSON.")
def evaluate_cmd(
    path: str,
    target: str,
    id_column: str | None,
    positive: str | None,
    combine: str,
    members: str,
    top: int | None,
    depth: int,
    seed: int,
    language: str,
    as_json: bool,
) -> None:
    """Train and test the models on a labelled customer extract (one row a customer)."""
    settings = _settings(members, combine, depth, seed)
    try:
        data = read_labelled(path, target, id_column, positive)
    except ChurnDataError as error:
        raise click.ClickException(error.message) from None
    result = evaluate(data, settings, top)
    if as_json:
        click.echo(json.dumps(asdict(result), ensure_ascii=False, indent=2, default=str))
    else:
        _print(result, language)


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _print(result: Evaluation, language: str) -> None:
    report = result.report
    click.echo(
        f"Rows: {report.rows_read:,} read, {report.rows_used:,} labelled;"
        f" {report.positives:,} left ({report.positive_label!r})."
    )
    click.echo(
        f"Columns: {len(report.numeric)} numeric, {len(report.categorical)} categorical,"
        f" {len(report.left_out)} left out."
    )
    for note in report.notes:
        click.echo(f"  - {note}")
    click.echo(
        f"\nSplit: {result.train_rows:,} rows to train, {result.test_rows:,} to test"
        f" (random, stratified, seed {result.settings.seed});"
        f" leavers among the test rows: {result.base_rate:.1%}."
    )
    click.echo(f"Each model flags its top {result.k:,} test customers (k).\n")
    click.echo(f"{'model':<32}{'ROC AUC':>9}{'prec@k':>9}{'recall@k':>10}{'lift':>7}{'Brier':>8}")
    for name, row in result.models.items():
        at_k = row["at_k"]
        click.echo(
            f"{_MODEL_NAMES[name]:<32}{_share(row['auc']):>9}{at_k['precision']:>9.3f}"
            f"{at_k['recall']:>10.3f}{at_k['lift']:>7.2f}{row['calibration']['brier']:>8.3f}"
        )
    combo = result.combination
    at_k = combo["at_k"]
    label = f"{combo['combine']} of {'+'.join(combo['members'])}"
    click.echo(
        f"{label:<32}{_share(combo['auc']):>9}{at_k['precision']:>9.3f}"
        f"{at_k['recall']:>10.3f}{at_k['lift']:>7.2f}{'':>8}"
        f"   ({at_k['flagged']:,} flagged)"
    )
    click.echo("\nThe decision tree's rules, riskiest first (training rows, share that left):")
    for rule in result.rules:
        click.echo(
            f"  {rule['left_share']:6.1%} of {rule['rows']:>6,}:"
            f" {words.reasons(rule['conditions'], language)}"
        )
    click.echo("\nThe tree's riskiest test customers, and why:")
    for example in result.examples:
        outcome = "left" if example["left"] else "stayed"
        click.echo(
            f"  {example['id']}: {example['probability']:.0%} ({outcome}):"
            f" {words.reasons(example['reasons'], language)}"
        )
