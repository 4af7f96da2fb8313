"""Which role sees which personal field of a customer in full: the one home of the rules.

A manager works their own customers in the field (calls them, greets them on their
birthday, finds their door), so they see them whole, on the phone too. Leads and
admins run the team and the organisation: they see customers masked, and may reveal
one customer's full values on purpose (`customers/routes.py`, recorded in the access
log). The table of fields by role and surface is in docs/security.md.

The schemas call `mask_customer` / `mask_contact` on what they dumped, unless the
object dumped says it may be shown whole (`personal_full`).
"""

import re
from datetime import date
from typing import Any

from flask import has_request_context
from flask_login import current_user

from server.auth.models import Role, User

# Personal fields of a customer and of a contact, as the API names them.
CUSTOMER_FIELDS = (
    "phone",
    "phone2",
    "email",
    "birthday",
    "address",
    "latitude",
    "longitude",
    "income_band",
    "consumption_habits",
    "special_dates",
)
CONTACT_FIELDS = ("phone", "email", "birthday")

# The address up to its district or county (区, 县, 旗), not counting a province-level
# autonomous region (自治区); without one, up to its city (市).
_DISTRICT = re.compile(r"^.*?(?<!自治)(?:区|县|旗)")
_CITY = re.compile(r"^.*市")
MASK = "****"


def sees_full(user: User, manager_id: Any) -> bool:
    """Whether `user` sees the personal fields of a customer with this manager in full.

    Only the customer's own manager: leads and admins see them masked and reveal.
    """
    return user.role == Role.MANAGER and manager_id == user.id


def mask_phone(phone: str | None) -> str | None:
    """138****1234: the operator's prefix and the last four digits, enough to tell
    numbers apart on a call-back, not enough to call."""
    if not phone:
        return phone
    text = phone.strip()
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return email and MASK
    local, _, domain = email.partition("@")
    return f"{local[:1]}{MASK}@{domain}"


def mask_birthday(day: date | str | None) -> str | None:
    """The day without its year (ISO 8601's --MM-DD): age is what identifies."""
    if day is None:
        return None
    text = day.isoformat() if isinstance(day, date) else str(day)
    return "--" + text[5:10]


def hide_date(day: date | None) -> str | None:
    """A date hidden whole (review exports' birthdays: a spreadsheet travels further)."""
    return None if day is None else "****-**-**"


def mask_address(address: str | None) -> str | None:
    """The address down to its district (上海市浦东新区****); unknown shapes: the start."""
    if not address:
        return address
    found = _DISTRICT.match(address) or _CITY.match(address)
    if found:
        # An address that is only a district is shown as it is.
        return address if found.group(0) == address else found.group(0) + MASK
    return address[: min(6, len(address) // 2)] + MASK


def mask_coordinate(value: float | None) -> float | None:
    """Two decimals: about a kilometre, the neighbourhood and not the door."""
    return None if value is None else round(value, 2)


def mask_customer(data: dict) -> dict:
    """A dumped customer (summary, row or detail) with its personal fields masked."""
    if "phone" in data:
        data["phone"] = mask_phone(data["phone"])
    if "phone2" in data:
        data["phone2"] = mask_phone(data["phone2"])
    if "email" in data:
        data["email"] = mask_email(data["email"])
    if "birthday" in data:
        data["birthday"] = mask_birthday(data["birthday"])
    if "address" in data:
        data["address"] = mask_address(data["address"])
    for name in ("latitude", "longitude"):
        if name in data:
            data[name] = mask_coordinate(data[name])
    for name in ("income_band", "consumption_habits"):
        if name in data and data[name] is not None:
            data[name] = MASK
    if data.get("special_dates"):
        data["special_dates"] = [
            {**item, "date": mask_birthday(item.get("date"))} for item in data["special_dates"]
        ]
    if "contacts" in data:
        data["contacts"] = [mask_contact(c) for c in data["contacts"]]
    data["masked"] = True
    return data


def mask_contact(data: dict) -> dict:
    """A dumped contact person with their phone, e-mail and birthday masked."""
    if "phone" in data:
        data["phone"] = mask_phone(data["phone"])
    if "email" in data:
        data["email"] = mask_email(data["email"])
    if "birthday" in data:
        data["birthday"] = mask_birthday(data["birthday"])
    data["masked"] = True
    return data


def shown_in_full(obj: Any, viewer: User | None = None) -> bool:
    """Whether a customer (or a wrapper of one, or a contact) is shown whole to `viewer`
    (default: the signed-in user). `personal_full` on the object decides first (a
    reveal); outside a request (a job, a command) nothing is shown in full."""
    decided = getattr(obj, "personal_full", None)
    if decided is not None:
        return bool(decided)
    if viewer is None:
        if not has_request_context() or not current_user.is_authenticated:
            return False
        viewer = current_user
    manager_id = getattr(obj, "manager_id", _NO_MANAGER)
    if manager_id is _NO_MANAGER:  # a contact: its customer's manager
        manager_id = obj.customer.manager_id
    return sees_full(viewer, manager_id)


_NO_MANAGER = object()
