"""When a birthday is celebrated: solar or lunar, the one calendar rule of care plans and agenda."""

import functools
from datetime import date

from lunardate import LunarDate


def solar_birthday(birthday: date, year: int) -> date:
    """The birthday in `year`; 29 February is celebrated on the 28th in other years."""
    if birthday.month == 2 and birthday.day == 29:
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return birthday.replace(year=year)


def lunar_birthday(birthday: date, lunar_year: int) -> date | None:
    """The solar date of lunar month/day `birthday` in `lunar_year` (day 30 -> 29 if short).

    A lunar birthday is stored as a date whose month and day are read as lunar.
    """
    return _lunar_to_solar(lunar_year, birthday.month, birthday.day)


# A few thousand (year, month, day) at most; lunardate's conversion walks the years
# from 1900, and an agenda asks it for each lunar birthday of the portfolio.
@functools.lru_cache(maxsize=8192)
def _lunar_to_solar(lunar_year: int, month: int, day: int) -> date | None:
    for lunar_day in (day, 29) if day == 30 else (day,):
        try:
            return LunarDate(lunar_year, month, lunar_day).to_solar_date()
        except ValueError:
            continue
    return None


def celebrations(birthday: date, lunar: bool, start: date, end: date) -> list[tuple[int, date]]:
    """(key year, date) of each celebration of `birthday` within [start, end], in date order.

    A lunar birthday is keyed by its lunar year: one lunar year's date can fall in
    January of the next solar year, and two can fall in one solar year.
    """
    found = []
    if lunar:
        for year in range(start.year - 1, end.year + 1):
            day = lunar_birthday(birthday, year)
            if day is not None and start <= day <= end:
                found.append((year, day))
    else:
        for year in range(start.year, end.year + 1):
            day = solar_birthday(birthday, year)
            if start <= day <= end:
                found.append((year, day))
    return sorted(found, key=lambda pair: pair[1])
