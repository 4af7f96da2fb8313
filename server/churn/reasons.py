"""A tree path's conditions on Fieldbook's own features, in words a manager acts on.

Each condition keeps its codes and values (`feature`, `op`, `value`, `low`) and gains
`text_zh` and `text_en`, as every warning reason does (server/warnings/services.py):
the phone shows a model's reasons offline beside the rules' ones, in either language.
"""

from __future__ import annotations

import math

from server.warnings.services import service_names

# feature -> (zh, en, zh unit) of what is counted
_COUNTS = {
    "complaints_3m": ("近3个月投诉", "complaints in the last 3 months", "次"),
    "complaints_12m": ("近12个月投诉", "complaints in the last 12 months", "次"),
    "complaints_severe_12m": ("近12个月严重投诉", "serious complaints in 12 months", "次"),
    "complaints_unresolved": ("未解决投诉", "unresolved complaints", "件"),
    "visits_negative_6m": ("近6个月负面反馈", "negative responses in 6 months", "次"),
    "visits_6m": ("近6个月接触", "contacts in the last 6 months", "次"),
    "warnings_12m": ("近12个月预警", "warnings in the last 12 months", "次"),
    "warnings_retained_12m": ("近12个月挽留成功", "retentions in the last 12 months", "次"),
    "campaigns_declined_12m": ("近12个月拒绝活动", "campaign offers declined in 12 months", "次"),
    "campaigns_contracted_12m": ("近12个月签约活动", "campaign contracts in 12 months", "次"),
}
_TIER_NAMES = {
    "diamond": ("钻石", "Diamond"),
    "emerald": ("翡翠", "Emerald"),
    "platinum": ("白金", "Platinum"),
    "sapphire": ("宝石", "Sapphire"),
    "gold": ("黄金", "Gold"),
    "crystal": ("水晶", "Crystal"),
}
_KIND_NAMES = {
    "individual": ("个人客户", "individual"),
    "organisation": ("政企客户", "organisation"),
}


