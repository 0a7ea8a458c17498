"""``proscribe serve`` (the HTTP service), ``proscribe users ...`` and ``proscribe keys ...``.

Registered at the top level of the ``proscribe`` command: ``app`` has the ``serve`` command and
the ``users`` and ``keys`` groups.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from proscribe.cli.common import console, err_console, fail, open_store, print_json, state
from proscribe.enforcement.errors import EnforcementError
from proscribe.store import users

app = typer.Typer(no_args_is_help=True)
users_app = typer.Typer(help="People who sign in to the service, and their roles.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for other systems.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")

#: who the audit trail names for changes made at the command line
CLI_ACTOR = "cli"
ROLE_HELP = "viewer, analyst, approver or admin."


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    db: str | None = typer.Option(None, "--db", help="Store URL (default: the global --db or PROSCRIBE_DB)."),
    refresh: float = typer.Option(30.0, help="Seconds between checks for changed lists."),
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
    workers_log: str = typer.Option("warning", "--log-level", help="Uvicorn's log level."),
) -> None:
    """Run the HTTP service (yente-compatible API, proscribe's API, sign-in) on Uvicorn."""
    import uvicorn

    from proscribe.private_files import KeyFileError
    from proscribe.service import ServiceConfig, create_app
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
            update_every=every,
        )
    except ValueError as exc:  # PROSCRIBE_UPDATE_EVERY
        fail(f"PROSCRIBE_UPDATE_EVERY: {exc}", code=2)
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
    err_console.print(f"proscribe serving on http://{host}:{port} (API docs at /docs)", highlight=False)
    uvicorn.run(create_app(runtime=runtime), host=host, port=port, log_level=workers_log, access_log=False)


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
    return Session(open_store().engine)


def _run(action: str) -> None:
    err_console.print(action, highlight=False)


@users_app.command("add")
def users_add(
    username: str = typer.Argument(..., help="The user's sign-in name."),
    role: str = typer.Option("viewer", help=ROLE_HELP),
    password_stdin: bool = typer.Option(False, help="Read the password from standard input."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Add a user. Without --password-stdin a one-time password is made and shown once."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        with _session() as session, session.begin():
            user, secret = users.create_user(session, username, role, actor=CLI_ACTOR, password=password)
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
    with _session() as session:
        rows = [users.user_dict(u) for u in users.list_users(session)]
    if json_out:
        print_json(rows)
        return
    table = Table("user", "role", "must change password", "disabled", "last sign-in")
    for r in rows:
        table.add_row(
            str(r["username"]),
            str(r["role"]),
            "yes" if r["must_change_password"] else "",
            "yes" if r["disabled"] else "",
            str(r["last_login_at"] or ""),
        )
    console.print(table)


@users_app.command("set-role")
def users_set_role(
    username: str = typer.Argument(...), role: str = typer.Argument(..., help=ROLE_HELP)
) -> None:
    """Change a user's role (their keys are capped to it at once)."""
    try:
        with _session() as session, session.begin():
            users.set_role(session, username, role, actor=CLI_ACTOR)
    except EnforcementError as exc:
        fail(str(exc))
    console.print(f"{username} is now {role}")


@users_app.command("reset-password")
def users_reset_password(
    username: str = typer.Argument(...),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Give a user a new one-time password (shown once; to be changed at sign-in)."""
    try:
        with _session() as session, session.begin():
            password = users.reset_password(session, username, actor=CLI_ACTOR)
    except EnforcementError as exc:
        fail(str(exc))
    if json_out:
        print_json({"username": username, "password": password})
    else:
        console.print(f"new one-time password for {username}: {password}", highlight=False)


@users_app.command("disable")
def users_disable(username: str = typer.Argument(...)) -> None:
    """Disable a user (off-boarding): they cannot sign in; their sessions and keys stop working."""
    try:
        with _session() as session, session.begin():
            users.set_disabled(session, username, True, actor=CLI_ACTOR)
    except EnforcementError as exc:
        fail(str(exc))
    console.print(f"{username} is disabled")


@users_app.command("enable")
def users_enable(username: str = typer.Argument(...)) -> None:
    """Enable a disabled user again (a new password may be needed: reset-password)."""
    try:
        with _session() as session, session.begin():
            users.set_disabled(session, username, False, actor=CLI_ACTOR)
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
) -> None:
    """Make an API key. The key is shown once; only its prefix and a hash are kept."""
    try:
        with _session() as session, session.begin():
            key, secret = users.create_key(
                session, owner, actor=CLI_ACTOR, role=role, name=name, rate_limit=rate_limit
            )
            out = key.to_dict()
    except EnforcementError as exc:
        fail(str(exc))
    if json_out:
        print_json(out | {"key": secret})
    else:
        console.print(f"key {out['prefix']} for {owner} ({out['role']}): {secret}", highlight=False)
        err_console.print(
            "send it as: Authorization: ApiKey <key>; it will not be shown again", highlight=False
        )


@keys_app.command("revoke")
def keys_revoke(prefix: str = typer.Argument(..., help="The key's prefix (from keys list).")) -> None:
    """Revoke a key: it stops working within seconds."""
    try:
        with _session() as session, session.begin():
            users.revoke_key(session, prefix, actor=CLI_ACTOR)
    except EnforcementError as exc:
        fail(str(exc))
    console.print(f"revoked key {prefix}")


@keys_app.command("list")
def keys_list(
    owner: str | None = typer.Option(None, "--user", help="Only this user's keys."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Every key (never the secret): owner, role, when made, last used, revoked."""
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
