"""Payment messages: SWIFT MT103 and ISO 20022 pacs.008, read into one model for screening.

``read_messages(path)`` reads a whole file and returns every credit transfer in it, or raises an
``InputError`` naming the file, the line or element, and the field: a file is read completely
before anything is screened or stored, so a malformed message never leaves half a file applied.
"""

from __future__ import annotations

from pathlib import Path

from proscribe.enforcement.errors import InputError
from proscribe.payments.messages import FreeText, Party, PaymentMessage
from proscribe.payments.mt103 import looks_like_mt103, parse_mt103
from proscribe.payments.pacs008 import looks_like_pacs008, parse_pacs008

__all__ = ["FreeText", "Party", "PaymentMessage", "parse_text", "read_messages"]


def parse_text(text: str, source: str) -> list[PaymentMessage]:
    """The credit transfers in ``text``, in either format (told apart by the first character)."""
    if not text.strip():
        raise InputError(f"{source}: the file is empty; expected an MT103 or a pacs.008 message")
    if looks_like_pacs008(text):
        return parse_pacs008(text, source)
    if looks_like_mt103(text):
        return parse_mt103(text, source)
    first = text.lstrip("\ufeff \t\r\n").splitlines()[0][:40]
    raise InputError(
        f"{source}: line 1: neither an MT103 (starting '{{1:' or ':20:') "
        f"nor a pacs.008 XML document: {first!r}"
    )


def read_messages(path: Path) -> list[PaymentMessage]:
    """Every credit transfer in the file at ``path`` (strict UTF-8: a bad byte is reported, not guessed)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}: line {line}: the file is not valid UTF-8 (byte {exc.start})") from exc
    return parse_text(text, str(path))
