"""Date ranges of the reports: ``from``/``to`` query parameters, validated once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError

from ingest_api.reports.exceptions import InvalidRange

MAX_RANGE_DAYS = 366
# What ClickHouse's Date can hold (and so every day a report can name).
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2149, 6, 5)


@dataclass(frozen=True)
class DateRange:
    """Whole UTC days from ``start`` to ``end``, both included."""

    start: date
    end: date

    @classmethod
    def of(cls, start: date, end: date) -> DateRange:
        """The range, or :class:`InvalidRange` if it is reversed, longer than 366 days or
        outside what ClickHouse can store."""
        for day, field in ((start, "from"), (end, "to")):
            if not FIRST_DAY <= day <= LAST_DAY:
                raise InvalidRange(
                    f"{field} ({day}) is outside {FIRST_DAY}..{LAST_DAY}: pick a day in it", field
                )
        if start > end:
            raise InvalidRange(
                f"from ({start}) is after to ({end}): swap them or pick an earlier from", "to"
            )
        days = (end - start).days + 1
        if days > MAX_RANGE_DAYS:
            raise InvalidRange(
                f"the range covers {days} days, at most {MAX_RANGE_DAYS} are allowed: "
                "split it into several requests",
                "from",
            )
        return cls(start, end)

    @property
    def days(self) -> list[date]:
        """Every day of the range, in order."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def since(self) -> datetime:
        """The first instant of the range (UTC)."""
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def until(self) -> datetime:
        """The first instant after the range (UTC), exclusive."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)


def date_range(
    start: Annotated[date, Query(alias="from", description="First UTC day, YYYY-MM-DD.")],
    end: Annotated[date, Query(alias="to", description="Last UTC day (included), YYYY-MM-DD.")],
) -> DateRange:
    """The ``from``/``to`` query parameters as a :class:`DateRange` (422 when unusable)."""
    try:
        return DateRange.of(start, end)
    except InvalidRange as exc:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("query", exc.field),
                    "msg": str(exc),
                    "input": str(end if exc.field == "to" else start),
                }
            ]
        ) from None


Range = Annotated[DateRange, Depends(date_range)]
