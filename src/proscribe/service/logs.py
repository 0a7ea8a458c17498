"""Structured logs: one JSON object a line on standard error, through the standard ``logging``.

``python-json-logger`` formats every record as JSON with its time (UTC, ISO 8601), level, logger
and message, plus the fields passed in ``extra``. What is logged:

- ``proscribe.request``: every request answered, with ``method``, ``path``, ``route``, ``status``,
  ``latency_ms``, ``user`` (who the API key or session belongs to, ``-`` when nobody signed in),
  ``client`` and ``worker`` (the process id);
- ``proscribe.store``: every list import (``event: list.import``, the dataset, version and counts);
- ``proscribe.enforcement.audit``: every record appended to the audit trail (``event: audit``):
  decisions and their approvals, releases, sign-ins, keys and users, requests that change things;
- ``proscribe.service``: the screening index loaded or failing, jobs started and finished;
- Uvicorn's own messages (start, stop, errors), in the same format.
"""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from pythonjsonlogger.json import JsonFormatter

#: the fields every line has (and ``time``, in UTC), in this order
FORMAT = "%(levelname)s %(name)s %(message)s"


def formatter() -> logging.Formatter:
    """The JSON formatter of every line."""
    return JsonFormatter(FORMAT, timestamp="time", rename_fields={"levelname": "level", "name": "logger"})


def log_config(level: str = "info") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary: JSON lines on standard error at ``level``
    (also given to Uvicorn, so that its workers log the same way)."""
    lvl = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "proscribe.service.logs.formatter"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
        },
        "loggers": {
            "proscribe": {"handlers": ["stderr"], "level": lvl, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": lvl, "propagate": False},
            "uvicorn.error": {"level": lvl},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "rq": {"handlers": ["stderr"], "level": lvl, "propagate": False},
        },
    }


def configure(level: str = "info") -> None:
    """Send proscribe's, Uvicorn's and RQ's logs to standard error as JSON lines."""
    logging.config.dictConfig(log_config(level))
