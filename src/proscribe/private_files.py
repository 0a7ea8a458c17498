"""Files only the server's own user may read: the session key, SQLite stores, job folders.

A secret or customer data in a file another local user can read is as good as published: a copy
of the session key forges an admin's cookie, a copy of the store gives the book of customers.
Folders made here are 0700 and files 0600, whatever the umask.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

#: env var naming the file of the key that signs session cookies
SECRET_FILE_ENV = "PROSCRIBE_SECRET_FILE"


class KeyFileError(Exception):
    """The key file cannot be used (unreadable, too open, malformed); one line saying what to do."""


def private_dir(path: Path) -> Path:
    """``path`` as a folder, made 0700 with its missing parents (an existing folder is left as is)."""
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask
    return path


def create_private(path: Path) -> bool:
    """Make ``path`` an empty file of mode 0600 unless it exists; True if it was made here."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    os.chmod(path, 0o600)
    return True


def make_private(path: Path) -> None:
    """Files under ``path`` (or ``path`` itself) to 0600, folders to 0700."""
    if path.is_dir():
        os.chmod(path, 0o700)
        for child in path.rglob("*"):
            os.chmod(child, 0o700 if child.is_dir() else 0o600)
    elif path.exists():
        os.chmod(path, 0o600)


def read_or_create_secret(path: Path) -> str:
    """The secret in ``path``; a new random one (file 0600, folder 0700) if there is none yet.

    A key file that other users may read (group or others bits set) is refused: it has to be
    assumed copied, so the server says to replace it rather than go on signing with it.
    """
    if not path.exists():
        private_dir(path.parent)
        # written in full under another name, then linked into place: a server starting at the
        # same moment finds no file or the whole key, never half of one, and the first one wins
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_urlsafe(48) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            with contextlib.suppress(FileExistsError):  # another server made it first: theirs wins
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read the key file {path}: {exc}") from None
    if mode & 0o077:
        raise KeyFileError(
            f"the key file {path} can be read by other users (mode {mode:o}): "
            "delete it (a new one is made at the next start) or chmod 600 it"
        )
    if len(key) < 32:
        raise KeyFileError(f"the key file {path} holds no key of at least 32 characters: delete it")
    return key
