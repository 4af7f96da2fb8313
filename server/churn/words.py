"""Reasons in words for the command line, in English or Chinese.

The server keeps and sends reasons as codes and values ({"feature", "op", "value"});
the phone and the console word them themselves. The command line has no client, so it
words an analyst's columns here, with the column's own name.
"""

from __future__ import annotations

LANGUAGES = ("en", "zh")

_TEMPLATES = {
    "en": {
        "le": "{feature} ≤ {value}",
        "gt": "{feature} > {value}",
        "ge": "{feature} ≥ {value}",
        "between": "{low} < {feature} ≤ {value}",
        "between_ge": "{feature} from {low} to {value}",
        "is": "{feature} is {value}",
        "is_not": "{feature} is not {value}",
        "blank": "{feature} is blank",
        "present": "{feature} is given",
    },
    "zh": {
        "le": "{feature} ≤ {value}",
        "gt": "{feature} > {value}",
        "ge": "{feature} ≥ {value}",
        "between": "{low} < {feature} ≤ {value}",
        "between_ge": "{feature}在{low}到{value}之间",
        "is": "{feature}为{value}",
        "is_not": "{feature}不是{value}",
        "blank": "{feature}为空",
        "present": "{feature}有值",
    },
}


def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def reason(item: dict, language: str = "en") -> str:
    template = _TEMPLATES[language][item["op"]]
    return template.format(
        feature=item["feature"],
        value=_value(item.get("value", "")),
        low=_value(item.get("low", "")),
    )


def reasons(items: list[dict], language: str = "en") -> str:
    joiner = "; " if language == "en" else "\uff1b"  # the full-width semicolon
    return joiner.join(reason(item, language) for item in items) or (
        "every customer" if language == "en" else "所有客户"
    )
