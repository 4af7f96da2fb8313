"""A labelled customer extract (one row a customer) made ready to learn from.

An operator's analyst brings a CSV out of their own systems: blanks written five ways,
numbers stored as text ("1,234", "¥80", " "), a yes/no column for who left, an id.
`read_labelled` reads it, decides what each column is, and says what it did in a
`CleaningReport`, so nothing is dropped or changed without a line saying so. A file
that cannot be learned from (no target column, one class only, too few rows) raises
`ChurnDataError` with a code and a message, never a traceback.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

# Written for "no value" by spreadsheets, databases and people.
BLANKS = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "nil", "-", "--", "?", "#n/a", "无", "空"}
)
# Target values read as "left" when a file's two classes are words, not numbers.
POSITIVE_WORDS = frozenset(
    {"yes", "y", "true", "t", "1", "churn", "churned", "left", "lost", "是", "流失", "离网"}
)
# A column is numeric when at least this share of its non-blank values are numbers.
NUMERIC_SHARE = 0.95
# A text column with more distinct values than this (and than a tenth of the rows) names
# something per customer (a name, an address): it cannot generalise and is left out.
MAX_CATEGORIES = 50
MIN_ROWS = 50
MIN_PER_CLASS = 10

_NUMBER_NOISE = re.compile(r"^[¥$€£]|[,\s_]|%$")


class ChurnDataError(Exception):
    """A file that cannot be learned from; `code` for programs, the message for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class CleaningReport:
    rows_read: int = 0
    rows_used: int = 0
    positive_label: str = ""
    positives: int = 0
    # One line per thing done to the data, in the order it was done.
    notes: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)

    def note(self, text: str) -> None:
        self.notes.append(text)


@dataclass
class Labelled:
    """What the models learn from: features (numbers as floats with NaN for blanks,
    categories as strings with None), the label (1 = left) and each row's id."""

    features: pd.DataFrame
    label: np.ndarray
    ids: list[str]
    report: CleaningReport

    @property
    def numeric(self) -> list[str]:
        return self.report.numeric

    @property
    def categorical(self) -> list[str]:
        return self.report.categorical


def read_labelled(
    path: str | Path,
    target: str,
    id_column: str | None = None,
    positive: str | None = None,
) -> Labelled:
    raw = _read_text_table(Path(path))
    report = CleaningReport(rows_read=len(raw))
    columns = list(raw.columns)
    if target not in raw.columns:
        raise ChurnDataError(
            "no_target_column",
            f"No column named {target!r}; the file's columns are: {', '.join(columns)}.",
        )
    if id_column is not None and id_column not in raw.columns:
        raise ChurnDataError(
            "no_id_column",
            f"No column named {id_column!r}; the file's columns are: {', '.join(columns)}.",
        )
    cells = raw.apply(lambda column: column.str.strip())
    blank = cells.apply(lambda column: column.str.lower().isin(BLANKS))

    unlabelled = blank[target]
    if unlabelled.any():
        report.note(f"{int(unlabelled.sum()):,} rows have no value in {target!r}: left out.")
        cells, blank = cells[~unlabelled], blank[~unlabelled]
    label, report.positive_label = _label(cells[target], target, positive)
    report.positives = int(label.sum())
    report.rows_used = len(label)
    _check_learnable(label, target)

    ids = _ids(cells, blank, id_column, report)
    features = {}
    for name in columns:
        if name in (target, id_column):
            continue
        column = _feature(name, cells[name], blank[name], report)
        if column is not None:
            features[name] = column
    if not features:
        raise ChurnDataError(
            "no_features", "No column besides the target and the id could be used."
        )
    frame = pd.DataFrame(features, index=cells.index).reset_index(drop=True)
    return Labelled(frame, label, ids, report)


def _read_text_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ChurnDataError("no_file", f"No such file: {path}.")
    data = path.read_bytes()
    # Excel on a Chinese Windows saves CSV in GB18030; everything else is UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ChurnDataError("bad_encoding", "The file is neither UTF-8 nor GB18030 text.")
    if not text.strip():
        raise ChurnDataError("empty_file", "The file is empty.")
    try:
        dialect = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
    header, body = rows[0], [row for row in rows[1:] if any(cell.strip() for cell in row)]
    header = [name.strip() for name in header]
    if len(set(header)) != len(header):
        twice = sorted({name for name in header if header.count(name) > 1})
        raise ChurnDataError("duplicate_columns", f"Columns named twice: {', '.join(twice)}.")
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ChurnDataError(
                "ragged_row",
                f"Row {number} has {len(row)} cells; the header has {len(header)}.",
            )
    return pd.DataFrame(body, columns=header, dtype=str)


