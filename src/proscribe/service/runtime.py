"""What one running service holds: the store, the index, the jobs, the limits, the metrics."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir, user_data_dir
from sqlalchemy.orm import Session

from proscribe.private_files import SECRET_FILE_ENV, read_or_create_secret
from proscribe.service.auth import Authenticator
from proscribe.service.config import ServiceConfig
from proscribe.service.index import IndexHolder, Loaded
from proscribe.service.jobs import JobManager
from proscribe.service.metrics import Metrics, serve_metrics
from proscribe.service.queue import DurableJobs
from proscribe.service.ratelimit import RateLimiter, RedisRateLimiter
from proscribe.service.updater import ListUpdater
from proscribe.store import Store, users
from proscribe.store.audit import Setting

#: where an earlier version kept the session key, in the store itself (removed at start)
_OLD_SECRET = "service.session_secret"


@dataclass
class FirstStart:
    """The admin made on the first start, and its one-time password (shown once, never stored)."""

    username: str
    password: str


def secret_file(config: ServiceConfig) -> Path:
    """The session key's file: the config's, else ``$PROSCRIBE_SECRET_FILE``, else in the user's
    config folder."""
    if config.secret_file is not None:
        return config.secret_file
    env = os.environ.get(SECRET_FILE_ENV)
    return Path(env).expanduser() if env else Path(user_config_dir("proscribe")) / "session.key"


def _session_secret(config: ServiceConfig, store: Store) -> str:
    """The key that signs session cookies, from its 0600 file outside the store (made on first start).

    Anyone who can read the store must not be able to forge a cookie, so the key is not kept there:
    a key an earlier version kept in the store's settings is deleted (its sessions end).
    """
    key = read_or_create_secret(secret_file(config))
    with Session(store.engine) as session, session.begin():
        old = session.get(Setting, _OLD_SECRET)
        if old is not None:
            session.delete(old)
    return key


class Runtime:
    def __init__(self, config: ServiceConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.first_start: FirstStart | None = None
        with Session(store.engine) as session, session.begin():
            password = users.ensure_admin(session, config.admin_username)
        if password is not None:
            self.first_start = FirstStart(config.admin_username, password)
        self.secret_key = config.secret_key or _session_secret(config, store)
        self.auth = Authenticator(self)
        self.limiter: RateLimiter | RedisRateLimiter = (
            RedisRateLimiter(config.redis_url, config.rate, config.burst)
            if config.redis_url
            else RateLimiter(config.rate, config.burst)
        )
        self.metrics = Metrics()
        self.index = IndexHolder(store, config.index_cache, config.refresh_seconds, on_loaded=self._loaded)
        jobs_dir = config.jobs_dir or Path(user_data_dir("proscribe")) / "jobs"
        self.jobs = JobManager(jobs_dir, retention=config.job_retention)
        #: batch screening jobs on RQ (with Redis): durable, shared by every worker, cancellable
        self.queue = (
            DurableJobs(config.redis_url, name=config.queue_name, retention=config.job_retention)
            if config.redis_url
            else None
        )
        self._metrics_server: Any = None
        self.updater = ListUpdater(store, config, on_done=self.index.wake)

    @classmethod
    def open(cls, config: ServiceConfig) -> Runtime:
        return cls(config, Store.open(config.db))

    def _loaded(self, loaded: Loaded) -> None:
        m = self.metrics
        m.index_ready.set(1)
        m.index_builds.set(self.index.builds)
        m.index_listings.set(len(loaded.screener.index.entities))

    def start(self) -> None:
        self.metrics.index_ready.set(0)
        # one worker answers scrapes itself; with several, ``proscribe serve`` does for them all
        if self.config.metrics_port and self.config.workers <= 1:
            self._metrics_server = serve_metrics(
                self.config.metrics_port, self.config.host, self.metrics.registry
            )
        self.index.start()
        self.updater.start()

    def stop(self) -> None:
        self.updater.stop()
        self.index.stop()
        self.jobs.shutdown()
        if self._metrics_server is not None:
            server, _thread = self._metrics_server
            server.shutdown()
            server.server_close()
            self._metrics_server = None
