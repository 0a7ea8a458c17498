"""``proscribe serve`` (the HTTP service), ``proscribe users ...`` and ``proscribe keys ...``.

Registered at the top level of the ``proscribe`` command: ``app`` has the ``serve`` command and
the ``users`` and ``keys`` groups.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from proscribe.cli import identity
from proscribe.cli.common import console, err_console, fail, open_store, print_json, state
from proscribe.enforcement.errors import EnforcementError

if TYPE_CHECKING:  # imported by the commands that need them, not to show --help
    from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from proscribe.service.config import ServiceConfig
    from proscribe.service.updater import ListUpdater

app = typer.Typer(no_args_is_help=True)
users_app = typer.Typer(help="People who sign in to the service, and their roles.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for other systems.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
jobs_app = typer.Typer(help="The service's batch jobs (the durable queue on Redis).", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")

ROLE_HELP = "viewer, analyst, approver or admin."


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Address to listen on (PROSCRIBE_HOST, else 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port to listen on (PROSCRIBE_PORT, else 8000)."),
    workers: int | None = typer.Option(
        None, help="Worker processes (PROSCRIBE_WORKERS, else 1); more than one wants PostgreSQL and Redis."
    ),
    db: str | None = typer.Option(None, "--db", help="Store URL (default: the global --db or PROSCRIBE_DB)."),
    refresh: float | None = typer.Option(None, help="Seconds between checks for changed lists (30)."),
    lists_mirror: Path | None = typer.Option(
        None, help="Lists update reads this folder instead of downloading."
    ),
    lists_fallback: Path | None = typer.Option(
        None, help="Lists update reads this folder when a download fails."
    ),
    update_every: str | None = typer.Option(
        None,
        "--update-every",
        help="Update the lists on a schedule (e.g. 6h, 30m, 1d) and re-screen the book against what changed.",
    ),
    rate: float | None = typer.Option(None, help="Requests a second each user or key may make."),
    log_level: str | None = typer.Option(
        None, "--log-level", help="Level of the JSON logs: debug, info, warning, error (PROSCRIBE_LOG_LEVEL)."
    ),
    trusted_proxy: list[str] = typer.Option(
        [],
        "--trusted-proxy",
        help="Address of a reverse proxy whose X-Forwarded-For is believed (repeat for several; "
        "default: PROSCRIBE_TRUSTED_PROXIES, else none).",
    ),
) -> None:
    """Run the HTTP service (yente-compatible API, proscribe's API, sign-in) on Uvicorn."""
    import os

    import uvicorn

    from proscribe.private_files import KeyFileError
    from proscribe.service import ServiceConfig, create_app
    from proscribe.service.logs import configure, log_config
    from proscribe.service.metrics import serve_metrics
    from proscribe.service.runtime import Runtime
    from proscribe.service.updater import parse_interval

    try:
        every = parse_interval(update_every) if update_every is not None else None
    except ValueError as exc:
        fail(f"--update-every: {exc}", code=2)
    try:
        config = ServiceConfig.from_env(
            db=db or state.db,
            refresh_seconds=refresh,
            lists_mirror=lists_mirror,
            lists_fallback=lists_fallback,
            rate=rate,
            trusted_proxies=tuple(trusted_proxy) or None,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level.lower() if log_level else None,
            update_every=every,
        )
    except ValueError as exc:  # PROSCRIBE_UPDATE_EVERY
        fail(f"PROSCRIBE_UPDATE_EVERY: {exc}", code=2)
    if config.workers < 1:
        fail(f"--workers: {config.workers} is not a number of processes; give 1 or more")
    configure(config.log_level)
    _log_updates()
    try:
        runtime = Runtime.open(config)
    except KeyFileError as exc:
        fail(str(exc))
    except Exception as exc:
        fail(f"cannot open the store {config.db or '(default)'}: {exc}")
    if runtime.first_start is not None:
        # shown once: only its hash is kept, and it must be changed at the first sign-in
        err_console.print(
            f"[bold]first start:[/] made the user [bold]{runtime.first_start.username}[/] (admin) with the "
            f"one-time password [bold]{runtime.first_start.password}[/]\n"
            "it will not be shown again; sign in at /login and change it.",
            highlight=False,
        )
    where = f"http://{config.host}:{config.port}"
    err_console.print(
        f"proscribe serving on {where} (API docs at /docs), {config.workers} worker(s)", highlight=False
    )
    uvicorn_logs = log_config(config.log_level)
    if config.workers == 1:
        uvicorn.run(
            create_app(runtime=runtime),
            host=config.host,
            port=config.port,
            log_config=uvicorn_logs,
            access_log=False,
            proxy_headers=False,  # X-Forwarded-For only from PROSCRIBE_TRUSTED_PROXIES (the app)
        )
        return
    if not config.redis_url:
        err_console.print(
            "note: PROSCRIBE_REDIS_URL is not set, so each worker keeps its own rate limits and jobs",
            highlight=False,
        )
    # several workers: each is a new process that makes its app from the environment, so what the
    # options said is handed over there; the store, the first admin and the session key are set
    # up above, once
    runtime.store.close()
    settings = {
        "PROSCRIBE_DB": config.db,
        "PROSCRIBE_REFRESH_SECONDS": str(config.refresh_seconds),
        "PROSCRIBE_LISTS_MIRROR": str(config.lists_mirror) if config.lists_mirror else None,
        "PROSCRIBE_LISTS_FALLBACK": str(config.lists_fallback) if config.lists_fallback else None,
        "PROSCRIBE_RATE": str(config.rate),
        "PROSCRIBE_HOST": config.host,
        "PROSCRIBE_PORT": str(config.port),
        "PROSCRIBE_WORKERS": str(config.workers),
        "PROSCRIBE_LOG_LEVEL": config.log_level,
        "PROSCRIBE_TRUSTED_PROXIES": ",".join(config.trusted_proxies) or None,
    }
    os.environ.update({k: v for k, v in settings.items() if v is not None})
    updater = schedule_in_supervisor(config)
    if config.metrics_port:
        import tempfile

        # the workers' metrics in files the metrics port adds up (prometheus_client's multiprocess mode)
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="proscribe-metrics-"))
        serve_metrics(config.metrics_port, config.host)
    uvicorn.run(
        "proscribe.service.app:app_from_env",
        factory=True,
        host=config.host,
        port=config.port,
        workers=config.workers,
        log_config=uvicorn_logs,
        access_log=False,
        proxy_headers=False,
        # a worker loading its index keeps its interpreter busy; Uvicorn's default of 5 s to answer
        # the supervisor's health check would have it killed and started again, over and over
        timeout_worker_healthcheck=120,
    )
    if updater is not None:
        updater.stop()