def _label(values: pd.Series, target: str, positive: str | None) -> tuple[np.ndarray, str]:
    classes = sorted(values.unique())
    if positive is not None:
        if positive not in classes:
            raise ChurnDataError(
                "unknown_positive",
                f"{target!r} never holds {positive!r}; its values: {', '.join(classes[:10])}.",
            )
        return (values == positive).to_numpy(dtype=np.int8), positive
    if len(classes) < 2:
        raise ChurnDataError(
            "one_class",
            f"Every row's {target!r} is {classes[0]!r}: a model needs customers who left"
            " and customers who stayed.",
        )
    if len(classes) > 2:
        raise ChurnDataError(
            "many_classes",
            f"{target!r} holds {len(classes)} values ({', '.join(classes[:10])}): name the one"
            " meaning 'left' with --positive.",
        )
    words = [value for value in classes if value.lower() in POSITIVE_WORDS]
    if len(words) == 1:
        chosen = words[0]
    else:
        parsed = [_number(value) for value in classes]
        numbers = [number for number in parsed if number is not None]
        if len(numbers) < len(parsed):
            raise ChurnDataError(
                "unknown_positive",
                f"Cannot tell which of {classes[0]!r} and {classes[1]!r} means 'left':"
                " name it with --positive.",
            )
        chosen = classes[int(np.argmax(numbers))]
    return (values == chosen).to_numpy(dtype=np.int8), chosen


def _check_learnable(label: np.ndarray, target: str) -> None:
    if len(label) < MIN_ROWS:
        raise ChurnDataError(
            "too_few_rows", f"{len(label)} labelled rows; at least {MIN_ROWS} are needed."
        )
    smaller = int(min(label.sum(), len(label) - label.sum()))
    if smaller < MIN_PER_CLASS:
        raise ChurnDataError(
            "too_few_of_a_class",
            f"Only {smaller} rows of one class in {target!r}; at least {MIN_PER_CLASS} of each"
            " are needed.",
        )


def _ids(
    cells: pd.DataFrame, blank: pd.DataFrame, id_column: str | None, report: CleaningReport
) -> list[str]:
    if id_column is None:
        report.note("No id column named: rows are called by their line in the file.")
        return [str(index + 2) for index in cells.index]
    ids = cells[id_column].tolist()
    repeated = len(ids) - len(set(ids))
    if repeated:
        report.note(f"{repeated:,} ids in {id_column!r} repeat an earlier row's; kept both.")
    if blank[id_column].any():
        report.note(f"{int(blank[id_column].sum()):,} rows have a blank {id_column!r}.")
    return ids


def _number(text: str) -> float | None:
    cleaned = _NUMBER_NOISE.sub("", text)
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _feature(
    name: str, cells: pd.Series, blank: pd.Series, report: CleaningReport
) -> pd.Series | None:
    present = cells[~blank]
    if blank.any():
        report.note(f"{name}: {int(blank.sum()):,} blank values.")
    if present.nunique() <= 1:
        report.left_out[name] = "constant" if len(present) else "blank"
        report.note(f"{name}: left out, {'one value only' if len(present) else 'all blank'}.")
        return None
    numbers = present.map(_number)
    parsed = numbers.notna()
    if parsed.mean() >= NUMERIC_SHARE:
        if (~parsed).any():
            bad = present[~parsed].unique()[:5]
            report.note(
                f"{name}: {int((~parsed).sum()):,} values are not numbers"
                f" ({', '.join(repr(v) for v in bad)}): read as blank."
            )
        if present[parsed].str.contains(_NUMBER_NOISE).any():
            report.note(f"{name}: numbers written with separators or signs, read as numbers.")
        column = pd.Series(np.nan, index=cells.index, dtype=float)
        column[numbers.index] = numbers.astype(float)
        report.numeric.append(name)
        return column
    distinct = present.nunique()
    if distinct > MAX_CATEGORIES and distinct > len(cells) / 10:
        report.left_out[name] = "identifier"
        report.note(
            f"{name}: left out, {distinct:,} different texts (a name or an id, not a category)."
        )
        return None
    column = cells.where(~blank, None)
    report.categorical.append(name)
    return column
