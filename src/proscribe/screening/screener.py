"""The screening API: a query in, ranked and explained hits out."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformdirs import user_cache_dir

from proscribe import __version__, matching
from proscribe.matching.index import Index
from proscribe.matching.normalize import HONORIFICS, clean, script_of, tokens, variants
from proscribe.matching.score import Comparison, Query, Reading
from proscribe.matching.search import compare_reading, compare_reading_above

if TYPE_CHECKING:  # a batch worker loading an index needs no database
    from proscribe.store import Store

#: hits at or above this score are reported (see docs/screening.md for how it was chosen)
DEFAULT_THRESHOLD = 0.3

KINDS = ("person", "organization", "vessel", "aircraft")


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """Changes with the matching code, so a cached index never outlives the code that built it."""
    h = hashlib.sha256(__version__.encode())
    for path in sorted(Path(matching.__file__).parent.glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def query_readings(query: Query) -> tuple[str, list[tuple[str, ...]]]:
    """The query name's script and the readings (word sequences) the matcher compares: what
    ``Screener.compare_all`` screens, and what the book's party keys are made of
    (``screening.party_keys``)."""
    is_org = query.kind not in (None, "person")
    script = script_of(clean(query.name))
    readings = variants(query.name, is_org=is_org)
    if query.kind is None:
        # of unknown kind, a name with a legal form in it is also read as a company's
        # ('АКЦИОНЕРНОЕ ОБЩЕСТВО "ЗЕСТ"' -> "ao zest", found as "CJSC ZEST")
        readings += [v for v in variants(query.name, is_org=True) if v not in readings]
    return script, readings


@dataclass
class Hit:
    """One listed entity a query may be."""

    query_id: str | None
    query_name: str
    entity_id: str
    dataset: str
    source_id: str
    schema: str
    caption: str
    score: float
    matched_name: str | None
    matched_name_kind: str | None
    programs: list[str]
    explanation: str
    features: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_comparison(cls, query: Query, comp: Comparison) -> Hit:
        e = comp.entity
        return cls(
            query_id=query.id,
            query_name=query.name,
            entity_id=e.entity_id,
            dataset=e.dataset,
            source_id=e.source_id,
            schema=e.schema,
            caption=e.caption,
            score=round(comp.score, 4),
            matched_name=comp.matched_name.text if comp.matched_name else None,
            matched_name_kind=comp.matched_name.kind if comp.matched_name else None,
            programs=list(e.programs),
            explanation=comp.explanation(),
            features={k: round(v, 4) for k, v in comp.features.items()},
        )

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


#: the longest run of words of free text screened as one name
MAX_TEXT_WINDOW = 5
#: after a title, this many words at most are read as a surname ("Mrs Fernandez Valencia")
MAX_SURNAME_WORDS = 2


def text_windows(index: Index, text: str) -> list[str]:
    """The runs of words of ``text`` that may be a name: up to MAX_TEXT_WINDOW words, starting and
    ending with a word that reaches some listed name, with at most one word inside that reaches
    none. Numbers and structure codes (/BNF/, //) break runs. A title before a name stays in its
    run: the name's own tokeniser drops it."""
    words: list[tuple[str, bool]] = []
    for raw in re.split(r"\s+", clean(text)):
        toks = tokens(raw)
        if not toks or re.fullmatch(r"[\W\d_]*", raw) or raw.startswith("/"):
            words.append(("", False))
            continue
        title = all(t in HONORIFICS for t in toks)
        reach = not title and any(index.expand(t, script_of(raw) == "abjad") for t in toks)
        words.append((raw, reach or title))
    out: list[str] = []
    for i, (w, ok) in enumerate(words):
        if not w or not ok:
            continue
        misses = 0
        for j in range(i, min(i + MAX_TEXT_WINDOW, len(words))):
            wj, okj = words[j]
            if not wj:
                break
            if not okj:
                misses += 1
                if misses > 1:
                    break
                continue
            out.append(" ".join(x for x, _ in words[i : j + 1]))
    return list(dict.fromkeys(out))


#: the index file this process last loaded or wrote, as it was then (modification time, size), and the
#: index: a process that asks again for the same lists (commands run one after another in one process,
#: a test's CLI calls) gets the index in memory instead of reading the file again (some 3 s for OFAC
#: and UN). One only, so no more memory is held than the index last asked for; a file changed since is
#: read anew.
_LAST_LOADED: dict[Path, tuple[tuple[int, int], Index]] = {}


def _file_mark(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_mtime_ns, st.st_size


def _remember(path: Path, screener: Screener) -> None:
    _LAST_LOADED.clear()
    with contextlib.suppress(OSError):  # removed meanwhile: nothing to remember
        _LAST_LOADED[path] = (_file_mark(path), screener.index)


def _last_loaded(path: Path) -> Screener | None:
    remembered = _LAST_LOADED.get(path)
    if remembered is None:
        return None
    try:
        if _file_mark(path) != remembered[0]:
            return None
    except OSError:
        return None
    screener = Screener(remembered[1])
    screener._file = (path, id(remembered[1]))
    return screener


class Screener:
    """Screens queries against one index (one set of list versions, as of one date)."""

    def __init__(self, index: Index) -> None:
        self.index = index
        #: the file this very index was loaded from or saved to (``saved_path``)
        self._file: tuple[Path, int] | None = None

    @property
    def saved_path(self) -> Path | None:
        """A file holding exactly this screener's index (the one it was loaded from or last saved
        to), if it is still there: batch workers load it instead of a copy written anew."""
        if self._file is None:
            return None
        path, ident = self._file
        return path if ident == id(self.index) and path.exists() else None

    @classmethod
    def from_store(
        cls,
        store: Store,
        *,
        as_of: date | None = None,
        datasets: list[str] | None = None,
        cache_dir: Path | None = None,
    ) -> Screener:
        """The index for the lists in ``store`` as of a date, built once and cached until a list changes."""
        key_src = (
            f"{_code_fingerprint()}|{store.engine.url.render_as_string(hide_password=True)}|{store.version_key()}|"
            f"{as_of}|{sorted(datasets or [])}"
        )
        if as_of is None:
            key_src += f"|{date.today()}"  # designations with end dates change from one day to the next
        key = hashlib.sha256(key_src.encode()).hexdigest()[:24]
        folder = cache_dir or Path(user_cache_dir("proscribe")) / "index"
        path = folder / f"index-{key}.pickle"
        if path.exists():
            remembered = _last_loaded(path)
            if remembered is not None:
                return remembered
            try:
                screener = cls.load(path)
            except Exception:  # a damaged or foreign cache file: rebuild it
                path.unlink(missing_ok=True)
            else:
                _remember(path, screener)
                return screener
        index = Index.build(store.iter_designated(as_of, datasets))
        index.built_from = {
            "version_key": store.version_key(),
            "as_of": str(as_of or date.today()),
            "datasets": sorted({e.dataset for e in index.entities}),
        }
        screener = cls(index)
        screener.save(path)
        _remember(path, screener)
        return screener

    def save(self, path: Path) -> None:
        """Write the index so that batch workers (or another machine) can load it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(self.index, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        self._file = (path, id(self.index))

    @classmethod
    def load(cls, path: Path) -> Screener:
        # only ever our own files, written by save(): pickle is not for untrusted input
        with open(path, "rb") as fh:
            index = pickle.load(fh)
        if not isinstance(index, Index):
            raise TypeError(f"{path} is not a proscribe index")
        screener = cls(index)
        screener._file = (path, id(index))
        return screener

    def compare_all(
        self, query: Query, threshold: float = 0.0, *, above_only: bool = False
    ) -> list[Comparison]:
        """The candidates the index finds for the query, compared and sorted best first.

        With a ``threshold``, candidates that cannot reach it (judged from what the index has seen
        of them) are not compared at all; with none, every candidate is (for evaluation, calibration
        and the test that the pruned search misses nothing). ``above_only``: only the comparisons
        reaching ``threshold`` are wanted (``screen``): the others are not written up, and the
        result is the full one with them left out, in the same order.
        """
        script, readings = query_readings(query)
        if above_only and threshold > 0:
            # each entity keeps its place from its first comparison, as below, even one under the
            # threshold (None): ties of score come out in the same order
            kept: dict[int, Comparison | None] = {}
            for qtoks in readings:
                reading = Reading.of(self.index, qtoks, script)
                for ent, found in compare_reading_above(self.index, query, reading, threshold):
                    before = kept.get(ent)
                    if found is not None and (before is None or found.score > before.score):
                        kept[ent] = found
                    elif ent not in kept:
                        kept[ent] = None
            out = [c for c in kept.values() if c is not None]
            out.sort(key=lambda c: c.score, reverse=True)
            return out
        best: dict[int, Comparison] = {}
        for qtoks in readings:
            reading = Reading.of(self.index, qtoks, script)
            for comp in compare_reading(self.index, query, reading, threshold):
                key = id(comp.entity)
                if key not in best or comp.score > best[key].score:
                    best[key] = comp
        out = list(best.values())
        out.sort(key=lambda c: c.score, reverse=True)
        return out

    def compare_text(self, text: str, threshold: float = 0.0) -> list[Comparison]:
        """Listed names written somewhere inside free text (remittance information, a reference).

        Text is not a name: most of its words are not, and a name in it may be cut to an initial or
        a title and a surname ("Fees for services to Mr N. Guillou"). Every short run of words in
        the text (``text_windows``) is screened as a name, and each listed entity keeps the run that
        matches it best; the comparison's ``window`` says which.
        """
        best: dict[int, Comparison] = {}
        for window in text_windows(self.index, text):
            # one word of a text ("SEP", "DANIEL") is not a name written exactly, even when a
            # listing has that one word as a name: it keeps its calibrated score
            single = len(tokens(window)) < 2
            comps = self.compare_all(Query(window), threshold) + self._compare_surname(window, threshold)
            for comp in comps:
                if single and comp.calibrated is not None:
                    comp.score = comp.calibrated
                key = id(comp.entity)
                if key not in best or comp.score > best[key].score:
                    comp.window = window
                    best[key] = comp
        out = sorted(best.values(), key=lambda c: c.score, reverse=True)
        return out

    def _compare_surname(self, window: str, threshold: float) -> list[Comparison]:
        """A title and one or two words ("Mr Akbariana", "Mrs Fernandez Valencia") name a person by
        the surname: compared with listed persons' family names, the given names left unstated
        (``score.addressed``). Nothing for any other run of words."""
        words = re.split(r"\s+", clean(window).strip())
        first = tokens(words[0])
        if len(words) < 2 or not first or not all(t in HONORIFICS for t in first):
            return []
        toks = tokens(window)
        if not 1 <= len(toks) <= MAX_SURNAME_WORDS or any(len(t) == 1 or t in HONORIFICS for t in toks):
            return []
        query = Query(window, kind="person")
        reading = Reading.of(self.index, toks, script_of(clean(window)), surname=True)
        return compare_reading(self.index, query, reading, threshold)

    def screen_text(self, text: str, *, threshold: float = DEFAULT_THRESHOLD, limit: int = 10) -> list[Hit]:
        """``compare_text``'s hits at or above ``threshold``, best first, as ``Hit``s."""
        hits: list[Hit] = []
        for comp in self.compare_text(text, threshold):
            if comp.score < threshold or len(hits) >= limit:
                break
            hits.append(Hit.from_comparison(Query(comp.window or text), comp))
        return hits

    def screen(
        self,
        query: Query,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        limit: int = 10,
        datasets: Iterable[str] | None = None,
        programs: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
    ) -> list[Hit]:
        """Listed entities the query may be, scoring at least ``threshold``, best first."""
        ds = set(datasets) if datasets else None
        progs = set(programs) if programs else None
        ks = set(kinds) if kinds else None
        hits: list[Hit] = []
        for comp in self.compare_all(query, threshold, above_only=True):
            if comp.score < threshold:
                break
            e = comp.entity
            if (
                (ds and e.dataset not in ds)
                or (ks and e.kind not in ks)
                or (progs and not progs.intersection(e.programs))
            ):
                continue
            hits.append(Hit.from_comparison(query, comp))
            if len(hits) >= limit:
                break
        return hits
