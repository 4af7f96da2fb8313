"""Time rules shared by every domain: local dates and times reported by phones."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from server.models_base import utcnow


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_today(now: datetime | None = None) -> date:
    """Today in the operator's time zone: due dates and birthdays are local dates."""
    return (now or utcnow()).astimezone(local_zone()).date()


def accept_client_time(client_time: datetime | None, now: datetime | None = None):
    """When something happened, as reported by a phone: `(time, flag)`.

    The phone's clock is data, not a clock to trust. A time in the server's future
    is clamped to now (flag "clamped"); one older than CLIENT_TIME_MAX_AGE is kept
    but flagged "late", so a lead can see it; a missing one means now.
    """
    now = now or utcnow()
    if client_time is None:
        return now, None
    if client_time.tzinfo is None:
        raise ValueError("client time must carry a time zone")
    if client_time > now:
        return now, "clamped"
    if now - client_time > current_app.config["CLIENT_TIME_MAX_AGE"]:
        return client_time, "late"
    return client_time, None


def start_of_local_day(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=local_zone())


def days(n: int) -> timedelta:
    return timedelta(days=n)
