"""The scorecard (考核表): each indicator's weight, target and scoring rule, and the scores.

The rule, for an indicator where more is better: the score is the weight times
(value - floor) / (target - floor), held between 0 and `cap` (1: full points at the
target and no more; 1.2: up to 20% extra for beating it). An indicator without data
scores nothing either way: the weighted score is out of the weights that had data,
scaled to 100. Weight 0 means monitored only.

The default scorecard turns DOMAIN.md's stars into weights summing to 100 (27 stars:
5, 4, 1, 3, 5, 4 and 5; "value and customers retained" is split 2 + 2 between its two
figures); operators adjust it per review period.
"""

from dataclasses import dataclass
from typing import Any

from server.errors import invalid_fields
from server.reviews.indicators import (
    CODES,
    COMPLAINTS_ON_TIME,
    CONTACT_COVERAGE,
    CUSTOMERS_RETAINED,
    GREETINGS_ON_TIME,
    OFFER_PARTICIPATION,
    OPEN_WARNINGS,
    OVERDUE_TASKS,
    PRIVILEGE_AWARENESS,
    RETENTION_CONTRACT_RATE,
    ROUTINE_CARE,
    SATISFACTION,
    UNITS,
    VALUE_RETAINED,
    WARNINGS_KEPT,
    Figure,
)

MAX_CAP = 2.0

# Words for the export (the API sends codes; the clients word them themselves).
NAMES: dict[str, tuple[str, str]] = {
    ROUTINE_CARE: ("月客户例行关怀计划完成率", "Routine care plans completed"),
    GREETINGS_ON_TIME: ("重要节点问候及时率", "Birthday and holiday greetings on time"),
    PRIVILEGE_AWARENESS: ("专属特权客户知晓度", "Customers aware of their privileges"),
    OFFER_PARTICIPATION: ("专属优惠活动客户参与率", "Offer participation"),
    RETENTION_CONTRACT_RATE: ("营销活动合约率", "Retention campaign contract rate"),
    VALUE_RETAINED: ("价值保有率", "Value retained"),
    CUSTOMERS_RETAINED: ("在网保有率", "Customers still on network"),
    SATISFACTION: ("客户满意度", "Customer satisfaction"),
    CONTACT_COVERAGE: ("按等级联系覆盖率", "Contact coverage by tier"),
    COMPLAINTS_ON_TIME: ("投诉按时处理率", "Complaints answered in time"),
    OVERDUE_TASKS: ("逾期任务数", "Overdue tasks"),
    OPEN_WARNINGS: ("未关闭预警数", "Open warnings"),
    WARNINGS_KEPT: ("预警客户挽留率", "Warned customers kept"),
}


def default_scorecard() -> list[dict[str, Any]]:
    """A fresh copy of the default scorecard, for a period an admin has not configured."""
    return [dict(entry) for entry in _DEFAULT]


_DEFAULT: list[dict[str, Any]] = [
    {"indicator": ROUTINE_CARE, "weight": 19, "target": 0.95, "floor": 0.6, "cap": 1.0},
    {"indicator": GREETINGS_ON_TIME, "weight": 15, "target": 0.95, "floor": 0.6, "cap": 1.0},
    {"indicator": PRIVILEGE_AWARENESS, "weight": 4, "target": 0.8, "floor": 0.3, "cap": 1.0},
    {"indicator": OFFER_PARTICIPATION, "weight": 11, "target": 0.3, "floor": 0.05, "cap": 1.2},
    {"indicator": RETENTION_CONTRACT_RATE, "weight": 19, "target": 0.4, "floor": 0.1, "cap": 1.2},
    {"indicator": VALUE_RETAINED, "weight": 7, "target": 1.0, "floor": 0.85, "cap": 1.1},
    {"indicator": CUSTOMERS_RETAINED, "weight": 7, "target": 0.99, "floor": 0.9, "cap": 1.0},
    {"indicator": SATISFACTION, "weight": 18, "target": 4.5, "floor": 3.0, "cap": 1.0},
    {"indicator": CONTACT_COVERAGE, "weight": 0},
    {"indicator": COMPLAINTS_ON_TIME, "weight": 0},
    {"indicator": OVERDUE_TASKS, "weight": 0},
    {"indicator": OPEN_WARNINGS, "weight": 0},
    {"indicator": WARNINGS_KEPT, "weight": 0},
]


def check_scorecard(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The scorecard as stored, or a 422 naming each bad entry (`scorecard.<i>.<field>`).

    Every indicator once, weights summing to 100, and for each weighted one a
    target above its floor and a cap between 1 and MAX_CAP.
    """
    errors: dict[str, dict[str, list[str]]] = {}

    def fail(i: int, name: str, message: str) -> None:
        errors.setdefault(str(i), {}).setdefault(name, []).append(message)

    seen: set[str] = set()
    cleaned = []
    for i, entry in enumerate(entries):
        code = entry["indicator"]
        if code not in UNITS:
            fail(i, "indicator", f"Unknown indicator; one of {', '.join(CODES)}.")
            continue
        if code in seen:
            fail(i, "indicator", "Listed twice.")
        seen.add(code)
        weight = entry["weight"]
        row = {"indicator": code, "weight": weight}
        if weight > 0:
            if UNITS[code] == "count":
                fail(i, "weight", "A count is monitored only (weight 0).")
            target, floor = entry.get("target"), entry.get("floor")
            cap = entry.get("cap", 1.0)
            if target is None:
                fail(i, "target", "A weighted indicator needs a target.")
            if floor is None:
                fail(i, "floor", "A weighted indicator needs a floor.")
            if target is not None and floor is not None and floor >= target:
                fail(i, "floor", "Must be below the target.")
            if not 1.0 <= cap <= MAX_CAP:
                fail(i, "cap", f"Between 1 and {MAX_CAP}.")
            row |= {"target": target, "floor": floor, "cap": cap}
        cleaned.append(row)
    missing = [code for code in CODES if code not in seen]
    total = sum(entry["weight"] for entry in entries)
    fields: dict[str, Any] = {"scorecard": errors} if errors else {}
    if missing:
        fields.setdefault("scorecard", {})["_schema"] = [f"Missing: {', '.join(missing)}."]
    elif total != 100 and not errors:
        fields["scorecard"] = {"_schema": [f"The weights add up to {total}, not 100."]}
    if fields:
        raise invalid_fields(fields)
    return cleaned


@dataclass
class Scored:
    scores: dict[str, float | None]  # per weighted indicator; None: no data
    total: float | None  # out of 100; None when no weighted indicator had data


def score(scorecard: list[dict[str, Any]], figures: dict[str, Figure]) -> Scored:
    """Each weighted indicator's points and the weighted score out of 100."""
    scores: dict[str, float | None] = {}
    earned = 0.0
    possible = 0
    for entry in scorecard:
        weight = entry["weight"]
        if weight <= 0:
            continue
        value = figures[entry["indicator"]].value
        if value is None:
            scores[entry["indicator"]] = None
            continue
        reach = (value - entry["floor"]) / (entry["target"] - entry["floor"])
        points = weight * min(max(reach, 0.0), entry["cap"])
        scores[entry["indicator"]] = round(points, 2)
        earned += points
        possible += weight
    total = round(earned / possible * 100, 2) if possible else None
    return Scored(scores, total)


def ranks(totals: dict[Any, float | None]) -> dict[Any, int | None]:
    """Competition ranking (1, 2, 2, 4) by score, best first; no score, no rank."""
    ordered = sorted((s for s in totals.values() if s is not None), reverse=True)
    return {key: (ordered.index(s) + 1 if s is not None else None) for key, s in totals.items()}
