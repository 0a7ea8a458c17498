"""Every list format proscribe reads, and detection of the format of a path."""

from __future__ import annotations

import re
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
    if dataset is not None:
        check_dataset_name(path, dataset, "--dataset")
    parsed: ParsedList = FORMATS[fmt].read(path, dataset=dataset, progress=progress)
    check_dataset_name(path, parsed.dataset, "the file's 'datasets'")
    return parsed


#: a dataset's name: lower-case letters, digits and underscores, as OpenSanctions names them
#: (``us_ofac_sdn``); it is a key in the store, a part of index file names and of URLs
DATASET_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def check_dataset_name(path: Path, name: str, where: str) -> None:
    """Refuse a dataset name that is not ``DATASET_NAME`` (one from a file is data, not trusted)."""
    if not DATASET_NAME.match(name):
        shown = name if len(name) <= 80 else name[:77] + "..."
        raise ListFormatError(
            path,
            f"dataset name {shown!r} ({where}): use lower-case letters, digits and '_', "
            "starting with a letter, at most 64 characters",
        )