def schedule_in_supervisor(config: ServiceConfig) -> ListUpdater | None:
    """With several workers, the scheduled list update runs once, here in ``serve``'s own process.

    Each worker makes its app from the environment; were PROSCRIBE_UPDATE_EVERY left there, every
    worker would fetch, import and re-screen on its own clock (N runs an interval, N-1 of them
    finding nothing new, racing each other for the store). So it is taken out of the workers'
    environment and one updater runs beside Uvicorn's supervisor, on a store of its own; the
    workers see the new list versions when their index refresh notices them (PROSCRIBE_REFRESH_SECONDS).
    """
    import os

    from proscribe.service.updater import ListUpdater
    from proscribe.store import Store

    os.environ.pop("PROSCRIBE_UPDATE_EVERY", None)
    if not config.update_every:
        return None
    updater = ListUpdater(Store.open(config.db), config)
    updater.start()
    return updater


@jobs_app.command("worker")
def jobs_worker(
    burst: bool = typer.Option(False, help="Stop when the queue is empty (instead of waiting for jobs)."),
    log_level: str | None = typer.Option(None, "--log-level", help="Level of the JSON logs."),
) -> None:
    """Run the batch jobs queued by the service (PROSCRIBE_REDIS_URL): loads the screening index once,
    then runs each job in a process forked from it."""
    from proscribe.service import ServiceConfig
    from proscribe.service.logs import configure
    from proscribe.service.tasks import run_worker

    config = ServiceConfig.from_env(db=state.db, log_level=log_level.lower() if log_level else None)
    if not config.redis_url:
        fail("PROSCRIBE_REDIS_URL is not set: the job worker takes its jobs from Redis")
    configure(config.log_level)
    store = open_store()
    run_worker(store, config.redis_url, config.queue_name, cache_dir=config.index_cache, burst=burst)


