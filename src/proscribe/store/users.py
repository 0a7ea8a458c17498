"""Who may use the service: users with a role and a password, and API keys for other systems.

Passwords are hashed with Argon2id (argon2-cffi): a stolen table does not give the passwords back,
and guessing is slow. API keys are long random secrets (256 bits), so a fast hash (SHA-256) is
enough to keep them unusable if the table leaks, and it lets every API request be checked in
microseconds instead of the tens of milliseconds a password hash costs. A key is shown once, when
it is made; the store keeps only its prefix (to find it and to name it in lists) and the hash.

Roles are ordered: a viewer reads, an analyst screens and proposes decisions, an approver is the
second pair of eyes, an admin manages users, keys and lists. A key never has more rights than its
owner: its role is capped at creation and again at every use (the owner may have been demoted).

Every change here is appended to the audit trail in the caller's transaction.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from proscribe.enforcement import audit
from proscribe.enforcement.clock import now
from proscribe.enforcement.errors import EnforcementError, InputError, NotFoundError
from proscribe.store.audit import AuditRecord, Setting
from proscribe.store.schema import Base, UTCDateTime

#: lowest to highest; each role can do everything the roles before it can
ROLES: tuple[str, ...] = ("viewer", "analyst", "approver", "admin")
MIN_PASSWORD_LENGTH = 12
KEY_PREFIX = "prs"
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
_hasher = PasswordHasher()
#: the actor of the tool's own automated actions (screening runs, the first admin)
SYSTEM_ACTOR = "system"
#: the actor of user administration done on the server's command line before any admin is known
CLI_ACTOR = "cli"
#: names the tool records as its own actors: no person may have one (it would read as the tool)
RESERVED_NAMES = frozenset({SYSTEM_ACTOR, CLI_ACTOR, "proscribe"})


class User(Base):
    """A person who signs in (or owns API keys)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    #: set for a password someone else chose (first admin, a reset): it must be changed at sign-in
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ApiKey(Base):
    """A secret another system sends (``Authorization: ApiKey prs_<prefix>_<secret>``)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(20), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(ForeignKey("users.username"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    #: requests a second this key may make (None: the service's default)
    rate_limit: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(200), nullable=True)

    def to_dict(self) -> dict[str, object]:
        return {
            "prefix": self.prefix,
            "owner": self.owner,
            "role": self.role,
            "name": self.name,
            "rate_limit": self.rate_limit,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoked_by": self.revoked_by,
        }


class UserSession(Base):
    """A signed-in browser session, kept on the server so that signing out ends it for good.

    The cookie carries a random id; the store keeps its SHA-256. A cookie copied before its
    session ended (sign-out, expiry) names a session that is over, and is refused.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


def start_session(session: Session, username: str, *, lifetime: timedelta) -> str:
    """A new session of ``username`` for ``lifetime``; its id (for the cookie), shown only here."""
    token = secrets.token_urlsafe(32)
    at = now()
    session.add(
        UserSession(
            token_hash=key_hash(token),
            username=username,
            created_at=at,
            expires_at=at + lifetime,
        )
    )
    session.flush()
    return token


def live_session(session: Session, token: str, username: str) -> bool:
    """Whether ``token`` names a session of ``username`` that has not ended or expired."""
    row = session.execute(
        select(UserSession).where(UserSession.token_hash == key_hash(token))
    ).scalar_one_or_none()
    return row is not None and row.username == username and row.ended_at is None and now() < row.expires_at


def end_session(session: Session, token: str, *, actor: str) -> bool:
    """End the session ``token`` names (sign-out); False if it had already ended."""
    row = session.execute(
        select(UserSession).where(UserSession.token_hash == key_hash(token))
    ).scalar_one_or_none()
    if row is None or row.ended_at is not None:
        return False
    row.ended_at = now()
    row.ended_by = actor
    audit.append(session, actor=actor, action="session.end", subject=f"user:{row.username}", data={})
    return True


#: audit actions by which one person sets another's means of signing in (a password, an account,
#: a key): the two are not independent for four eyes while the change is recent
CREDENTIAL_ACTIONS = ("user.create", "user.reset_password", "key.create", "user.map_os")


def person_of(actor: str) -> str:
    """The user an actor names: ``alice (key 1a2b3c4d)`` is ``alice``."""
    return actor.split(" (key ", 1)[0].strip()


def credential_links(session: Session, a: str, b: str, *, since: datetime) -> list[AuditRecord]:
    """Audit records since ``since`` in which one of ``a`` and ``b`` set the other's credentials.

    Counted: making the other's account (``user.create``), resetting their password
    (``user.reset_password``), making a key for them (``key.create`` with them as owner).
    """
    a, b = person_of(a), person_of(b)
    rows = session.scalars(
        select(AuditRecord)
        .where(AuditRecord.action.in_(CREDENTIAL_ACTIONS), AuditRecord.at >= since)
        .order_by(AuditRecord.seq)
    )
    found = []
    for row in rows:
        by = person_of(row.actor)
        if row.action == "key.create":
            whom = str((row.data or {}).get("owner") or "")
        elif row.action == "user.map_os":
            whom = str((row.data or {}).get("user") or "")
        else:
            whom = row.subject.removeprefix("user:")
        if by != whom and {by, whom} == {a, b}:
            found.append(row)
    return found


