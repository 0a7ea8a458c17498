"""People for command-line tests: users with API keys, as an admin would make them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from proscribe.store import Store, users


def keys_for(url: str, **people: str) -> dict[str, str]:
    """An API key for each ``name=role`` (the user is made when missing), for ``PROSCRIBE_API_KEY``."""
    store = Store.open(url, load_registry=False)
    out = {}
    with Session(store.engine) as s, s.begin():
        for name, role in people.items():
            try:
                users.get_user(s, name)
            except LookupError:
                users.create_user(s, name, role, actor="test-setup", must_change_password=False)
            out[name] = users.create_key(s, name, actor="test-setup")[1]
    store.close()
    return out


def as_(key: str) -> dict[str, str]:
    """The environment of a command run by the key's owner."""
    return {"PROSCRIBE_API_KEY": key}
