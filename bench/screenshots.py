"""Screenshots of the analyst workspace's main pages, into ``docs/screenshots/``.

Run ``python bench/screenshots.py``. It runs the browser tests (``tests/test_web.py``: headless
Debian Chromium against a live server on the fixture book) with ``PROSCRIBE_SCREENSHOTS`` pointing
at ``docs/screenshots``; the tests take each picture at the moment the page shows something worth
seeing (a decision waiting for a second person, a blocked account with a release requested).
The pictures: ``dashboard.png``, ``alert-queue.png``, ``alert-page.png``, ``blocked-account.png``,
``reports.png``, ``payments.png``, ``payment-review.png``, ``approvals.png``, ``entity.png``,
``travel.png``, ``screen.png``, ``customers.png``, ``uploads-refused.png``, ``rescreen.png``,
``users.png``, ``keys.png``, ``audit.png``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    target = ROOT / "docs" / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    os.environ["PROSCRIBE_SCREENSHOTS"] = str(target)
    code = pytest.main(["-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "test_web.py")])
    if code == 0:
        for path in sorted(target.glob("*.png")):
            print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KiB")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
