"""Why the store refused something."""

from __future__ import annotations


class ImportRefused(Exception):
    """An import was refused; the previous version of the list stays in force."""


class NotFound(LookupError):
    """No such dataset or listing in the store."""
