"""Time, as enforcement records it: always timezone-aware, always UTC in the store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def now() -> datetime:
    return datetime.now(UTC)


def aware(at: datetime | None) -> datetime:
    """``at`` (which must carry a time zone) or now; a naive datetime is refused, never guessed."""
    if at is None:
        return now()
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is needed, not a naive one")
    return at


#: OFAC counts business days in Washington: a report's trigger date is the date there
REPORTING_ZONE = ZoneInfo("America/New_York")


def reporting_date(at: datetime) -> date:
    """The date of ``at`` in Washington, from which OFAC's business-day deadlines are counted.

    An action at 20:30 Eastern on a Monday is Monday's, although it is Tuesday in UTC.
    """
    return aware(at).astimezone(REPORTING_ZONE).date()
