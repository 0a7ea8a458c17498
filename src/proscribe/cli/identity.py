"""Who is acting at the command line: from an authenticated source, never from free text.

A command that records a person's action (a decision, an approval, a release, a licence, an
import) names its actor from, in this order:

1. **an API key** of an enabled user: ``$PROSCRIBE_API_KEY``, or the file given by ``--key-file``
   (``$PROSCRIBE_KEY_FILE``; mode 0600, other users must not be able to read it). The key's role is
   capped by its owner's, as on the service;
2. **the OS user** running the command, when an admin has mapped it to a proscribe user
   (``proscribe users map-os OSUSER USER``).

Otherwise the command is refused in one line saying how to identify. The tool's own automated
actions (screening runs: ``rescreen``, ``payments screen``, ``travel check``, interest accrual)
name the identified person when there is one and ``system`` when there is none.

``--at`` (a time other than now) is a **backfill**: only an admin may record one, with a reason
(``--backfill REASON``), never in the future; the reason is its own audit record, and the rules of
the action itself refuse a time before what it acts on (a review before its decision). The audit
trail dates every record no earlier than the one before it (``audit.append``).

Someone who can run the command as the store's owner can read and write the store directly: this
is accountability for the people who use the command line, not a wall against the store's owner
(docs/security.md).
"""

from __future__ import annotations

import getpass
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from proscribe.cli.common import fail, state
from proscribe.enforcement.clock import now

if TYPE_CHECKING:  # the store is imported when a command opens it, not to show --help
    from sqlalchemy.orm import Session

    from proscribe.store import Store

KEY_ENV = "PROSCRIBE_API_KEY"
KEY_FILE_ENV = "PROSCRIBE_KEY_FILE"
#: how far ahead of the clock a backfill may be dated (none: a backfill is of the past)
_FUTURE_SLACK_SECONDS = 60


@dataclass(frozen=True)
class Identity:
    """A proscribe user, as the command line established it."""

    username: str
    role: str
    #: how: "key 1a2b3c4d" or "OS user jdoe"
    via: str


def of_store(store: Store, pick: Callable[[Session], str]) -> str:
    """``pick`` (``automated``, or a lambda around ``person``) in a session of its own."""
    from sqlalchemy.orm import Session

    with Session(store.engine) as session:
        return pick(session)


def os_user() -> str | None:
    """The login name of the OS user running the command (None in a container without one)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def _key() -> tuple[str, str] | None:
    """The key given, and where from; None when none is."""
    path = state.key_file or (Path(os.environ[KEY_FILE_ENV]) if os.environ.get(KEY_FILE_ENV) else None)
    if path is not None:
        try:
            mode = path.stat().st_mode
            text = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            fail(f"cannot read the key file {path}: {exc.strerror}")
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            fail(f"the key file {path} can be read by other users: chmod 600 it")
        return text, f"the key file {path}"
    value = os.environ.get(KEY_ENV, "").strip()
    return (value, f"${KEY_ENV}") if value else None


def identify(session: Session) -> Identity | None:
    """The user the command runs as, or None when nothing identifies one.

    A key that is given but not good (unknown, revoked, of a disabled user) is refused, rather
    than falling back to the OS user: the person meant to be someone in particular.
    """
    from proscribe.store import users

    given = _key()
    if given is not None:
        key, where = given
        found = users.find_key(session, key)
        if found is None:
            fail(f"the API key in {where} is not a live key of an enabled user")
        api_key, user = found
        return Identity(user.username, users.lower_role(api_key.role, user.role), f"key {api_key.prefix}")
    name = os_user()
    username = users.os_users(session).get(name) if name else None
    if username is None:
        return None
    try:
        user = users.get_user(session, username)
    except LookupError:
        return None
    if user.disabled:
        fail(f"OS user {name} is mapped to {username}, who is disabled")
    return Identity(user.username, user.role, f"OS user {name}")


def how_to_identify() -> str:
    name = os_user() or "OSUSER"
    return (
        f"set {KEY_ENV} (or --key-file) to your API key, or have an admin map your OS user: "
        f"proscribe users map-os {name} USER"
    )


def person(session: Session, role: str, doing: str) -> str:
    """The actor for a person's action that needs ``role``; refused in one line otherwise."""
    from proscribe.store import users

    who = identify(session)
    if who is None:
        fail(f"{doing} needs to know who you are: {how_to_identify()}")
    if users.rank(who.role) < users.rank(role):
        fail(f"{doing} needs the {role} role; {who.username} ({who.via}) is {who.role}")
    return who.username


def automated(session: Session) -> str:
    """The actor for the tool's own automated work: the identified person, else ``system``."""
    from proscribe.store import users

    who = identify(session)
    return who.username if who is not None else users.SYSTEM_ACTOR


def admin(session: Session, doing: str) -> str:
    """The actor for user administration: an identified admin; on a store with no enabled admin
    yet, the command line itself (``cli``), so that the first admin can be made."""
    from proscribe.store import users

    if not users.has_admin(session):
        return users.CLI_ACTOR
    return person(session, "admin", doing)


def backfill(session: Session, at: datetime | None, reason: str | None, doing: str) -> datetime | None:
    """Check a backfilled time (``--at``): an admin's, with a reason, not in the future.

    Returns the time (None: now). The reason is recorded by ``record_backfill`` once the action
    exists.
    """
    if at is None:
        if reason is not None:
            fail("--backfill goes with --at (the time being recorded)", code=2)
        return None
    if not reason or not reason.strip():
        fail(f"--at records {doing} at another time than now: give the reason with --backfill", code=2)
    person(session, "admin", f"backfilling {doing} (--at)")
    if (at - now()).total_seconds() > _FUTURE_SLACK_SECONDS:
        fail(f"--at {at.isoformat()} is in the future: a backfill records what already happened", code=2)
    return at


def record_backfill(session: Session, actor: str, subject: str, at: datetime, reason: str) -> None:
    """The backfill's own audit record: who entered it, when (now), for when, and why."""
    from proscribe.enforcement import audit

    audit.append(
        session,
        actor=actor,
        action="backfill",
        subject=subject,
        data={"for": at.isoformat(), "reason": reason.strip()},
    )
