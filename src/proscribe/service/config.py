"""The service's settings: from ``proscribe serve`` options, or the environment (``PROSCRIBE_*``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from proscribe.service.bounds import Bounds


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def _env_interval(name: str) -> float | None:
    from proscribe.service.updater import parse_interval

    value = os.environ.get(name)
    return parse_interval(value) if value else None


@dataclass
class ServiceConfig:
    """Everything ``create_app`` needs to know; the defaults suit one institution on one machine."""

    #: store URL (None: PROSCRIBE_DB, else the default SQLite file)
    db: str | None = None
    #: signs session cookies; None: the key in ``secret_file`` (made on first start)
    secret_key: str | None = None
    #: the session key's file, mode 0600 (None: $PROSCRIBE_SECRET_FILE, else session.key in the
    #: user's config folder); never in the store, whose readers must not be able to forge a cookie
    secret_file: Path | None = None
    #: requests a second each user or key may make (token bucket; a key may carry its own rate)
    rate: float = 200.0
    #: how many requests may come at once before the rate applies
    burst: float = 400.0
    #: largest request body in bytes (JSON calls); larger ones get 413
    max_body: int = 1 << 20
    #: largest upload for a batch screening file
    max_upload: int = 64 << 20
    #: seconds between checks whether a list changed (the index is rebuilt in the background)
    refresh_seconds: float = 30.0
    #: where the screening index is cached (None: the user's cache folder)
    index_cache: Path | None = None
    #: where batch jobs keep their inputs and results (None: a folder in the user's data folder)
    jobs_dir: Path | None = None
    #: seconds a finished job's files (customer data) are kept before they are deleted
    job_retention: float = 7 * 86400.0
    #: lists update: read the lists from this folder instead of downloading
    lists_mirror: Path | None = None
    #: lists update: read the lists from this folder when a download fails
    lists_fallback: Path | None = None
    #: seconds between scheduled list updates, each followed by a delta re-screen (None: none;
    #: ``serve --update-every 6h``, $PROSCRIBE_UPDATE_EVERY)
    update_every: float | None = None
    #: session cookies only over HTTPS (set behind TLS)
    secure_cookies: bool = False
    #: queries one /match request may carry (yente's YENTE_MAX_BATCH)
    max_batch: int = 100
    #: how much screening one request may ask for (names, words, characters): see ``bounds``
    bounds: Bounds = field(default_factory=Bounds)
    #: a /match of at most this many names (8 words a name on average) is scored on the event loop
    #: rather than in a worker thread: ~0.4 ms less CPU a request, but the loop is held meanwhile,
    #: and on a machine whose cores are busy with other work it measured worse (docs/benchmarks.md).
    #: 0 (the default): every request is scored in a worker thread
    inline_names: int = 0
    #: addresses of reverse proxies whose ``X-Forwarded-For`` is believed (the client's address then
    #: comes from that header, for the sign-in limit and the audit trail); empty: believed from nobody,
    #: the connection's address counts, loopback included
    trusted_proxies: tuple[str, ...] = ()
    #: the first admin's name, made on the first start of an empty store
    admin_username: str = "admin"
    #: where ``proscribe serve`` listens, and how many worker processes it runs
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    #: Redis (``redis://127.0.0.1:6379/0``): rate limits, sessions and batch jobs shared by every
    #: worker, jobs kept across restarts; None: all of it in this process's memory
    redis_url: str | None = None
    #: the RQ queue of batch jobs (with ``redis_url``)
    queue_name: str = "proscribe"
    #: log level of the JSON logs (debug, info, warning, error)
    log_level: str = "info"
    #: a second port, on ``host``, answering Prometheus' scrapes without an API key (None: none;
    #: ``/metrics`` on the main port stays, for signed-in viewers)
    metrics_port: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: object) -> ServiceConfig:
        """Settings from the environment; keyword arguments that are not None win."""
        cfg = cls(
            db=os.environ.get("PROSCRIBE_DB"),
            secret_key=os.environ.get("PROSCRIBE_SECRET_KEY"),
            rate=_env_float("PROSCRIBE_RATE", cls.rate),
            burst=_env_float("PROSCRIBE_BURST", cls.burst),
            refresh_seconds=_env_float("PROSCRIBE_REFRESH_SECONDS", cls.refresh_seconds),
            index_cache=_env_path("PROSCRIBE_INDEX_CACHE"),
            secret_file=_env_path("PROSCRIBE_SECRET_FILE"),
            jobs_dir=_env_path("PROSCRIBE_JOBS_DIR"),
            job_retention=_env_float("PROSCRIBE_JOB_RETENTION", cls.job_retention),
            lists_mirror=_env_path("PROSCRIBE_LISTS_MIRROR"),
            lists_fallback=_env_path("PROSCRIBE_LISTS_FALLBACK"),
            update_every=_env_interval("PROSCRIBE_UPDATE_EVERY"),
            secure_cookies=os.environ.get("PROSCRIBE_SECURE_COOKIES", "") in ("1", "true", "yes"),
            trusted_proxies=tuple(
                p.strip() for p in os.environ.get("PROSCRIBE_TRUSTED_PROXIES", "").split(",") if p.strip()
            ),
            host=os.environ.get("PROSCRIBE_HOST") or cls.host,
            port=_env_int("PROSCRIBE_PORT", cls.port),
            workers=_env_int("PROSCRIBE_WORKERS", cls.workers),
            redis_url=os.environ.get("PROSCRIBE_REDIS_URL") or None,
            queue_name=os.environ.get("PROSCRIBE_QUEUE") or cls.queue_name,
            log_level=(os.environ.get("PROSCRIBE_LOG_LEVEL") or cls.log_level).lower(),
            metrics_port=_env_int("PROSCRIBE_METRICS_PORT", 0) or None,
            inline_names=_env_int("PROSCRIBE_INLINE_NAMES", cls.inline_names),
            bounds=Bounds(
                name_chars=_env_int("PROSCRIBE_MAX_NAME_CHARS", Bounds.name_chars),
                name_tokens=_env_int("PROSCRIBE_MAX_NAME_WORDS", Bounds.name_tokens),
                names_per_query=_env_int("PROSCRIBE_MAX_NAMES_PER_QUERY", Bounds.names_per_query),
                names_per_request=_env_int("PROSCRIBE_MAX_NAMES_PER_REQUEST", Bounds.names_per_request),
            ),
        )
        for key, value in overrides.items():
            if value is not None:
                setattr(cfg, key, value)
        return cfg
