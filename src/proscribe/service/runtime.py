"""What one running service holds: the store, the index, the jobs, the limits, the metrics."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir
from sqlalchemy.orm import Session

from proscribe.enforcement.clock import now
from proscribe.service.auth import Authenticator
from proscribe.service.config import ServiceConfig
from proscribe.service.index import IndexHolder
from proscribe.service.jobs import JobManager
from proscribe.service.metrics import Metrics
from proscribe.service.ratelimit import RateLimiter
from proscribe.store import Store, users
from proscribe.store.audit import Setting

_SECRET = "service.session_secret"


@dataclass
class FirstStart:
    """The admin made on the first start, and its one-time password (shown once, never stored)."""

    username: str
    password: str


def _session_secret(store: Store) -> str:
    """The key that signs session cookies: kept in the store so a restart keeps people signed in."""
    with Session(store.engine) as session, session.begin():
        row = session.get(Setting, _SECRET)
        if row is None:
            row = Setting(
                key=_SECRET, value={"key": secrets.token_urlsafe(48)}, updated_at=now(), updated_by="system"
            )
            session.add(row)
        return str(row.value["key"])


class Runtime:
    def __init__(self, config: ServiceConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.first_start: FirstStart | None = None
        with Session(store.engine) as session, session.begin():
            password = users.ensure_admin(session, config.admin_username)
        if password is not None:
            self.first_start = FirstStart(config.admin_username, password)
        self.secret_key = config.secret_key or _session_secret(store)
        self.auth = Authenticator(self)
        self.limiter = RateLimiter(config.rate, config.burst)
        self.index = IndexHolder(store, config.index_cache, config.refresh_seconds)
        jobs_dir = config.jobs_dir or Path(user_data_dir("proscribe")) / "jobs"
        self.jobs = JobManager(jobs_dir)
        self.metrics = Metrics()

    @classmethod
    def open(cls, config: ServiceConfig) -> Runtime:
        return cls(config, Store.open(config.db))

    def start(self) -> None:
        self.index.start()

    def stop(self) -> None:
        self.index.stop()
        self.jobs.shutdown()
