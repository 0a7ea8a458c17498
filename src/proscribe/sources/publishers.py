"""Where each official list is published, and fetching it (or finding it in a local mirror).

Downloads land in a dated folder first and are only imported once complete, so a broken
connection never reaches the store.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from proscribe.sources.base import ListFormatError


@dataclass(frozen=True)
class Publication:
    dataset: str
    format: str
    title: str
    #: file name to save as -> URL
    files: dict[str, str]

    @property
    def target_name(self) -> str:
        """What to hand to the importer inside the download folder: a file, or the folder itself."""
        return next(iter(self.files)) if len(self.files) == 1 else "."


OFAC_EXPORTS = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"

PUBLICATIONS: tuple[Publication, ...] = (
    Publication(
        "us_ofac_sdn",
        "ofac-csv",
        "US OFAC Specially Designated Nationals (legacy CSV)",
        {name.lower(): OFAC_EXPORTS + name for name in ("SDN.CSV", "ALT.CSV", "ADD.CSV", "SDN_COMMENTS.CSV")},
    ),
    Publication(
        "un_sc_sanctions",
        "un-xml",
        "UN Security Council Consolidated List",
        {"consolidated.xml": "https://scsanctions.un.org/resources/xml/en/consolidated.xml"},
    ),
    Publication(
        "eu_fsf",
        "eu-xml",
        "EU Financial Sanctions Files (consolidated list)",
        {
            "eu_fsf.xml": "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content"
            "?token=dG9rZW4tMjAxNw"
        },
    ),
    Publication(
        "gb_fcdo_sanctions",
        "uk-csv",
        "UK Sanctions List (FCDO)",
        {"UK-Sanctions-List.csv": "https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.csv"},
    ),
)


class DownloadFailed(Exception):
    pass


def download(pub: Publication, into: Path, *, timeout: float = 30.0) -> Path:
    """Fetch every file of ``pub`` into a new folder under ``into``; return the path to import."""
    folder = into / pub.dataset / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=True)
    headers = {"User-Agent": "proscribe (sanctions list importer)"}
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, headers=headers) as client:
            for name, url in pub.files.items():
                tmp = folder / (name + ".part")
                with client.stream("GET", url) as resp:
                    if resp.status_code != 200:
                        raise DownloadFailed(f"{url}: HTTP {resp.status_code}")
                    with open(tmp, "wb") as fh:
                        for chunk in resp.iter_bytes():
                            fh.write(chunk)
                os.replace(tmp, folder / name)
    except BaseException as exc:
        # a failed download leaves nothing behind: no empty or half-written folder in the cache
        shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            folder.parent.rmdir()  # only when it is empty
        if isinstance(exc, httpx.HTTPError):
            raise DownloadFailed(f"{pub.title}: {exc.__class__.__name__}: {exc}") from exc
        raise
    return folder / pub.target_name


def find_in_mirror(mirror: Path) -> Iterator[tuple[Path, str]]:
    """Every list file (or OFAC folder) below ``mirror`` that proscribe can read, with its format."""
    from proscribe.sources.formats import FORMATS

    if not mirror.is_dir():
        raise ListFormatError(mirror, "the mirror is not a folder")
    candidates = [mirror, *sorted(p for p in mirror.rglob("*") if not p.name.startswith("."))]
    taken: list[Path] = []
    for path in candidates:
        # a folder read as a whole (the OFAC files) also holds files that would sniff on their own
        if any(path.is_relative_to(t) for t in taken):
            continue
        for name, module in FORMATS.items():
            try:
                if module.sniff(path):
                    if path.is_dir():
                        taken.append(path)
                    yield path, name
                    break
            except OSError:
                continue
