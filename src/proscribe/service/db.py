"""Write transactions of the service, one at a time in this process.

The audit trail's head is a row locked with SELECT ... FOR UPDATE, which serialises writers on
PostgreSQL; SQLite ignores FOR UPDATE, and two transactions that read the head at once would
both take the next sequence number. Taking this lock around every write transaction the service
opens keeps the chain whole on SQLite too (PostgreSQL still locks the row, for other processes).
Enforcement routes should open their transactions with ``writing(request)`` as well.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

_LOCK = threading.RLock()


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session in a transaction, committed at the end (rolled back on an error), under the lock."""
    with _LOCK, Session(engine) as session, session.begin():
        yield session


@contextmanager
def writing(request: Request) -> Iterator[Session]:
    """``with writing(request) as session:`` in a route: the store of the app, one writer at a time."""
    with write_session(request.app.state.runtime.store.engine) as session:
        yield session