def user_dict(user: User) -> dict[str, object]:
    """A user as shown to admins: never the hash."""
    return {
        "username": user.username,
        "role": user.role,
        "must_change_password": user.must_change_password,
        "disabled": user.disabled,
        "created_at": user.created_at.isoformat(),
        "created_by": user.created_by,
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


def rank(role: str) -> int:
    """The role's place in ``ROLES``; an unknown role is refused by name."""
    try:
        return ROLES.index(role)
    except ValueError:
        raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}") from None


def lower_role(a: str, b: str) -> str:
    return a if rank(a) <= rank(b) else b


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_password() -> str:
    """A random password for a new user or a reset (shown once; the user changes it)."""
    return secrets.token_urlsafe(15)


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def _check_username(username: str) -> None:
    if not _USERNAME.match(username):
        raise InputError(
            f"username {username!r}: use letters, digits, '.', '_', '@' or '-' (at most 100 characters)"
        )
    if username.lower() in RESERVED_NAMES:
        raise InputError(f"username {username!r} is the name of the tool's own actions: choose another")


def get_user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.execute(select(User).order_by(User.username)).scalars())


def count_users(session: Session) -> int:
    return len(session.execute(select(User.id)).all())


def create_user(
    session: Session,
    username: str,
    role: str,
    *,
    actor: str,
    password: str | None = None,
    must_change_password: bool | None = None,
) -> tuple[User, str]:
    """A new user; returns it with its password (generated unless given, to be changed at sign-in)."""
    _check_username(username)
    rank(role)
    if session.execute(select(User.id).where(User.username == username)).first() is not None:
        raise EnforcementError(f"user {username!r} exists already")
    generated = password is None
    password = password if password is not None else new_password()
    _check_new_password(password)
    at = now()
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        must_change_password=generated if must_change_password is None else must_change_password,
        disabled=False,
        created_at=at,
        created_by=actor,
        password_changed_at=at,
    )
    session.add(user)
    session.flush()
    audit.append(
        session, actor=actor, action="user.create", subject=f"user:{username}", data={"role": role}, at=at
    )
    return user, password


def ensure_admin(session: Session, username: str = "admin") -> str | None:
    """On a store with no users, make an admin and return its one-time password; else None."""
    if count_users(session):
        return None
    _, password = create_user(session, username, "admin", actor=SYSTEM_ACTOR, must_change_password=True)
    return password


def set_role(session: Session, username: str, role: str, *, actor: str) -> User:
    rank(role)
    user = get_user(session, username)
    old = user.role
    user.role = role
    audit.append(
        session,
        actor=actor,
        action="user.set_role",
        subject=f"user:{username}",
        data={"from": old, "to": role},
    )
    return user


def set_disabled(session: Session, username: str, disabled: bool, *, actor: str) -> User:
    """Disable a user (off-boarding) or enable them again.

    A disabled user cannot sign in, their sessions and keys stop working (checked at every use),
    and their open sessions in the store are ended. Nobody disables themselves (the last admin
    would lock everyone out).
    """
    user = get_user(session, username)
    if disabled and person_of(actor) == username:
        raise InputError(f"{username} cannot disable their own account: ask another admin")
    user.disabled = disabled
    if disabled:
        at = now()
        for row in session.scalars(
            select(UserSession).where(UserSession.username == username, UserSession.ended_at.is_(None))
        ):
            row.ended_at = at
            row.ended_by = actor
    audit.append(
        session,
        actor=actor,
        action="user.disable" if disabled else "user.enable",
        subject=f"user:{username}",
    )
    return user


def reset_password(session: Session, username: str, *, actor: str, password: str | None = None) -> str:
    """A new password for a user who lost theirs; it must be changed at the next sign-in."""
    user = get_user(session, username)
    password = password if password is not None else new_password()
    _check_new_password(password)
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.password_changed_at = now()
    audit.append(session, actor=actor, action="user.reset_password", subject=f"user:{username}")
    return password


