"""Every list format proscribe reads, and detection of the format of a path."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from proscribe.sources import eu_xml, ftm_json, ofac_csv, uk_csv, un_xml
from proscribe.sources.base import ListFormatError, ParsedList, Progress

#: format name -> module with FORMAT, DATASET, sniff() and read()
FORMATS: dict[str, ModuleType] = {m.FORMAT: m for m in (ofac_csv, un_xml, ftm_json, eu_xml, uk_csv)}


def detect(path: Path) -> str:
    """The format of ``path`` (a file, or a folder holding the OFAC files)."""
    if not path.exists():
        raise ListFormatError(path, "no such file or folder")
    for name, module in FORMATS.items():
        if module.sniff(path):
            return name
    raise ListFormatError(
        path, f"not a list format proscribe knows (one of: {', '.join(FORMATS)}); pass --format to say which"
    )


def read_list(
    path: Path, *, format: str | None = None, dataset: str | None = None, progress: Progress | None = None
) -> ParsedList:
    """Parse and validate a whole list file; raises ListFormatError naming what is wrong."""
    fmt = format or detect(path)
    if fmt not in FORMATS:
        raise ListFormatError(path, f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
    parsed: ParsedList = FORMATS[fmt].read(path, dataset=dataset, progress=progress)
    return parsed