def _n(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _pct(share: float) -> str:
    return f"{abs(share) * 100:.0f}%"


def _spend_name(feature: str) -> tuple[str, str]:
    """spend_total, spend_<service>, spend_<service>_change_3m, spend_change_6m, ..."""
    rest = feature.removeprefix("spend_")
    for suffix in ("_change_3m", "_change_6m", "_change_12m"):
        rest = rest.removesuffix(suffix)
    if rest in ("total", "change", "worst_service"):
        return ("月消费总额", "total monthly spend")
    zh, en = service_names(rest)
    return (f"{zh}月费", f"{en} spend")


def _months(feature: str) -> str:
    return feature.rsplit("_", 1)[-1].removesuffix("m")


def _change(feature: str, op: str, value: float, low: float | None) -> tuple[str, str]:
    zh, en = _spend_name(feature)
    if feature == "spend_worst_service_change":
        zh, en = "降幅最大的业务月费", "the service that fell most"
        span_zh, span_en = "较前3个月均值", "against the 3 months before"
    else:
        months = _months(feature)
        span_zh, span_en = f"较前{months}个月均值", f"against the {months} months before"
    if op == "between" and low is not None:
        return (
            f"{zh}{span_zh}变化在{_signed(low)}到{_signed(value)}之间",
            f"{en} changed between {_signed(low)} and {_signed(value)} {span_en}",
        )
    if op == "le":
        if value < 0:
            return (
                f"{zh}{span_zh}下降至少{_pct(value)}",
                f"{en} down {_pct(value)} or more {span_en}",
            )
        return f"{zh}{span_zh}增长不超过{_pct(value)}", f"{en} up {_pct(value)} at most {span_en}"
    if value < 0:
        return f"{zh}{span_zh}下降不到{_pct(value)}", f"{en} down less than {_pct(value)} {span_en}"
    return f"{zh}{span_zh}增长超过{_pct(value)}", f"{en} up more than {_pct(value)} {span_en}"


def _signed(share: float) -> str:
    return f"{share * 100:+.0f}%"


def _bound(op: str, value: float, low: float | None) -> tuple[str, str]:
    """'≤ 5', '> 5', '≥ 5', '5 to 9' in both languages."""
    if op == "le":
        return f"不超过{_n(value)}", f"{_n(value)} or fewer"
    if op == "gt":
        return f"超过{_n(value)}", f"more than {_n(value)}"
    if op == "ge":
        return f"至少{_n(value)}", f"{_n(value)} or more"
    assert low is not None
    if op == "between_ge":
        return f"{_n(low)}到{_n(value)}", f"{_n(low)} to {_n(value)}"
    return f"超过{_n(low)}且不超过{_n(value)}", f"more than {_n(low)} and at most {_n(value)}"


def words(reason: dict) -> tuple[str, str]:
    """(zh, en) for one condition of a tree path on Fieldbook's features."""
    feature, op = reason["feature"], reason["op"]
    value, low = reason.get("value", 0.0), reason.get("low")
    if op in ("blank", "present"):
        return _presence(feature, op == "blank")
    if feature == "tier":
        zh, en = _TIER_NAMES.get(str(value), (str(value), str(value)))
        return (
            (f"客户等级为{zh}", f"tier is {en}")
            if op == "is"
            else (
                f"客户等级不是{zh}",
                f"tier is not {en}",
            )
        )
    if feature == "kind":
        zh, en = _KIND_NAMES.get(str(value), (str(value), str(value)))
        if op == "is":
            return zh, f"an {en} customer"
        return f"非{zh}", f"not an {en} customer"
    if feature.startswith("spend_") and "change" in feature:
        return _change(feature, op, float(value), low)
    zh_bound, en_bound = _bound(op, float(value), low)
    if feature in _COUNTS:
        zh, en, unit = _COUNTS[feature]
        if op == "le" and value == 0:
            return f"{zh}0{unit}", f"no {en}"
        return f"{zh}{zh_bound}{unit}", f"{en_bound} {en}"
    if feature.startswith("spend_"):
        zh, en = _spend_name(feature)
        return f"{zh}{zh_bound}元", f"{en} {en_bound.replace(' or fewer', ' or less')} yuan"
    if feature == "days_since_contact":
        return f"距上次联系{zh_bound}天", f"last contact {en_bound} days ago"
    if feature == "contact_gap_ratio":
        return (
            f"未联系时长为等级周期的{zh_bound}倍",
            f"time since contact is {en_bound} times the tier's interval",
        )
    if feature == "tenure_months":
        return f"在网{zh_bound}个月", f"a customer for {en_bound} months"
    if feature == "months_to_contract_end":
        if op == "le" and value <= 0:
            return "合约已到期", "contract already ended"
        return f"距合约到期{zh_bound}个月", f"contract ends in {en_bound} months"
    if feature == "warning_open":
        return (
            ("有未关闭的预警", "a warning is open")
            if op in ("gt", "ge")
            else (
                "无未关闭的预警",
                "no warning open",
            )
        )
    if feature == "complaint_worst_satisfaction_12m":
        return f"近12个月最低满意度{zh_bound}分", f"lowest satisfaction in 12 months {en_bound}"
    return f"{feature} {zh_bound}", f"{feature} {en_bound}"


def _presence(feature: str, blank: bool) -> tuple[str, str]:
    texts = {
        "days_since_contact": (("从未联系", "never contacted"), ("有联系记录", "contacted before")),
        "contact_gap_ratio": (("从未联系", "never contacted"), ("有联系记录", "contacted before")),
        "months_to_contract_end": (("无合约", "no contract"), ("有合约", "under contract")),
        "tenure_months": (
            ("入网日期不详", "joining date unknown"),
            ("入网日期已知", "joining date known"),
        ),
        "complaint_worst_satisfaction_12m": (
            ("近12个月无满意度评价", "no satisfaction rating in 12 months"),
            ("近12个月有满意度评价", "rated satisfaction in 12 months"),
        ),
    }
    blank_words, present_words = texts.get(
        feature, ((f"{feature}为空", f"no {feature}"), (f"{feature}有值", f"{feature} known"))
    )
    if feature.startswith("spend_") and "change" in feature:
        zh, en = _spend_name(feature)
        blank_words = (f"{zh}无可比月份", f"{en} has no months to compare")
        present_words = (f"{zh}有可比月份", f"{en} has months to compare")
    return blank_words if blank else present_words


def band(probability: float) -> str:
    """A probability as a band a manager reads at a glance: high, medium, low."""
    if math.isnan(probability):
        return "low"
    return "high" if probability >= 0.5 else "medium" if probability >= 0.2 else "low"


def worded(path: list[dict]) -> list[dict]:
    out = []
    for condition in path:
        zh, en = words(condition)
        out.append({**condition, "text_zh": zh, "text_en": en})
    return out
