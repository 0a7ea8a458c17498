"""Time, as enforcement records it: always timezone-aware, always UTC in the store."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def aware(at: datetime | None) -> datetime:
    """``at`` (which must carry a time zone) or now; a naive datetime is refused, never guessed."""
    if at is None:
        return now()
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is needed, not a naive one")
    return at
