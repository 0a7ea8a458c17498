"""A list's successive versions, as a folder, an archive or several files, in publication order.

A replay imports each version as of its publication time. The time comes from, in this order:

1. an ``index.csv`` beside the files (or inside the archive) with the columns ``file`` and
   ``published_utc`` (an ISO time, ``Z`` or an offset), as ``ofac-sdn-history/index.csv`` has;
2. the file name, when it holds a date (``sdn-2022-03-04T184805Z.csv``, ``sdn-2022-03-04.csv``);
3. the date the user gives (``--as-of``), for a version that has neither.

A version with no date at all is not guessed: the replay refuses it (the import date would make
a three-year-old file look fresh).

Archives (``.tar.gz``, ``.tar.xz``, ``.tar.bz2``, ``.tar``, ``.zip``) are read in memory, never
unpacked to disk. A compressed tar can only be read from the start, and its members need not be
in publication order, so it is read in passes, each holding the next versions in order up to a
memory budget (``TAR_BUDGET`` bytes).
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import re
import tarfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any

from proscribe.sources.base import ListFormatError

INDEX_FILE = "index.csv"
#: how many bytes of versions one pass over a compressed tar may hold in memory
TAR_BUDGET = 256 * 1024 * 1024

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tar", ".zip")

_NAME_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T_ ](\d{2})[:]?(\d{2})[:]?(\d{2})Z?)?")


@dataclass(frozen=True)
class Version:
    """One version of the list: where it is, when it was published, and how we know."""

    name: str
    published: datetime | None
    #: "index.csv", "file name" or "--as-of"; "" when there is no date
    date_source: str
    #: the path of a file on disk, or the member's name inside ``archive``
    path: str
    archive: Path | None = None
    #: its size in bytes, when known (a tar member's)
    size: int = 0
    #: True when ``published`` is a time of day (an index, a timed file name), not only a date
    timed: bool = False

    @property
    def as_of(self) -> date | None:
        return self.published.astimezone(UTC).date() if self.published else None


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES)


def date_from_name(name: str) -> datetime | None:
    """The publication time a file name states (``sdn-2022-03-04T184805Z.csv``), in UTC, or None."""
    found = _NAME_DATE.search(PurePosixPath(name).name)
    if not found:
        return None
    y, m, d, hh, mm, ss = found.groups()
    try:
        day = date(int(y), int(m), int(d))
        at = time(int(hh), int(mm), int(ss)) if hh else time(0, 0)
    except ValueError:
        return None
    return datetime.combine(day, at, tzinfo=UTC)


def parse_index(text: str, source: str) -> dict[str, datetime]:
    """``file name -> publication time`` from an index.csv (columns ``file``, ``published_utc``)."""
    out: dict[str, datetime] = {}
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "file" not in reader.fieldnames or "published_utc" not in reader.fieldnames:
        raise ListFormatError(source, "an index.csv needs the columns 'file' and 'published_utc'")
    for row in reader:
        value = (row.get("published_utc") or "").strip()
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ListFormatError(
                source,
                f"{row.get('file')}: published_utc {value!r} is not an ISO time",
                f"line {reader.line_num}",
            ) from exc
        if when.tzinfo is None:
            raise ListFormatError(
                source,
                f"{row.get('file')}: published_utc {value!r} has no time zone",
                f"line {reader.line_num}",
            )
        out[PurePosixPath(row["file"]).name] = when.astimezone(UTC)
    return out


def _dated(
    name: str, path: str, index: dict[str, datetime], as_of: date | None, archive: Path | None, size: int = 0
) -> Version:
    base = PurePosixPath(name).name
    if base in index:
        return Version(base, index[base], "index.csv", path, archive, size, timed=True)
    from_name = date_from_name(base)
    if from_name is not None:
        timed = _NAME_DATE.search(base).group(4) is not None  # type: ignore[union-attr]
        return Version(base, from_name, "file name", path, archive, size, timed=timed)
    if as_of is not None:
        at = datetime.combine(as_of, time(0, 0), tzinfo=UTC)
        return Version(base, at, "--as-of", path, archive, size)
    return Version(base, None, "", path, archive, size)


def _is_version_name(name: str) -> bool:
    base = PurePosixPath(name).name
    return base.lower().endswith(".csv") and base.lower() != INDEX_FILE and not base.startswith(".")


@contextmanager
def _tar_stream(path: Path) -> Iterator[tarfile.TarFile]:
    """The tar read as a stream, decompressed in large reads.

    tarfile's own stream mode feeds the decompressor 10 KB at a time, which makes a 3 MB
    ``.tar.xz`` of 840 MB take minutes; a buffered decompressing file reads it in seconds.
    """
    with open(path, "rb") as raw:
        magic = raw.read(6)
    opener: Any
    if magic.startswith(b"\xfd7zXZ"):
        opener = lzma.open
    elif magic.startswith(b"\x1f\x8b"):
        opener = gzip.open
    elif magic.startswith(b"BZh"):
        opener = bz2.open
    else:
        opener = open
    with opener(path, "rb") as fh, tarfile.open(fileobj=io.BufferedReader(fh, 1 << 20), mode="r|") as tf:
        yield tf


def _archive_members(path: Path) -> tuple[list[tuple[str, int]], dict[str, datetime]]:
    """The version files an archive holds (name, size) and the index.csv inside it, if any (one pass)."""
    names: list[tuple[str, int]] = []
    index: dict[str, datetime] = {}
    try:
        if path.name.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if info.is_dir():
                        continue
                    if PurePosixPath(info.filename).name.lower() == INDEX_FILE:
                        index.update(parse_index(zf.read(info).decode("utf-8"), f"{path}:{info.filename}"))
                    elif _is_version_name(info.filename):
                        names.append((info.filename, info.file_size))
        else:
            with _tar_stream(path) as tf:
                for member in tf:
                    if not member.isfile():
                        continue
                    if PurePosixPath(member.name).name.lower() == INDEX_FILE:
                        fh = tf.extractfile(member)
                        if fh is not None:
                            index.update(parse_index(fh.read().decode("utf-8"), f"{path}:{member.name}"))
                    elif _is_version_name(member.name):
                        names.append((member.name, member.size))
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, lzma.LZMAError) as exc:
        raise ListFormatError(path, f"cannot read the archive ({exc})") from exc
    return names, index


def _index_beside(path: Path) -> dict[str, datetime]:
    candidate = (path if path.is_dir() else path.parent) / INDEX_FILE
    if candidate.is_file():
        return parse_index(candidate.read_text(encoding="utf-8"), str(candidate))
    return {}


def discover(paths: list[Path], as_of: date | None = None) -> list[Version]:
    """The versions the paths hold, oldest first (undated ones last, by name).

    ``paths`` is one folder, one archive, or several files (or archives).
    """
    versions: list[Version] = []
    for path in paths:
        if not path.exists():
            raise ListFormatError(path, "no such file or folder")
        if path.is_dir():
            index = _index_beside(path)
            for child in sorted(path.iterdir()):
                if child.is_file() and _is_version_name(child.name):
                    versions.append(_dated(child.name, str(child), index, as_of, None))
        elif is_archive(path):
            names, inner = _archive_members(path)
            index = {**_index_beside(path), **inner}
            versions.extend(_dated(n, n, index, as_of, path, size) for n, size in names)
        else:
            versions.append(_dated(path.name, str(path), _index_beside(path), as_of, None))
    if not versions:
        raise ListFormatError(", ".join(str(p) for p in paths), "no list versions (.csv files) found")
    far = datetime.max.replace(tzinfo=UTC)
    versions.sort(key=lambda v: (v.published or far, v.name))
    return versions


def read_versions(versions: list[Version], budget: int = TAR_BUDGET) -> Iterator[tuple[Version, bytes]]:
    """Each version's bytes, in the order given, read from disk or from its archive in memory."""
    i = 0
    while i < len(versions):
        v = versions[i]
        if v.archive is None:
            yield v, Path(v.path).read_bytes()
            i += 1
        elif v.archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(v.archive) as zf:
                while i < len(versions) and versions[i].archive == v.archive:
                    yield versions[i], zf.read(versions[i].path)
                    i += 1
        else:
            # the run of versions from this tar, read in passes of at most ``budget`` bytes
            j = i
            while j < len(versions) and versions[j].archive == v.archive:
                j += 1
            yield from _tar_in_order(v.archive, versions[i:j], budget)
            i = j


def _tar_in_order(archive: Path, wanted: list[Version], budget: int) -> Iterator[tuple[Version, bytes]]:
    start = 0
    while start < len(wanted):
        # the next run of versions whose bytes fit in the budget (at least one)
        end, size = start + 1, wanted[start].size
        while end < len(wanted) and size + wanted[end].size <= budget:
            size += wanted[end].size
            end += 1
        position = {wanted[k].path: k for k in range(start, end)}
        held: dict[int, bytes] = {}
        try:
            with _tar_stream(archive) as tf:
                for member in tf:
                    k = position.get(member.name)
                    if k is None:
                        continue
                    fh = tf.extractfile(member)
                    held[k] = fh.read() if fh is not None else b""
                    if len(held) == end - start:
                        break
        except (tarfile.TarError, EOFError, OSError, lzma.LZMAError) as exc:
            raise ListFormatError(archive, f"cannot read the archive ({exc})") from exc
        for k in range(start, end):
            if k not in held:
                raise ListFormatError(archive, f"{wanted[k].path}: not found in the archive")
            yield wanted[k], held.pop(k)
        start = end