def _log_updates() -> None:
    """The scheduled updates' lines (``proscribe.updates``) on stderr, with their time."""
    import logging

    logger = logging.getLogger("proscribe.updates")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _session() -> Session:
    from sqlalchemy.orm import Session

    return Session(open_store().engine)


def _run(action: str) -> None:
    err_console.print(action, highlight=False)


@users_app.command("add")
def users_add(
    username: str = typer.Argument(..., help="The user's sign-in name."),
    role: str = typer.Option("viewer", help=ROLE_HELP),
    password_stdin: bool = typer.Option(False, help="Read the password from standard input."),
    map_os: str | None = typer.Option(
        None, "--map-os", help="And make this OS user act as the new user at the command line."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Add a user (admins only; on a store with no admin yet, anyone who can run the command may add
    the first one). Without --password-stdin a one-time password is made and shown once."""
    from proscribe.store import users

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        with _session() as session, session.begin():
            actor = identity.admin(session, "adding a user")
            user, secret = users.create_user(session, username, role, actor=actor, password=password)
            if map_os:
                users.map_os_user(session, map_os, username, actor=actor)
            out = users.user_dict(user)
    except EnforcementError as exc:
        fail(str(exc))
    if json_out:
        print_json(out | ({} if password_stdin else {"password": secret}))
    elif password_stdin:
        console.print(f"added {username} ({role})")
    else:
        console.print(f"added {username} ({role}); one-time password: {secret}", highlight=False)


@users_app.command("list")
def users_list(json_out: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Every user, with role and last sign-in."""
    from proscribe.store import users

    with _session() as session:
        rows = [users.user_dict(u) for u in users.list_users(session)]
        mapped = users.os_users(session)
    for r in rows:
        r["os_users"] = ", ".join(sorted(o for o, u in mapped.items() if u == r["username"]))
    if json_out:
        print_json(rows)
        return
    table = Table("user", "role", "must change password", "disabled", "last sign-in", "OS users")
    for r in rows:
        table.add_row(
            str(r["username"]),
            str(r["role"]),
            "yes" if r["must_change_password"] else "",
            "yes" if r["disabled"] else "",
            str(r["last_login_at"] or ""),
            str(r["os_users"]),
        )
    console.print(table)


@users_app.command("set-role")
def users_set_role(
    username: str = typer.Argument(...), role: str = typer.Argument(..., help=ROLE_HELP)
) -> None:
    """Change a user's role (their keys are capped to it at once)."""
    from proscribe.store import users

    try:
        with _session() as session, session.begin():
            users.set_role(session, username, role, actor=identity.admin(session, "changing a role"))
    except EnforcementError as exc:
        fail(str(exc))
    console.print(f"{username} is now {role}")


@users_app.command("reset-password")
def users_reset_password(
    username: str = typer.Argument(...),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Give a user a new one-time password (shown once; to be changed at sign-in)."""
    from proscribe.store import users

    try:
        with _session() as session, session.begin():
            actor = identity.admin(session, "resetting a password")
            password = users.reset_password(session, username, actor=actor)
    except EnforcementError as exc:
        fail(str(exc))
    if json_out:
        print_json({"username": username, "password": password})
    else:
        console.print(f"new one-time password for {username}: {password}", highlight=False)


@users_app.command("map-os")
def users_map_os(
    os_user: str = typer.Argument(..., help="The OS login name (as 'whoami' prints it)."),
    username: str | None = typer.Argument(None, help="The proscribe user it acts as."),
    remove: bool = typer.Option(False, "--remove", help="Remove the OS user's mapping."),
) -> None:
    """Make an OS user act as a proscribe user at the command line (admins only).

    Commands that record a person's action then name that user when this OS user runs them without
    an API key. Mapping someone else counts as setting their credentials (four eyes: 30 days).
    """
    from proscribe.store import users

    if (username is None) != remove:
        fail("give the proscribe USER to map to, or --remove", code=2)
    try:
        with _session() as session, session.begin():
            users.map_os_user(session, os_user, username, actor=identity.admin(session, "mapping an OS user"))
    except EnforcementError as exc:
        fail(str(exc))
    console.print(f"OS user {os_user} " + (f"acts as {username}" if username else "is not mapped any more"))


@users_app.command("disable")
def users_disable(username: str = typer.Argument(...)) -> None:
    """Disable a user (off-boarding): they cannot sign in; their sessions and keys stop working."""
    from proscribe.store import users

    try:
        with _session() as session, session.begin():
            users.set_disabled(session, username, True, actor=identity.admin(session, "disabling a user"))
    except EnforcementError as exc:
        fail(str(exc))
    console.print(f"{username} is disabled")


@users_app.command("enable")
def users_enable(username: str = typer.Argument(...)) -> None:
    """Enable a disabled user again (a new password may be needed: reset-password)."""
    from proscribe.store import users

    try:
        with _session() as session, session.begin():
            users.set_disabled(session, username, False, actor=identity.admin(session, "enabling a user"))
    except EnforcementError as exc:
        fail(str(exc))
    console.print(f"{username} is enabled")


@keys_app.command("create")
def keys_create(
    owner: str = typer.Option(..., "--user", help="The user the key acts for."),
    role: str | None = typer.Option(None, help="At most the user's role (default: the user's role)."),
    name: str = typer.Option("", help="What the key is for (shown in lists)."),
    rate_limit: float | None = typer.Option(
        None, help="Requests a second for this key (default: the service's)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the key (for a variable or a file)."),
) -> None:
    """Make an API key (admins only). The key is shown once; only its prefix and a hash are kept."""
    from proscribe.store import users

    try:
        with _session() as session, session.begin():
            actor = identity.admin(session, "making an API key")
            key, secret = users.create_key(
                session, owner, actor=actor, role=role, name=name, rate_limit=rate_limit
            )
            out = key.to_dict()
    except EnforcementError as exc:
        fail(str(exc))
    if quiet:
        sys.stdout.write(secret + "\n")
    elif json_out:
        print_json(out | {"key": secret})
    else:
        console.print(f"key {out['prefix']} for {owner} ({out['role']}): {secret}", highlight=False)
        err_console.print(
            "send it as: Authorization: ApiKey <key>; it will not be shown again", highlight=False
        )


@keys_app.command("revoke")
def keys_revoke(prefix: str = typer.Argument(..., help="The key's prefix (from keys list).")) -> None:
    """Revoke a key: it stops working within seconds."""
    from proscribe.store import users

    try:
        with _session() as session, session.begin():
            users.revoke_key(session, prefix, actor=identity.admin(session, "revoking a key"))
    except EnforcementError as exc:
        fail(str(exc))
    console.print(f"revoked key {prefix}")


@keys_app.command("list")
def keys_list(
    owner: str | None = typer.Option(None, "--user", help="Only this user's keys."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Every key (never the secret): owner, role, when made, last used, revoked."""
    from proscribe.store import users

    with _session() as session:
        rows = [k.to_dict() for k in users.list_keys(session, owner)]
    if json_out:
        print_json(rows)
        return
    table = Table("prefix", "user", "role", "name", "created", "last used", "revoked")
    for r in rows:
        table.add_row(
            *(
                str(r[c] or "")
                for c in ("prefix", "owner", "role", "name", "created_at", "last_used_at", "revoked_at")
            )
        )
    console.print(table)
