"""Screening benchmark: proscribe, an OFAC-style baseline and nomenklatura's logic-v2 on identical data.

Run ``python bench/evalsets.py`` once, then ``python bench/screening.py`` (full, ~10 minutes) or
``python bench/screening.py --quick`` (samples, under 2 minutes). Prints a Markdown report and
writes it to ``var/bench/screening.md``; draws the precision/recall curves into
``docs/screening-pr.png``. Only the ``test`` split of each set is used here (``dev`` is for
``bench/calibrate.py``).

The three systems see the same queries and the same listings:

proscribe
  ``Screener.compare_all`` on the index of the designated listings, reported at
  ``proscribe.screening.DEFAULT_THRESHOLD``.
ofac-style baseline (written here, after OFAC's description of its Sanctions List Search, FAQ 249)
  names folded to lower-case letters without accents (no transliteration: a name in another
  script only matches a name in that script, as in OFAC's tool); score = the higher of
  (a) Jaro-Winkler of the whole query against the whole listed name and (b) the composite of
  the name parts: each query part takes its best listed part, where a pair is only compared when
  both start with the same letter (OFAC's first-letter pre-filter), scores its Jaro-Winkler, or
  the mean of Jaro-Winkler and 1.0 when both parts have the same Soundex code, and counts 0 under
  0.75; the parts are averaged weighted by length. Listed parts left unmatched cost nothing (OFAC
  returns 100 for "Khamis Al" against every Khamis). Strong aliases are screened, weak ones are
  not (OFAC does not expect weak AKAs to be screened). Every listed name is scored (no
  retrieval step: the whole-name Jaro-Winkler runs against all names in C, via rapidfuzz). The
  threshold is a fixed slider value, as OFAC's tool has it: its slider goes from 50 to 100 and
  defaults to 100 (exact); users commonly set it near 85, and so do we (0.85).
nomenklatura logic-v2 (yente's default), threshold 0.70 as in yente
  it compares entity pairs and has no index of its own here, so its candidates are the union of
  the 10 best listings of proscribe and the 10 best of the baseline for each query (at most 20,
  yente's ``/match`` scores 50 from Elasticsearch by default); the report gives the share of
  positive queries whose expected listing was among the candidates. It runs in two processes, on
  every test query in the full run and on a small fixed sample of each set with ``--quick``.

A query *alerts* when any listing scores at or above the system's threshold; a positive query
is *found* when an expected listing is among its 10 best results at or above the threshold.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import evalsets
from evalsets import OUT, ROOT

from proscribe.matching.index import Index
from proscribe.screening import DEFAULT_THRESHOLD, Query, Screener
from proscribe.sources.base import Record

TOP = 10
BASELINE_THRESHOLD = 0.85
NK_THRESHOLD = 0.70
INDEXES = ("full", "latin", "ofac")

Row = dict[str, Any]
Ranked = list[tuple[str, float]]


@dataclass
class Outcome:
    """What one system said about one query."""

    top: Ranked  # best first, at most TOP
    expected_score: float  # best score of an expected listing, 0 if not scored
    max_score: float
    candidates: set[str] = field(default_factory=set)
    matched: dict[str, str] = field(default_factory=dict)  # listing -> the listed name that matched best


def to_query(row: Row) -> Query:
    return Query(
        name=row["name"],
        kind=row["kind"],
        birth_date=row["birth_date"],
        country=row["country"],
        id_number=row["id_number"],
        id=row["qid"],
    )


def outcome(row: Row, scored: Ranked, keep: int = TOP) -> Outcome:
    scored = sorted(scored, key=lambda x: -x[1])
    expected = set(row["expected"])
    exp = max((s for e, s in scored if e in expected), default=0.0)
    return Outcome(scored[:keep], exp, scored[0][1] if scored else 0.0, {e for e, _ in scored})


# -- proscribe ---------------------------------------------------------------------------------------


class Proscribe:
    name = "proscribe"
    threshold = DEFAULT_THRESHOLD

    def __init__(self, screeners: dict[str, Screener]) -> None:
        self.screeners = screeners

    def run(self, rows: Sequence[Row]) -> dict[str, Outcome]:
        out = {}
        for row in rows:
            comps = self.screeners[row["index"]].compare_all(to_query(row))
            o = outcome(row, [(c.entity.entity_id, c.score) for c in comps])
            o.matched = {c.entity.entity_id: c.matched_name.text for c in comps[:TOP] if c.matched_name}
            out[row["qid"]] = o
        return out


# -- the OFAC-style baseline -------------------------------------------------------------------------

_NONWORD = re.compile(r"[\W_]+", re.UNICODE)
_SOUNDEX = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}


def ofac_fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("'", "").replace("\u2019", ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(_NONWORD.sub(" ", text).split())


def soundex(token: str) -> str:
    """American Soundex (letter + 3 digits); '' for tokens that are not plain a-z."""
    if not token.isascii() or not token.isalpha():
        return ""
    out, last = token[0].upper(), _SOUNDEX.get(token[0], "")
    for ch in token[1:]:
        code = _SOUNDEX.get(ch, "")
        if code and code != last:
            out += code
        if ch not in "hw":
            last = code
    return (out + "000")[:4]


class OfacBaseline:
    name = "ofac-style"
    threshold = BASELINE_THRESHOLD
    token_cutoff = 0.75

    def __init__(self, records: Iterable[Record]) -> None:
        self.entity_ids: list[str] = []
        self.kinds: list[str] = []
        self.name_entity: list[int] = []
        self.name_strings: list[str] = []
        self.name_tokens: list[tuple[str, ...]] = []
        postings: dict[str, list[int]] = defaultdict(list)
        for rec in records:
            ent = len(self.entity_ids)
            self.entity_ids.append(rec.target.id or "")
            self.kinds.append(evalsets.kind_of(rec))
            seen: set[str] = set()
            for prop in ("name", "alias", "previousName"):
                for value in evalsets.props(rec, prop):
                    folded = ofac_fold(value)
                    if not folded or folded in seen:
                        continue
                    seen.add(folded)
                    nid = len(self.name_strings)
                    self.name_entity.append(ent)
                    self.name_strings.append(folded)
                    toks = tuple(folded.split())
                    self.name_tokens.append(toks)
                    for t in set(toks):
                        postings[t].append(nid)
        self.vocab = sorted(postings)
        self.postings = [postings[t] for t in self.vocab]
        self.by_soundex: dict[str, list[int]] = defaultdict(list)
        for vi, t in enumerate(self.vocab):
            code = soundex(t)
            if code and len(t) >= 3:
                self.by_soundex[code].append(vi)

    def run(self, rows: Sequence[Row], batch: int = 128, keep: int = TOP) -> dict[str, Outcome]:
        import numpy as np
        from rapidfuzz.distance import JaroWinkler
        from rapidfuzz.process import cdist

        out: dict[str, Outcome] = {}
        jw = JaroWinkler.normalized_similarity
        for b in range(0, len(rows), batch):
            chunk = rows[b : b + batch]
            qstrings = [ofac_fold(r["name"]) for r in chunk]
            whole = cdist(
                qstrings, self.name_strings, scorer=jw, score_cutoff=0.6, dtype=np.float32, workers=-1
            )
            qtoks = sorted({t for s in qstrings for t in s.split()})
            tok_pos = {t: i for i, t in enumerate(qtoks)}
            parts = cdist(
                qtoks, self.vocab, scorer=jw, score_cutoff=self.token_cutoff, dtype=np.float32, workers=-1
            )
            for qi, row in enumerate(chunk):
                best: dict[int, float] = {}
                for nid in np.nonzero(whole[qi])[0].tolist():
                    best[nid] = float(whole[qi, nid])
                toks = qstrings[qi].split()
                total = sum(len(t) for t in toks) or 1
                part_best: dict[int, float] = defaultdict(float)
                for t in toks:
                    row_scores = parts[tok_pos[t]]
                    sims: dict[int, float] = {
                        v: float(row_scores[v]) for v in np.nonzero(row_scores)[0].tolist()
                    }
                    code = soundex(t)
                    if code and len(t) >= 3:
                        for v in self.by_soundex.get(code, ()):
                            s = sims.get(v) or jw(t, self.vocab[v])
                            sims[v] = (s + 1.0) / 2
                    per_name: dict[int, float] = {}
                    for v, s in sims.items():
                        if self.vocab[v][0] != t[0]:
                            continue  # OFAC compares name parts starting with the same letter only
                        for nid in self.postings[v]:
                            if s > per_name.get(nid, 0.0):
                                per_name[nid] = s
                    w = len(t) / total
                    for nid, s in per_name.items():
                        part_best[nid] += w * s
                for nid, s in part_best.items():
                    if s > best.get(nid, 0.0):
                        best[nid] = s
                per_entity: dict[int, float] = {}
                for nid, s in best.items():
                    ent = self.name_entity[nid]
                    if row["kind"] and self.kinds[ent] != row["kind"]:
                        continue
                    if s > per_entity.get(ent, 0.0):
                        per_entity[ent] = min(s, 1.0)
                ranked = sorted(per_entity.items(), key=lambda x: -x[1])[: max(keep, 100)]
                out[row["qid"]] = outcome(row, [(self.entity_ids[e], s) for e, s in ranked], keep)
        return out


# -- nomenklatura logic-v2 ---------------------------------------------------------------------------

_NK: dict[str, Any] = {}  # per process: the entities by index, filled before the pool forks

SCHEMA_OF_KIND = {
    "person": "Person",
    "organization": "Organization",
    "vessel": "Vessel",
    "aircraft": "Airplane",
    None: "LegalEntity",
}


def nk_query_entity(row: Row) -> Any:
    from followthemoney import model

    ent = model.make_entity(SCHEMA_OF_KIND[row["kind"]])
    ent.id = "q-" + re.sub(r"[^A-Za-z0-9.-]", "-", row["qid"])
    ent.add("name", row["name"], quiet=True)
    if row["birth_date"]:
        ent.add("birthDate", row["birth_date"], quiet=True)
    if row["country"]:
        ent.add("nationality" if row["kind"] == "person" else "country", row["country"], quiet=True)
    if row["id_number"]:
        ent.add("idNumber", row["id_number"], quiet=True)
    return ent


def nk_score(task: tuple[Row, list[str]]) -> tuple[str, Ranked, float, int]:
    from nomenklatura.matching import LogicV2

    row, cands = task
    t0 = time.perf_counter()
    q = nk_query_entity(row)
    entities = _NK["entities"][row["index"]]
    config = _NK["config"]
    scored = [(eid, float(LogicV2.compare(q, entities[eid], config).score)) for eid in cands]
    return row["qid"], scored, time.perf_counter() - t0, len(cands)


class NomenklaturaV2:
    name = "nomenklatura logic-v2"
    threshold = NK_THRESHOLD

    def __init__(self, records_by_index: dict[str, list[Record]]) -> None:
        from followthemoney import model
        from nomenklatura.matching import LogicV2

        _NK["entities"] = {k: {r.target.id: r.target for r in recs} for k, recs in records_by_index.items()}
        _NK["config"] = LogicV2.default_config()
        t0 = time.perf_counter()  # the first comparison loads rigour's name tables: do it before forking
        a = model.make_entity("Person")
        a.id = "warm"
        a.add("name", "Vladimir Putin")
        LogicV2.compare(a, a, _NK["config"])
        self.warmup = time.perf_counter() - t0
        self.pairs = 0
        self.wall = 0.0
        self.per_query: list[float] = []

    def run(
        self, rows: Sequence[Row], candidates: dict[str, list[str]], procs: int = 2, keep: int = TOP
    ) -> dict[str, Outcome]:
        tasks = [(r, candidates[r["qid"]]) for r in rows]
        by_qid = {r["qid"]: r for r in rows}
        out: dict[str, Outcome] = {}
        t0 = time.perf_counter()
        with mp.get_context("fork").Pool(procs) as pool:
            for qid, scored, secs, n in pool.imap_unordered(nk_score, tasks, chunksize=8):
                out[qid] = outcome(by_qid[qid], scored, keep)
                self.per_query.append(secs)
                self.pairs += n
        self.wall += time.perf_counter() - t0
        return out


# -- metrics -----------------------------------------------------------------------------------------


def found(row: Row, o: Outcome, threshold: float) -> bool:
    expected = set(row["expected"])
    return any(e in expected and s >= threshold for e, s in o.top)


def alerts(o: Outcome, threshold: float) -> bool:
    return o.max_score >= threshold


def on_listed(row: Row, o: Outcome, threshold: float) -> bool:
    listed = set(row["label"].get("listed", ()))
    return any(e in listed and s >= threshold for e, s in o.top)


def rate(values: Iterable[bool]) -> tuple[float, int]:
    v = list(values)
    return (sum(v) / len(v) if v else math.nan), len(v)


def fmt(r: tuple[float, int], pct: bool = True) -> str:
    value, n = r
    if n == 0 or math.isnan(value):
        return "–"
    return f"{100 * value:.1f} % (n={n})" if pct else f"{value:.3f} (n={n})"


def pct(p: float, digits: int = 2) -> str:
    return "–" if math.isnan(p) else f"{100 * p:.{digits}f} %"


def _is_script(script: str, origin: str) -> Callable[[Row], bool]:
    def pred(r: Row) -> bool:
        lab = r["label"]
        return bool(
            r["set"] == "variants"
            and lab["group"] == "script"
            and lab["script"] == script
            and lab["origin"] == origin
        )

    return pred


def _is_transform(how: str) -> Callable[[Row], bool]:
    return lambda r: bool(r["set"] == "noisy" and r["label"]["transform"] == how)


def breakdowns(rows: Sequence[Row]) -> list[tuple[str, Callable[[Row], bool]]]:
    """The lines of the recall table: (label, row filter)."""
    lines: list[tuple[str, Callable[[Row], bool]]] = [
        ("variants (all)", lambda r: r["set"] == "variants"),
        ("- alias (Latin, listed)", lambda r: r["set"] == "variants" and r["label"]["group"] == "alias"),
        (
            "- crosslist UN -> OFAC (all)",
            lambda r: r["set"] == "variants" and r["label"]["group"] == "crosslist",
        ),
        (
            "- crosslist, spelled differently",
            lambda r: (
                r["set"] == "variants"
                and r["label"]["group"] == "crosslist"
                and not r["label"].get("literal")
            ),
        ),
    ]
    scripts = sorted(
        {
            (r["label"]["script"], r["label"]["origin"])
            for r in rows
            if r["set"] == "variants" and r["label"]["group"] == "script"
        }
    )
    for script, origin in scripts:
        lines.append(
            (
                f"- {script} script ({'from the lists' if origin == 'list' else 'synthesised'})",
                _is_script(script, origin),
            )
        )
    lines.append(("noisy (all)", lambda r: r["set"] == "noisy"))
    for how in sorted({r["label"]["transform"] for r in rows if r["set"] == "noisy"}):
        lines.append((f"- {how}", _is_transform(how)))
    lines.append(
        (
            "variants + noisy, with a birth date",
            lambda r: r["set"] in ("variants", "noisy") and bool(r["birth_date"]),
        )
    )
    lines.append(
        (
            "variants + noisy, name only",
            lambda r: (
                r["set"] in ("variants", "noisy") and not (r["birth_date"] or r["country"] or r["id_number"])
            ),
        )
    )
    return lines


def threshold_for_recall(rows: Sequence[Row], res: dict[str, Outcome], target: float = 0.97) -> float:
    """The highest threshold at which at least ``target`` of the positive rows are found."""
    scores = sorted((res[r["qid"]].expected_score if r["qid"] in res else 0.0) for r in rows)
    if not scores:
        return math.nan
    k = math.floor((1 - target) * len(scores))
    return scores[k]


def pr_curve(
    pos: Sequence[Row], neg: Sequence[Row], res: dict[str, Outcome], ratio: float
) -> tuple[list[float], list[float], list[float], list[float]]:
    """recall, precision (at the prevalence pos:neg = 1:ratio), false-alert rate, threshold."""
    import numpy as np

    ps = np.array([res[r["qid"]].expected_score for r in pos if r["qid"] in res])
    ns = np.array([res[r["qid"]].max_score for r in neg if r["qid"] in res])
    recall, precision, far, ts = [], [], [], []
    for t in np.linspace(0.01, 1.0, 200):
        rec = float((ps >= t).mean()) if len(ps) else 0.0
        fa = float((ns >= t).mean()) if len(ns) else 0.0
        prec = rec / (rec + fa * ratio) if rec + fa > 0 else 1.0
        recall.append(rec)
        precision.append(prec)
        far.append(fa)
        ts.append(float(t))
    return recall, precision, far, ts


def plot(
    curves: dict[str, tuple[list[float], list[float], list[float], list[float]]],
    points: dict[str, tuple[float, float, float]],
    ratio: float,
    path: Path,
    note: str,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5))
    colours = {"proscribe": "tab:blue", "ofac-style": "tab:orange", "nomenklatura logic-v2": "tab:green"}
    for name, (rec, prec, far, _) in curves.items():
        c = colours.get(name)
        ax1.plot(rec, prec, label=name, color=c)
        ax2.plot([max(f, 1e-5) for f in far], rec, label=name, color=c)
        if name in points:
            r, p, f = points[name]
            ax1.plot([r], [p], "o", color=c)
            ax2.plot([max(f, 1e-5)], [r], "o", color=c)
    ax1.set_xlabel("recall (variants + noisy, test)")
    ax1.set_ylabel(f"precision (1 listed : {ratio:.1f} non-listed queries)")
    ax1.set_title("Precision / recall over thresholds")
    ax1.set_xlim(0.5, 1.0)
    ax1.grid(True, alpha=0.3)
    ax1.legend(loc="lower left")
    ax2.set_xscale("log")
    ax2.set_xlabel("false-alert rate on non-listed names (log; 0 drawn at 1e-5)")
    ax2.set_ylabel("recall")
    ax2.set_title("Recall against false alerts (dots: each system's threshold)")
    ax2.axvline(0.005, color="grey", ls=":", lw=1)
    ax2.axhline(0.97, color="grey", ls=":", lw=1)
    ax2.grid(True, alpha=0.3)
    fig.text(0.01, 0.01, note, fontsize=7, color="grey")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# -- performance -------------------------------------------------------------------------------------

_POOL: dict[str, Screener] = {}
CAPTIONS: dict[str, str] = {}


def _pool_init(path: str) -> None:
    _POOL["s"] = Screener.load(Path(path))


def _pool_screen(rows: list[Row]) -> int:
    s = _POOL["s"]
    n = 0
    for r in rows:
        s.screen(to_query(r))
        n += 1
    return n


def _hwm_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return math.nan


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def perf_streams(quick: bool) -> tuple[list[Row], list[Row]]:
    """Distinct test queries for throughput, and others for latency (index ``full`` only), mixed."""
    src = [
        r
        for name in ("negatives", "noisy", "variants")
        for r in evalsets.load(name, "test")
        if r["index"] == "full"
    ]
    src = random.Random("stream").sample(src, len(src))
    n = 3000 if quick else 20_000
    return src[:n], src[n : n + 6500]


def probe(quick: bool, pickled: str | None = None) -> None:
    """Run in a fresh process (cold caches, its own memory); prints JSON.

    Without ``pickled``: ``Screener.from_store`` builds the index cold, then the throughput loop
    and the latency queries run one after the other. With it: the pickled index is loaded, as a
    batch worker does, and the throughput queries are screened.
    """
    out: dict[str, float] = {"rss_start_mb": _rss_mb()}
    stream, latency = perf_streams(quick)
    if pickled:
        t0 = time.perf_counter()
        screener = Screener.load(Path(pickled))
        out["load"] = time.perf_counter() - t0
    else:
        store = evalsets.open_store()
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            screener = Screener.from_store(store, cache_dir=Path(tmp))
            out["cold"] = time.perf_counter() - t0
            out["rss_built_mb"] = _rss_mb()
            t0 = time.perf_counter()
            Screener.from_store(store, cache_dir=Path(tmp))
            out["cached"] = time.perf_counter() - t0
        store.close()
    out["rss_ready_mb"] = _rss_mb()
    queries = [to_query(r) for r in stream]
    t0 = time.perf_counter()
    for q in queries:
        screener.screen(q)
    out["single"] = len(queries) / (time.perf_counter() - t0)
    out["queries"] = len(queries)
    if not pickled:
        warm, timed = latency[:1000], latency[1000:]
        for r in warm:
            screener.screen(to_query(r))
        lat = []
        for r in timed:
            q = to_query(r)
            t0 = time.perf_counter()
            screener.screen(q)
            lat.append(time.perf_counter() - t0)
        lat.sort()
        out["lat_n"] = len(lat)
        out["p50"] = 1000 * lat[len(lat) // 2]
        out["p90"] = 1000 * lat[int(len(lat) * 0.90)]
        out["p99"] = 1000 * lat[int(len(lat) * 0.99)]
        out["max"] = 1000 * lat[-1]
    out["rss_end_mb"] = _rss_mb()
    out["rss_peak_mb"] = _hwm_mb()
    print(json.dumps(out))


def _run_probe(quick: bool, pickled: str | None = None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--probe", "quick" if quick else "full"]
    if pickled:
        cmd += ["--probe-pickle", pickled]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def performance(screener: Screener, records: list[Record], quick: bool) -> dict[str, Any]:
    perf: dict[str, Any] = {"load": os.getloadavg()}
    builds = []
    for _ in range(1 if quick else 2):
        t0 = time.perf_counter()
        Index.build(records)
        builds.append(time.perf_counter() - t0)
    perf["build"] = min(builds)
    # a fresh process: cold index build from the store, one-process throughput, latency, memory
    perf["cold"] = _run_probe(quick)
    stream, _ = perf_streams(quick)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.pickle"
        t0 = time.perf_counter()
        screener.save(path)
        perf["pickle_save"] = time.perf_counter() - t0
        perf["pickle_mb"] = path.stat().st_size / 1e6
        perf["worker"] = _run_probe(quick, str(path))
        # both cores: two fresh worker processes that load the pickled index
        ctx = mp.get_context("spawn")
        t0 = time.perf_counter()
        with ctx.Pool(2, initializer=_pool_init, initargs=(str(path),)) as pool:
            pool.map(_pool_screen, [[], []], chunksize=1)  # both workers up
            perf["pool_start"] = time.perf_counter() - t0
            chunks = [stream[i : i + 250] for i in range(0, len(stream), 250)]
            t0 = time.perf_counter()
            n = sum(pool.map(_pool_screen, chunks, chunksize=1))
            perf["multi"] = n / (time.perf_counter() - t0)
    perf["stream_n"] = len(stream)
    return perf


# -- the run -----------------------------------------------------------------------------------------


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs (nproc), {cpu}, {mem:.0f} GB RAM, load average {load} when the report was "
        f"written (the machine is shared); Python {platform.python_version()} "
        f"on {platform.system()} {platform.release()}"
    )


def sample(rows: list[Row], n: int, seed: str) -> list[Row]:
    if len(rows) <= n:
        return list(rows)
    return random.Random(seed).sample(rows, n)


def stratified(rows: list[Row], n: int, seed: str) -> list[Row]:
    """A sample of variants keeping every small group (scripts, crosslist) whole, or as whole as it can."""
    groups: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
    for r in rows:
        groups[(r["label"]["group"], r["label"]["script"], r["label"]["origin"])].append(r)
    out: list[Row] = []
    share = max(n // max(len(groups), 1), 1)
    small = [k for k, g in groups.items() if len(g) <= share]
    for k in small:
        out.extend(groups[k])
    rest = [k for k in groups if k not in small]
    left = max(n - len(out), 0)
    for k in rest:
        out.extend(sample(groups[k], max(left // max(len(rest), 1), 1), seed + str(k)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small samples: under 2 minutes")
    ap.add_argument(
        "--systems",
        default="proscribe,ofac-style,nomenklatura",
        help="comma-separated subset of proscribe, ofac-style, nomenklatura",
    )
    ap.add_argument(
        "--nk-sample",
        type=int,
        default=None,
        help="queries per set for nomenklatura (default: all; 80 with --quick)",
    )
    ap.add_argument("--no-perf", action="store_true", help="skip the speed and memory measurements")
    ap.add_argument("--probe", choices=("quick", "full"), default=None, help=argparse.SUPPRESS)
    ap.add_argument("--probe-pickle", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.probe is not None:
        probe(args.probe == "quick", args.probe_pickle)
        return
    systems = set(args.systems.split(","))
    started = time.perf_counter()

    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {msg}", file=sys.stderr, flush=True)

    store = evalsets.open_store()
    records = store.designated()
    records_by_index = {k: evalsets.records_for(k, records) for k in INDEXES}
    say(f"{len(records)} designated records")
    CAPTIONS.update({r.target.id or "": r.target.caption for r in records})

    sets = {name: evalsets.load(name, "test") for name in evalsets.SETS}
    common = evalsets.load("common_names")
    if args.quick:
        sets["variants"] = stratified(sets["variants"], 700, "v")
        sets["noisy"] = sample(sets["noisy"], 700, "n")
        sets["negatives"] = sample(sets["negatives"], 2500, "neg")
        sets["dob_conflict"] = sample(sets["dob_conflict"], 400, "d")
    rows = [r for name in evalsets.SETS for r in sets[name]]
    nk_n = args.nk_sample or (80 if args.quick else 1_000_000)
    say("queries: " + ", ".join(f"{k} {len(v)}" for k, v in sets.items()))

    results: dict[str, dict[str, Outcome]] = {}
    common_counts: dict[str, list[int]] = {}
    timing: dict[str, dict[str, float]] = defaultdict(dict)
    screeners: dict[str, Screener] = {}
    t0 = time.perf_counter()
    for k in INDEXES:
        screeners[k] = Screener(Index.build(records_by_index[k]))
    say(f"proscribe: three indexes built in {time.perf_counter() - t0:.1f} s")

    pros = Proscribe(screeners)
    t0 = time.perf_counter()
    results["proscribe"] = pros.run(rows)
    timing["proscribe"]["eval_qps"] = len(rows) / (time.perf_counter() - t0)
    common_counts["proscribe"] = [
        len(screeners["full"].screen(to_query(r), threshold=pros.threshold, limit=100_000)) for r in common
    ]
    say("proscribe: evaluated")

    base: OfacBaseline | None = None
    if "ofac-style" in systems or "nomenklatura" in systems:
        t0 = time.perf_counter()
        bases = {k: OfacBaseline(records_by_index[k]) for k in INDEXES}
        timing["ofac-style"]["build"] = (time.perf_counter() - t0) / len(INDEXES)
        results["ofac-style"] = {}
        t0 = time.perf_counter()
        for k in INDEXES:
            results["ofac-style"].update(bases[k].run([r for r in rows if r["index"] == k]))
        timing["ofac-style"]["eval_qps"] = len(rows) / (time.perf_counter() - t0)
        base = bases["full"]
        common_all = base.run(common, keep=100_000)
        common_counts["ofac-style"] = [
            sum(1 for _, s in common_all[r["qid"]].top if s >= base.threshold) for r in common
        ]
        say("ofac-style: evaluated")

    nk_rows: list[Row] = []
    nk: NomenklaturaV2 | None = None
    if "nomenklatura" in systems:
        nk = NomenklaturaV2(records_by_index)
        say(f"nomenklatura: warmed up in {nk.warmup:.1f} s")
        for name in evalsets.SETS:
            if name == "variants":
                nk_rows += stratified(sets[name], nk_n, "nk-" + name)
            else:
                nk_rows += sample(sets[name], nk_n, "nk-" + name)
        cands: dict[str, list[str]] = {}
        for r in nk_rows:
            c = [e for e, _ in results["proscribe"][r["qid"]].top]
            c += [e for e, _ in results["ofac-style"][r["qid"]].top if e not in c]
            cands[r["qid"]] = c
        results["nomenklatura logic-v2"] = nk.run(nk_rows, cands)
        timing["nomenklatura logic-v2"]["eval_qps"] = len(nk.per_query) / nk.wall
        timing["nomenklatura logic-v2"]["pairs_s"] = nk.pairs / nk.wall
        lat = sorted(nk.per_query)
        timing["nomenklatura logic-v2"]["p50"] = 1000 * lat[len(lat) // 2]
        timing["nomenklatura logic-v2"]["p99"] = 1000 * lat[int(len(lat) * 0.99)]
        ccands: dict[str, list[str]] = {}
        for r in common:
            c = [x.entity.entity_id for x in screeners["full"].compare_all(to_query(r))[:100]]
            c += [e for e, _ in common_all[r["qid"]].top[:100] if e not in c]
            ccands[r["qid"]] = c
        common_nk = nk.run(common, ccands, keep=100_000)
        common_counts["nomenklatura logic-v2"] = [
            sum(1 for _, s in common_nk[r["qid"]].top if s >= NK_THRESHOLD) for r in common
        ]
        say(f"nomenklatura: {len(nk_rows)} queries scored")

    perf: dict[str, Any] = {}
    if not args.no_perf:
        perf = performance(screeners["full"], records, args.quick)
        say("performance measured")

    report = render(args, rows, sets, nk_rows, results, common, common_counts, timing, perf, records_by_index)
    (OUT / "screening.md").write_text(report, encoding="utf-8")
    print(report)
    say(f"done; report in {OUT / 'screening.md'}, plot in docs/screening-pr.png")


def render(
    args: argparse.Namespace,
    rows: list[Row],
    sets: dict[str, list[Row]],
    nk_rows: list[Row],
    results: dict[str, dict[str, Outcome]],
    common: list[Row],
    common_counts: dict[str, list[int]],
    timing: dict[str, dict[str, float]],
    perf: dict[str, Any],
    records_by_index: dict[str, list[Record]],
) -> str:
    systems = [(name, res) for name, res in results.items()]
    thresholds = {
        "proscribe": DEFAULT_THRESHOLD,
        "ofac-style": BASELINE_THRESHOLD,
        "nomenklatura logic-v2": NK_THRESHOLD,
    }
    nk_ids = {r["qid"] for r in nk_rows}
    lines: list[str] = []
    add = lines.append
    add(f"# Screening benchmark ({'quick' if args.quick else 'full'} run)")
    add("")
    add(f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}")
    add(f"- machine: {machine()}")
    add(
        f"- lists: OFAC SDN July 2021 + UN consolidated Feb 2026 (+ the ICC registry): "
        f"{len(records_by_index['full'])} designated listings; test split only"
    )
    add(
        "- queries: "
        + ", ".join(f"{k} {len(v)}" for k, v in sets.items())
        + f"; nomenklatura on a sample of {len(nk_rows)} of them (the same sample for every system in its "
        "column's n)"
    )
    add("- thresholds: " + ", ".join(f"{n} {thresholds[n]:.2f}" for n, _ in systems))
    add("")
    add("## Recall (expected listing among the 10 best at or above the threshold)")
    add("")
    header = "| set | " + " | ".join(n for n, _ in systems) + " |"
    add(header)
    add("|" + "---|" * (len(systems) + 1))
    for label, pred in breakdowns(rows):
        cells = []
        for name, res in systems:
            sel = [r for r in rows if pred(r) and r["qid"] in res]
            cells.append(fmt(rate(found(r, res[r["qid"]], thresholds[name]) for r in sel)))
        add(f"| {label} | " + " | ".join(cells) + " |")
    add("")
    add("## False alerts")
    add("")
    add(header)
    add("|" + "---|" * (len(systems) + 1))
    neg_lines: list[tuple[str, Callable[[Row], bool]]] = [
        ("non-listed names (negatives)", lambda r: r["set"] == "negatives"),
        ("- persons", lambda r: r["set"] == "negatives" and r["kind"] == "person"),
        ("- organisations", lambda r: r["set"] == "negatives" and r["kind"] == "organization"),
        ("- Latin script", lambda r: r["set"] == "negatives" and r["label"]["script"] == "Latin"),
        ("- other scripts", lambda r: r["set"] == "negatives" and r["label"]["script"] != "Latin"),
        ("- with a birth date", lambda r: r["set"] == "negatives" and bool(r["birth_date"])),
        (
            "listed name, conflicting birth date (dob_conflict): any alert",
            lambda r: r["set"] == "dob_conflict",
        ),
    ]
    for label, pred in neg_lines:
        cells = []
        for name, res in systems:
            sel = [r for r in rows if pred(r) and r["qid"] in res]
            v, n = rate(alerts(res[r["qid"]], thresholds[name]) for r in sel)
            cells.append(f"{pct(v)} (n={n})" if n else "–")
        add(f"| {label} | " + " | ".join(cells) + " |")
    cells = []
    for name, res in systems:
        sel = [r for r in rows if r["set"] == "dob_conflict" and r["qid"] in res]
        v, n = rate(on_listed(r, res[r["qid"]], thresholds[name]) for r in sel)
        cells.append(f"{pct(v)} (n={n})" if n else "–")
    add("| - an alert on the listing named (or its UN/OFAC twin) | " + " | ".join(cells) + " |")
    add("")
    add(
        "A dob_conflict query may rightly alert on *another* listing of the same name that has no birth date "
        "(or the same person listed twice, with another date); the second line counts only alerts on the "
        "listing whose birth date conflicts."
    )
    add("")
    # operating points: each system's threshold for 97 % recall on all positives of this run
    pos = [r for r in rows if r["set"] in ("variants", "noisy")]
    neg = [r for r in rows if r["set"] == "negatives"]
    add("## Each system at the threshold that gives 97 % recall (variants + noisy), and retrieval")
    add("")
    add(
        "| system | threshold for 97 % recall | false alerts there "
        "| alerts on the dob_conflict listing there | expected listing among the candidates scored |"
    )
    add("|---|---|---|---|---|")
    for name, res in systems:
        p = [r for r in pos if r["qid"] in res]
        t = threshold_for_recall(p, res)
        retr = rate(bool(set(r["expected"]) & res[r["qid"]].candidates) for r in p)[0]
        if not t > 0:
            best = rate(res[r["qid"]].expected_score > 0 for r in p)[0]
            add(
                f"| {name} | unreachable (recall at any threshold > 0: {pct(best, 1)}) | – | – "
                f"| {pct(retr, 1)} |"
            )
            continue
        fa = rate(alerts(res[r["qid"]], t) for r in neg if r["qid"] in res)[0]
        dc = rate(
            on_listed(r, res[r["qid"]], t) for r in rows if r["set"] == "dob_conflict" and r["qid"] in res
        )[0]
        add(f"| {name} | {t:.3f} | {pct(fa)} | {pct(dc)} | {pct(retr, 1)} |")
    add("")
    add("## Common names: listings alerted on (full index)")
    add("")
    add("| query | " + " | ".join(n for n, _ in systems) + " |")
    add("|" + "---|" * (len(systems) + 1))
    for i, r in enumerate(common):
        add(
            f"| {r['name']} | "
            + " | ".join(str(common_counts.get(n, ["–"] * len(common))[i]) for n, _ in systems)
            + " |"
        )
    add("")
    if "nomenklatura logic-v2" in results:
        add("(nomenklatura scores at most the 100 best candidates of each of the other two systems here.)")
        add("")
    add("## Speed and memory")
    add("")
    add("| figure | proscribe | ofac-style | nomenklatura logic-v2 | target |")
    add("|---|---|---|---|---|")
    pt, bt, nt = (
        timing.get("proscribe", {}),
        timing.get("ofac-style", {}),
        timing.get("nomenklatura logic-v2", {}),
    )

    def num(d: dict[str, Any], k: str, f: str = "{:,.0f}") -> str:
        return f.format(d[k]) if k in d else "–"

    cold, worker = perf.get("cold", {}), perf.get("worker", {})
    add(
        f"| batch, one process, fresh (names/s) | {num(cold, 'single')} | {num(bt, 'eval_qps')} (batched, "
        f"rapidfuzz on 2 threads) | – | |"
    )
    add(
        f"| batch, 2 processes, pickled index (names/s) | {num(perf, 'multi')} | – | "
        f"{num(nt, 'eval_qps')} (queries/s), {num(nt, 'pairs_s')} pairs/s | >= 20,000 |"
    )
    add(
        f"| evaluation loop, every candidate scored (queries/s) | {num(pt, 'eval_qps')} | "
        f"{num(bt, 'eval_qps')} | {num(nt, 'eval_qps')} (2 processes) | |"
    )
    add(
        f"| single query latency p50 (ms) | {num(cold, 'p50', '{:.2f}')} | – | {num(nt, 'p50', '{:.1f}')} "
        f"(scoring its candidates only) | <= 1 |"
    )
    add(
        f"| single query latency p90 / p99 / max (ms) | {num(cold, 'p90', '{:.2f}')} / "
        f"{num(cold, 'p99', '{:.2f}')} / {num(cold, 'max', '{:.1f}')} | – | "
        f"– / {num(nt, 'p99', '{:.1f}')} / – | "
        f"p99 <= 5 |"
    )
    add(
        f"| index build from records, `Index.build` (s) | {num(perf, 'build', '{:.2f}')} | "
        f"{num(bt, 'build', '{:.2f}')} | – | <= 15 |"
    )
    add(f"| `Screener.from_store`, cold, fresh process (s) | {num(cold, 'cold', '{:.2f}')} | – | – | |")
    add(f"| `Screener.from_store`, cached pickle (s) | {num(cold, 'cached', '{:.2f}')} | – | – | |")
    add(
        f"| peak RSS (VmHWM), a process that builds from the store and screens {cold.get('queries', '?')} + "
        f"{cold.get('lat_n', 0) + 1000} queries (MB) | {num(cold, 'rss_peak_mb')} (after the build "
        f"{num(cold, 'rss_built_mb')}, at the end {num(cold, 'rss_end_mb')}) | – | – | <= 500 |"
    )
    add(
        f"| peak RSS, batch worker: load the pickled index ({num(worker, 'load', '{:.2f}')} s) and screen "
        f"{worker.get('queries', '?')} queries (MB) | {num(worker, 'rss_peak_mb')} | – | – | <= 500 |"
    )
    add(f"| pickled index size (MB) | {num(perf, 'pickle_mb', '{:.1f}')} | – | – | |")
    add("")
    if perf:
        add(
            f"Throughput: {perf['stream_n']} distinct test queries (negatives, noisy and variant names "
            f"mixed, index `full`), `screen()` at the default threshold, in a fresh process (cold caches); "
            f"latency over "
            f"{cold.get('lat_n')} other queries after 1,000 warm-up queries, in the same process. The "
            f"2-process figure excludes starting the pool ({perf['pool_start']:.1f} s). Load average before "
            f"the measurements: {', '.join(f'{x:.2f}' for x in perf['load'])} (the machine is shared)."
        )
        add("")
    # the PR plot
    ratio = len(neg) / max(len(pos), 1)
    curves, points = {}, {}
    for name, res in systems:
        p = [r for r in pos if r["qid"] in res]
        ng = [r for r in neg if r["qid"] in res]
        curves[name] = pr_curve(p, ng, res, ratio)
        rec = rate(res[r["qid"]].expected_score >= thresholds[name] for r in p)[0]
        fa = rate(alerts(res[r["qid"]], thresholds[name]) for r in ng)[0]
        points[name] = (rec, rec / (rec + fa * ratio) if rec + fa else 1.0, fa)
    note = (
        f"test split; positives = variants + noisy ({len(pos)}), negatives = Faker names ({len(neg)}); "
        f"nomenklatura on {len(nk_ids)} of {len(rows)} queries; precision at the full sets' prevalence"
    )
    plot(curves, points, ratio, ROOT / "docs" / "screening-pr.png", note)
    add("![precision/recall](../../docs/screening-pr.png) (docs/screening-pr.png)")
    add("")
    if "proscribe" in results:
        n_dumped = dump_misses(rows, results["proscribe"], DEFAULT_THRESHOLD, OUT / "proscribe-misses.jsonl")
        add(f"All {n_dumped} misses and false alerts of proscribe: `var/bench/proscribe-misses.jsonl`.")
        add("")
    add(misses("proscribe", rows, results.get("proscribe", {}), DEFAULT_THRESHOLD))
    return "\n".join(lines)


def _via(name: str | None) -> str:
    return f" via {name!r}" if name else ""


def dump_misses(rows: list[Row], res: dict[str, Outcome], threshold: float, path: Path) -> int:
    """Every miss and false alert of a system, one JSON object a line, for whoever tunes the matcher."""
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            o = res.get(r["qid"])
            if o is None:
                continue
            positive = r["set"] in ("variants", "noisy")
            if (positive and found(r, o, threshold)) or (not positive and not alerts(o, threshold)):
                continue
            top = [
                {
                    "entity": e,
                    "caption": CAPTIONS.get(e, e),
                    "score": round(sc, 4),
                    "matched": o.matched.get(e),
                }
                for e, sc in o.top[:3]
            ]
            outcome_kind = "miss" if positive else "false_alert"
            fh.write(
                json.dumps({"outcome": outcome_kind, **r, "expected_score": o.expected_score, "top": top})
                + "\n"
            )
            n += 1
    return n


def misses(name: str, rows: list[Row], res: dict[str, Outcome], threshold: float, per: int = 10) -> str:
    """Examples of what a system misses (per script / transform) and of its false alerts."""
    out = [f"## Where {name} misses (test split, threshold {threshold:.2f})", ""]
    groups: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        if r["set"] not in ("variants", "noisy") or r["qid"] not in res or found(r, res[r["qid"]], threshold):
            continue
        if r["set"] == "variants":
            lab = r["label"]
            key = f"variants / {lab['group']} / {lab['script']} ({lab['origin']})"
        else:
            key = f"noisy / {r['label']['transform']}"
        groups[key].append(r)
    for key in sorted(groups):
        sel = groups[key]
        out.append(f"**{key}**: {len(sel)} missed")
        out.append("")
        for r in random.Random(key).sample(sel, min(per, len(sel))):
            o = res[r["qid"]]
            top = o.top[0] if o.top else ("-", 0.0)
            extra = "".join(f", {k}={r[k]}" for k in ("birth_date", "country", "id_number") if r[k])
            via = next((o.matched[e] for e in r["expected"] if e in o.matched), None)
            out.append(
                f"- `{r['name']}`{extra} -> expected {r['source']!r} ({', '.join(r['expected'])}): "
                f"score {o.expected_score:.3f}{_via(via)}; best {CAPTIONS.get(top[0], top[0])!r} "
                f"{top[1]:.3f}{_via(o.matched.get(top[0]))}"
            )
        out.append("")
    fa = [
        r
        for r in rows
        if r["set"] in ("negatives", "dob_conflict") and r["qid"] in res and alerts(res[r["qid"]], threshold)
    ]
    by_set = Counter(r["set"] for r in fa)
    out.append(f"**false alerts**: {dict(by_set)}")
    out.append("")
    for set_name in ("negatives", "dob_conflict"):
        sel = [r for r in fa if r["set"] == set_name]
        for r in random.Random(set_name).sample(sel, min(per, len(sel))):
            o = res[r["qid"]]
            extra = "".join(f", {k}={r[k]}" for k in ("birth_date", "country") if r[k])
            hit = CAPTIONS.get(o.top[0][0], o.top[0][0])
            out.append(
                f"- {set_name}: `{r['name']}` ({r['kind']}{extra}) -> {hit!r} ({o.top[0][0]}) "
                f"{o.top[0][1]:.3f}{_via(o.matched.get(o.top[0][0]))}"
            )
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    main()
