"""JSON answers encoded with orjson: the screening endpoints' answers, a few times faster than
the standard library's encoder (which Starlette's ``JSONResponse`` uses).

The bytes differ only in spacing and in non-ASCII text being sent as UTF-8 rather than as
``\\u`` escapes; both are the same JSON. Values orjson cannot encode natively are not expected
here (the answers are built from str, int, float, bool, None, lists and dicts).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


def _other(value: Any) -> Any:
    """A value orjson does not know: a number type of NumPy's (``.item()``), else refused."""
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    raise TypeError(f"cannot encode a {type(value).__name__} as JSON")


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=_other)
