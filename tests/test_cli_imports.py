"""``proscribe --help`` starts without importing what only the commands need.

The store (SQLAlchemy, Alembic), the list parsers (FollowTheMoney), the matcher, the service (FastAPI,
Uvicorn) and Spark are imported by the command that uses them, not to show help (issue 14: help and
every command took seconds to start). Which modules are imported is checked here; how long it takes
is measured in docs/benchmarks.md, never asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: what showing help must not import
HEAVY = (
    "followthemoney",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "pyspark",
    "pyarrow",
    "proscribe.store",
    "proscribe.sources.base",
    "proscribe.matching",
    "proscribe.screening",
    "proscribe.service",
    "proscribe.registry",
)

_IMPORTED = """
import json, sys
from proscribe.cli.app import main
sys.argv = ["proscribe", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def imported_by(*args: str) -> set[str]:
    """The modules a fresh ``proscribe ARGS`` process has imported when it ends."""
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTED, *args], capture_output=True, text=True, timeout=300, check=True
    )
    assert "Usage" in done.stdout, done.stdout + done.stderr
    modules: set[str] = set(json.loads(done.stderr.strip().splitlines()[-1]))
    return modules


@pytest.mark.parametrize("args", [["--help"], ["alerts", "decide", "--help"], ["lists", "import", "--help"]])
def test_help_imports_none_of_what_the_commands_need(args: list[str]) -> None:
    modules = imported_by(*args)
    loaded = sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert loaded == []


def test_the_names_help_shows_are_the_codes() -> None:
    """The CLI names a few of the code's constants itself, so that help does not import the code that
    defines them; they must be the same."""
    from proscribe.cli import lists, policy, screen
    from proscribe.enforcement.policy import PRESETS
    from proscribe.screening import DEFAULT_THRESHOLD
    from proscribe.sources.formats import FORMATS
    from proscribe.store import DEFAULT_MAX_REMOVED_SHARE

    assert (tuple(FORMATS), DEFAULT_MAX_REMOVED_SHARE) == (lists.FORMATS, lists.DEFAULT_MAX_REMOVED_SHARE)
    assert (policy.PRESETS, screen.DEFAULT_THRESHOLD) == (PRESETS, DEFAULT_THRESHOLD)
