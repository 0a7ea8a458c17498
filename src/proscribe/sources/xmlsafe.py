"""Reading list XML that may be hostile, one record element at a time.

List files come from the network or from a mirror someone else controls, so the XML
importers never hand them to a parser that would expand entities, fetch external
entities or load a DTD. Every file goes through ``defusedxml`` with DOCTYPE
declarations refused outright: no official list needs a DTD, and refusing the
declaration stops entity-expansion bombs ("billion laughs"), external entities (XXE)
and external DTD fetches in one place.

Errors come back as :class:`~proscribe.sources.base.ListFormatError` naming the file,
the reason and, for malformed or truncated XML, the line and column.

Memory stays flat: :class:`XmlRecords` yields each record element when its end tag is
read, then clears it and detaches it from its parent, so a list of any size is held
one record at a time.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import iterparse

from proscribe.sources.base import ListFormatError

__all__ = ["RootPeek", "XmlRecords", "child_text", "clean_text", "local_name", "peek_root"]

#: how much of a file ``peek_root`` reads; the root start tag of every list is well inside it
PEEK_BYTES = 8192

# Expat's messages for a document that stops before its root element closes.
_TRUNCATION_HINTS = ("no element found", "unclosed token", "unclosed cdata", "unexpected end")

# Only read on the error path, to say *why* a DOCTYPE was refused.
_ENTITY_DECL = re.compile(rb"<!ENTITY\s+(%\s+)?([^\s>]+)\s+(SYSTEM|PUBLIC)?", re.IGNORECASE)


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rsplit("}", 1)[-1]


def clean_text(value: str | None) -> str:
    """Text with runs of whitespace (including the hard line-wraps lists contain) made one space."""
    return " ".join(value.split()) if value else ""


def child_text(elem: Element, tag: str) -> str:
    """The cleaned text of the first child ``tag`` of ``elem``, or ``""``."""
    child = elem.find(tag)
    return clean_text(child.text) if child is not None else ""


class XmlRecords:
    """The record elements of an XML list file, streamed and defused.

    Iterate to get each element whose tag is in ``record_tags`` (exact, namespaced
    tags) once it is complete. The element is cleared as soon as the loop body
    returns, so read what you need from it before the next iteration.
    ``root_tag`` and ``root_attrib`` are set as soon as the root start tag is read,
    i.e. before the first record is yielded. When ``expected_root`` is given, any
    other root element is refused.
    """

    def __init__(self, path: Path, record_tags: Collection[str], *, expected_root: str | None = None) -> None:
        self.path = path
        self.record_tags = frozenset(record_tags)
        self.expected_root = expected_root
        self.root_tag: str | None = None
        self.root_attrib: dict[str, str] = {}

    def __iter__(self) -> Iterator[Element]:
        try:
            with open(self.path, "rb") as fh:
                yield from self._stream(fh)
        except DTDForbidden as exc:
            raise ListFormatError(self.path, self._doctype_reason(exc)) from exc
        except EntitiesForbidden as exc:  # only reachable if a DTD slipped through; kept as a backstop
            raise ListFormatError(
                self.path, f"declares the entity {exc.name!r}; entities are refused"
            ) from exc
        except ExternalReferenceForbidden as exc:
            raise ListFormatError(
                self.path, f"refers to the external resource {exc.sysid!r}; external references are refused"
            ) from exc
        except ParseError as exc:
            raise self._parse_error(exc) from exc
        except OSError as exc:
            raise ListFormatError(self.path, f"cannot be read ({exc.strerror or exc})") from exc

    def _stream(self, fh: IO[bytes]) -> Iterator[Element]:
        # The stack of open elements lets a finished record be detached from its parent:
        # clear() alone would leave an empty element behind for every record.
        stack: list[Element] = []
        for event, elem in iterparse(fh, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                if not stack:
                    self._check_root(elem)
                stack.append(elem)
                continue
            stack.pop()
            if elem.tag in self.record_tags:
                yield elem
                elem.clear()
                if stack:
                    stack[-1].remove(elem)

    def _check_root(self, root: Element) -> None:
        self.root_tag = root.tag
        self.root_attrib = dict(root.attrib)
        if self.expected_root is not None and root.tag != self.expected_root:
            raise ListFormatError(
                self.path, f"the root element is {root.tag!r}, expected {self.expected_root!r}"
            )

    def _doctype_reason(self, exc: DTDForbidden) -> str:
        if exc.sysid or exc.pubid:
            return (
                f"refers to an external DTD ({exc.sysid or exc.pubid!r}); "
                "DOCTYPE declarations are refused in list files"
            )
        # The DOCTYPE is inline: look at what it declares so the message names the attack.
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(1 << 16)
        except OSError:
            head = b""
        decls = _ENTITY_DECL.findall(head)
        external = [name.decode("utf-8", "replace") for _, name, kind in decls if kind]
        if external:
            return (
                f"declares the external entity {external[0]!r} (XXE); "
                "DOCTYPE declarations and entities are refused in list files"
            )
        if decls:
            names = ", ".join(repr(name.decode("utf-8", "replace")) for _, name, _ in decls[:3])
            return (
                f"declares entities ({names}) that could expand without bound (billion laughs); "
                "DOCTYPE declarations and entities are refused in list files"
            )
        return "contains a DOCTYPE declaration; DTDs are refused in list files"

    def _is_empty(self) -> bool:
        try:
            return self.path.stat().st_size == 0
        except OSError:
            return False

    def _parse_error(self, exc: ParseError) -> ListFormatError:
        line, column = getattr(exc, "position", (0, 0))
        message = str(exc).split(":", 1)[0]
        if self._is_empty():
            return ListFormatError(self.path, "the file is empty; expected an XML list")
        if any(hint in message for hint in _TRUNCATION_HINTS):
            reason = f"the XML stops before it is complete; the file looks truncated ({message})"
        else:
            reason = f"not well-formed XML ({message})"
        # expat counts columns from 0; people count from 1
        return ListFormatError(self.path, reason, location=f"line {line}, column {column + 1}")


@dataclass(frozen=True)
class RootPeek:
    """What the first few KB of a file say about its root element."""

    #: local name of the root element, or None when the head holds no start tag
    name: str | None
    #: namespace URI of the root element, or None
    namespace: str | None
    #: the head as text, for extra checks such as "does a record tag appear"
    head: str


_COMMENT_OR_PI = re.compile(r"<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", re.DOTALL | re.IGNORECASE)
_START_TAG = re.compile(r"<([A-Za-z_][\w.\-]*)(?::([A-Za-z_][\w.\-]*))?([^>]*)>?")
_XMLNS = re.compile(r"""xmlns(?::([\w.\-]+))?\s*=\s*["']([^"']*)["']""")


def peek_root(path: Path, size: int = PEEK_BYTES) -> RootPeek:
    """The root element of ``path`` from its first ``size`` bytes, without parsing the file.

    Used by the format sniffers: it never raises on odd input and never resolves
    anything, it only pattern-matches the head of the file.
    """
    try:
        if not path.is_file():
            return RootPeek(None, None, "")
        with open(path, "rb") as fh:
            raw = fh.read(size)
    except OSError:
        return RootPeek(None, None, "")
    text = raw.decode("utf-8-sig", errors="replace")
    if not text.lstrip().startswith("<"):
        return RootPeek(None, None, text)
    match = _START_TAG.search(_COMMENT_OR_PI.sub("", text))
    if match is None:
        return RootPeek(None, None, text)
    first, second, attrs = match.groups()
    prefix, name = (first, second) if second else (None, first)
    namespaces = {pfx or None: uri for pfx, uri in _XMLNS.findall(attrs)}
    return RootPeek(name, namespaces.get(prefix), text)