def change_password(session: Session, username: str, old: str, new: str) -> User:
    """The user's own change: the old password is checked, the new one may not be the same."""
    user = get_user(session, username)
    if not check_password(user.password_hash, old):
        raise EnforcementError("the current password is not right")
    if old == new:
        raise InputError("the new password must differ from the current one")
    _check_new_password(new)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_changed_at = now()
    audit.append(session, actor=username, action="user.change_password", subject=f"user:{username}")
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user if the password is right and the user is enabled; None otherwise (no reason given)."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        # hash anyway, so a wrong username takes as long as a wrong password
        check_password(_dummy_hash(), password)
        return None
    if user.disabled or not check_password(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now()
    return user


@functools.cache
def _dummy_hash() -> str:
    # made on first use, not at import: an Argon2 hash costs tens of milliseconds at every start
    return _hasher.hash("not a password anyone has")


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_key(key: str) -> str | None:
    """The prefix of a well-formed key (``prs_<prefix>_<secret>``), else None."""
    parts = key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or len(parts[2]) < 32:
        return None
    return parts[1]


def create_key(
    session: Session,
    owner: str,
    *,
    actor: str,
    role: str | None = None,
    name: str = "",
    rate_limit: float | None = None,
) -> tuple[ApiKey, str]:
    """A new key for ``owner``; returns it with the secret, which is never shown again."""
    user = get_user(session, owner)
    if user.disabled:
        # the key would be refused at every use anyway; making one is a mistake worth saying
        raise EnforcementError(f"{owner} is disabled: enable the user first (proscribe users enable {owner})")
    role = role or user.role
    if rank(role) > rank(user.role):
        raise EnforcementError(f"a key of {owner!r} cannot have role {role!r}: {owner} is {user.role}")
    if rate_limit is not None and rate_limit <= 0:
        raise InputError("rate_limit: requests a second must be more than 0")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    plaintext = f"{KEY_PREFIX}_{prefix}_{secret}"
    at = now()
    key = ApiKey(
        prefix=prefix,
        secret_hash=key_hash(plaintext),
        owner=owner,
        role=role,
        name=name or f"key of {owner}",
        rate_limit=rate_limit,
        created_at=at,
        created_by=actor,
    )
    session.add(key)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="key.create",
        subject=f"key:{prefix}",
        data={"owner": owner, "role": role, "name": key.name, "rate_limit": rate_limit},
        at=at,
    )
    return key, plaintext


def get_key(session: Session, prefix: str) -> ApiKey:
    key = session.execute(select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()
    if key is None:
        raise NotFoundError(f"no API key with prefix {prefix!r}")
    return key


def revoke_key(session: Session, prefix: str, *, actor: str) -> ApiKey:
    key = get_key(session, prefix)
    if key.revoked_at is not None:
        raise EnforcementError(f"key {prefix} was revoked already, on {key.revoked_at.isoformat()}")
    key.revoked_at = now()
    key.revoked_by = actor
    audit.append(
        session, actor=actor, action="key.revoke", subject=f"key:{prefix}", data={"owner": key.owner}
    )
    return key


def list_keys(session: Session, owner: str | None = None) -> list[ApiKey]:
    q = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if owner:
        q = q.where(ApiKey.owner == owner)
    return list(session.execute(q).scalars())


def find_key(session: Session, plaintext: str) -> tuple[ApiKey, User] | None:
    """The key and its owner if ``plaintext`` is a live key of an enabled user; else None."""
    prefix = parse_key(plaintext)
    if prefix is None:
        return None
    row = session.execute(
        select(ApiKey, User).join(User, User.username == ApiKey.owner).where(ApiKey.prefix == prefix)
    ).first()
    if row is None:
        return None
    key, user = row
    if not hmac.compare_digest(key.secret_hash, key_hash(plaintext)):
        return None
    if key.revoked_at is not None or user.disabled:
        return None
    return key, user


# --- the command line: which proscribe user an OS user is ----------------------------------------

#: the settings row holding ``{OS user name: proscribe user name}``
OS_USERS_SETTING = "cli_os_users"


def os_users(session: Session) -> dict[str, str]:
    """Which proscribe user each mapped OS user is, at the command line."""
    row = session.get(Setting, OS_USERS_SETTING)
    return dict(row.value) if row is not None else {}


def map_os_user(session: Session, os_user: str, username: str | None, *, actor: str) -> None:
    """Make ``os_user`` act as ``username`` at the command line (None: remove the mapping).

    Giving someone an OS user's identity sets their credentials: it links the two for four eyes
    (``user.map_os`` is one of ``CREDENTIAL_ACTIONS``) unless they map themselves.
    """
    if not os_user or len(os_user) > 100 or any(c.isspace() for c in os_user):
        raise InputError(f"OS user {os_user!r}: a login name, without spaces, at most 100 characters")
    mapping = os_users(session)
    if username is None:
        if os_user not in mapping:
            raise NotFoundError(f"OS user {os_user!r} is not mapped to a proscribe user")
        old = mapping.pop(os_user)
        data: dict[str, object] = {"os_user": os_user, "user": None, "was": old}
        subject = f"user:{old}"
    else:
        get_user(session, username)
        mapping[os_user] = username
        data = {"os_user": os_user, "user": username}
        subject = f"user:{username}"
    at = now()
    row = session.get(Setting, OS_USERS_SETTING)
    if row is None:
        session.add(Setting(key=OS_USERS_SETTING, value=mapping, updated_at=at, updated_by=actor))
    else:
        row.value = mapping
        row.updated_at = at
        row.updated_by = actor
    audit.append(session, actor=actor, action="user.map_os", subject=subject, data=data, at=at)


def has_admin(session: Session) -> bool:
    """Whether an enabled admin exists (until then the command line may make the first one)."""
    return (
        session.execute(
            select(User.id).where(User.role == "admin", User.disabled.is_(False)).limit(1)
        ).first()
        is not None
    )
