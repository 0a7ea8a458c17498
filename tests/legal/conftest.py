"""The legal tests' store: an empty institution on SQLite and on PostgreSQL, with the ICC registry.

Each test in this folder states one rule of law in its docstring, with its source, and checks that
proscribe applies it; ``legal_helpers`` builds the book through proscribe's own functions.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from proscribe.store import Store


@pytest.fixture()
def store(registry_db_url: str) -> Iterator[Store]:
    """An empty institution on SQLite and on PostgreSQL, with the ICC program registry loaded."""
    s = Store.open(registry_db_url)
    yield s
    s.close()
