"""Screening on real data: proscribe, nomenklatura logic-v2, an OFAC-style baseline and plain rapidfuzz.

Run ``python bench/realsets.py`` once, then ``python bench/realbench.py`` (full: every test
query through all four systems, about 10 minutes on 2 cores) or ``python bench/realbench.py
--quick`` (fixed samples, under 3 minutes). Writes Markdown to ``var/bench/real-report.md``
and every miss and false alert of proscribe to ``var/bench/real/proscribe-misses.jsonl``. Only
the **test** split is read here; the dev split is for calibration (``bench/calibrate.py
--real``) and tuning.

The four systems see the same queries against the same listings (``realsets.records_for``):

proscribe
  whatever matcher the installed ``proscribe`` package has, through its public API only:
  ``Screener(Index.build(records))``, ``compare_all(Query(...), threshold)``. Recall and
  alerts at ``proscribe.screening.DEFAULT_THRESHOLD`` are those of the search as deployed
  (``compare_all`` with the threshold, so candidates the retrieval bound prunes are not scored);
  the curves (the same-false-alert-rate table) use ``compare_all`` without a threshold, which
  compares every candidate retrieved (an upper bound of the deployed search at other thresholds).
nomenklatura logic-v2 (yente's default algorithm), threshold 0.70 as in yente
  pairwise only: its candidates are the union of the 10 best listings of each of the other
  three systems (``Outcome.candidates`` coverage is reported). Two processes.
ofac-style baseline, threshold 0.85
  ``bench/screening.py``'s Jaro-Winkler + Soundex matcher after OFAC's Sanctions List Search.
plain rapidfuzz, threshold 0.90
  ``rapidfuzz.fuzz.token_set_ratio`` (divided by 100) of the query against every listed name
  (strong names), both folded the same way (accents stripped, lower case, punctuation to
  spaces); a listing scores its best name. Computed exactly but faster than a brute-force
  loop: for a pair with no token in common token_set_ratio is the plain ratio of the sorted,
  de-duplicated tokens (done for all names at once with ``process.cdist``); pairs that share a
  token are scored with ``token_set_ratio`` itself. No candidate retrieval, no birth dates.

A query *alerts* when any listing scores at or above the system's threshold; a positive query
is *found* when an expected listing is among its 10 best results at or above the threshold.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import evalsets
import realsets
import realsources
from realsets import OUT, POSITIVE_SETS, ROOT
from screening import (
    TOP,
    NomenklaturaV2,
    OfacBaseline,
    Outcome,
    machine,
    ofac_fold,
    outcome,
    to_query,
)

import proscribe
from proscribe.matching.index import Index
from proscribe.screening import DEFAULT_THRESHOLD, Screener
from proscribe.sources.base import Record

Row = dict[str, Any]
NK_THRESHOLD = 0.70
BASELINE_THRESHOLD = 0.85
RAPIDFUZZ_THRESHOLD = 0.90
SYSTEMS = ("proscribe", "logic-v2", "ofac-style", "rapidfuzz")
THRESHOLDS = {
    "proscribe": DEFAULT_THRESHOLD,
    "logic-v2": NK_THRESHOLD,
    "ofac-style": BASELINE_THRESHOLD,
    "rapidfuzz": RAPIDFUZZ_THRESHOLD,
}
FA_TARGETS = (0.002, 0.01)
CLASSES = {
    1: "query is part of a longer listed name",
    2: "query has more parts / extra words",
    3: "spelling differs between publishers / over time",
    4: "birth date a little off",
    5: "pruning loses good candidates",
    6: "invisible and look-alike characters",
    7: "false alerts on names in other scripts",
    8: "free text (remittance lines)",
    9: "score depends on what else is loaded",
}
QUICK = {
    "crosspub": 400,
    "respell": 10_000,
    "dob_fix": 10_000,
    "nonlisted": 2000,
    "disguise": 800,
    "freetext": 300,
}
#: logic-v2 (about 20 queries/s on the 2 shared cores) scores every test query of the small sets and
#: a fixed sample of the two large ones in the full run (about 13,000 queries, 10-15 minutes);
#: ``--nk-sample N`` caps every set at N instead
NK_FULL = {"nonlisted": 6000, "disguise": 3000}
NK_QUICK = 40


# -- the systems -------------------------------------------------------------------------------------


class Proscribe:
    def __init__(self, screeners: dict[str, Screener]) -> None:
        self.screeners = screeners

    def run(self, rows: Sequence[Row], threshold: float) -> dict[str, Outcome]:
        out = {}
        for r in rows:
            screener = self.screeners[r["index"]]
            if r["set"] == "freetext" and hasattr(screener, "compare_text"):
                comps = screener.compare_text(r["name"], threshold)
            else:
                comps = screener.compare_all(to_query(r), threshold)
            o = outcome(r, [(c.entity.entity_id, float(c.score)) for c in comps])
            o.matched = {
                c.entity.entity_id: getattr(getattr(c, "matched_name", None), "text", "") for c in comps[:TOP]
            }
            out[r["qid"]] = o
        return out


class Rapidfuzz:
    def __init__(self, records: Iterable[Record]) -> None:
        self.entity_ids: list[str] = []
        self.kinds: list[str] = []
        self.name_entity: list[int] = []
        self.names: list[str] = []  # folded
        self.sorted_names: list[str] = []  # sorted de-duplicated tokens
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
                    nid = len(self.names)
                    self.names.append(folded)
                    toks = sorted(set(folded.split()))
                    self.sorted_names.append(" ".join(toks))
                    self.name_entity.append(ent)
                    for t in toks:
                        postings[t].append(nid)
        self.postings = dict(postings)

    def run(self, rows: Sequence[Row], batch: int = 256) -> dict[str, Outcome]:
        import numpy as np
        from rapidfuzz import fuzz, process

        out: dict[str, Outcome] = {}
        for b in range(0, len(rows), batch):
            chunk = rows[b : b + batch]
            folded = [ofac_fold(r["name"]) for r in chunk]
            sorted_q = [" ".join(sorted(set(f.split()))) for f in folded]
            plain = process.cdist(
                sorted_q, self.sorted_names, scorer=fuzz.ratio, score_cutoff=50, dtype=np.float32, workers=-1
            )
            for qi, r in enumerate(chunk):
                best: dict[int, float] = {}
                for nid in np.nonzero(plain[qi])[0].tolist():
                    best[nid] = float(plain[qi, nid])
                shared = sorted({nid for t in set(folded[qi].split()) for nid in self.postings.get(t, ())})
                if shared:
                    scores = process.cdist(
                        [folded[qi]], [self.names[n] for n in shared], scorer=fuzz.token_set_ratio, workers=1
                    )[0]
                    for nid, s in zip(shared, scores.tolist(), strict=True):
                        best[nid] = float(s)
                per_entity: dict[int, float] = {}
                for nid, s in best.items():
                    ent = self.name_entity[nid]
                    if r["kind"] and self.kinds[ent] != r["kind"]:
                        continue
                    if s / 100 > per_entity.get(ent, 0.0):
                        per_entity[ent] = s / 100
                ranked = sorted(per_entity.items(), key=lambda x: -x[1])[:100]
                out[r["qid"]] = outcome(r, [(self.entity_ids[e], s) for e, s in ranked])
        return out


# -- metrics -----------------------------------------------------------------------------------------


def found(r: Row, o: Outcome | None, t: float) -> bool:
    if o is None:
        return False
    exp = set(r["expected"])
    return any(e in exp and s >= t for e, s in o.top)


def alerts(o: Outcome, t: float) -> bool:
    return o.max_score >= t


def is_pos(r: Row) -> bool:
    return r["set"] in POSITIVE_SETS and not r["label"].get("negative")


def is_neg(r: Row) -> bool:
    return r["set"] == "nonlisted"


def cell(values: Sequence[bool]) -> str:
    if not values:
        return "–"
    return f"{100 * sum(values) / len(values):.1f}% ({sum(values)}/{len(values)})"


def fa_cell(values: Sequence[bool]) -> str:
    if not values:
        return "–"
    return f"{100 * sum(values) / len(values):.2f}% ({sum(values)}/{len(values)})"


def threshold_at_fa(neg_scores: Sequence[float], target: float) -> float:
    """The lowest threshold at which at most ``target`` of the non-listed queries alert."""
    s = sorted(neg_scores, reverse=True)
    k = math.floor(target * len(s))
    if k >= len(s):
        return 0.0
    return s[k] + 1e-9


# -- the report --------------------------------------------------------------------------------------


def recall_lines(rows: Sequence[Row]) -> list[tuple[str, Callable[[Row], bool]]]:
    def lab(key: str, val: Any) -> Callable[[Row], bool]:
        return lambda r: r["label"].get(key) == val

    def both(*preds: Callable[[Row], bool]) -> Callable[[Row], bool]:
        return lambda r: all(p(r) for p in preds)

    def set_is(name: str) -> Callable[[Row], bool]:
        return lambda r: r["set"] == name and is_pos(r)

    out: list[tuple[str, Callable[[Row], bool]]] = [
        ("**cross-publisher pairs (all)**", set_is("crosspub")),
    ]
    for d in ("un->ofac", "ofac->un"):
        for v in ("name", "facts"):
            out.append(
                (
                    f"- {d}, {'name only' if v == 'name' else 'with birth date + nationality'}",
                    both(set_is("crosspub"), lab("direction", d), lab("variant", v)),
                )
            )
    out += [
        (
            "- spelled differently (name only)",
            both(set_is("crosspub"), lab("literal", False), lab("variant", "name")),
        ),
        (
            "- original-script UN names (name only)",
            both(set_is("crosspub"), lab("name_kind", "script"), lab("variant", "name")),
        ),
        (
            "- with a birth date that differs from the other publisher's",
            both(set_is("crosspub"), lab("dob_relation", "differs")),
        ),
        (
            "**OFAC respellings 2021-2024 (name only)**",
            both(set_is("respell"), lab("change", "respelling"), lab("variant", "name")),
        ),
        (
            "- with the birth date of the time",
            both(set_is("respell"), lab("change", "respelling"), lab("variant", "facts")),
        ),
        (
            "- renames (no name part kept), name only",
            both(set_is("respell"), lab("change", "rename"), lab("variant", "name")),
        ),
        ("**OFAC birth-date corrections (exact name, old date)**", set_is("dob_fix")),
        ("**disguises of listed persons (all)**", set_is("disguise")),
    ]
    for how in sorted({r["label"]["disguise"] for r in rows if r["set"] == "disguise"}):
        out.append((f"- {how}", both(set_is("disguise"), lab("disguise", how))))
    out.append(("**free text naming a listed person (all)**", set_is("freetext")))
    for form in ("full", "initial", "title"):
        out.append((f"- {form}", both(set_is("freetext"), lab("form", form))))
    return out


def render(
    args: argparse.Namespace,
    rows: list[Row],
    results: dict[str, dict[str, Outcome]],
    pruned: dict[str, Outcome],
    extra: dict[str, Any],
) -> str:
    lines: list[str] = []
    add = lines.append
    th = THRESHOLDS
    systems = [s for s in SYSTEMS if s in results]
    # proscribe at its default threshold is judged on the search as deployed (pruned)
    judged = dict(results)
    if "proscribe" in judged:
        judged["proscribe"] = {**results["proscribe"], **pruned} if pruned else results["proscribe"]
    add(f"# Screening on real data ({'quick' if args.quick else 'full'} run)")
    add("")
    add(f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}")
    add(f"- machine: {machine()}")
    add(
        f"- load average at the start: {extra['load_start']}; at the end: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    add(f"- proscribe: {extra['proscribe_version']}")
    add("- thresholds (each system's default): " + ", ".join(f"{s} {th[s]:.2f}" for s in systems))
    add(
        f"- test split only; {len(rows)} queries; logic-v2 scored {len(results.get('logic-v2', {}))} of them "
        "(a fixed random sample of the largest sets; every cell gives its n)"
    )
    add(f"- sets built by `bench/realsets.py`: {json.dumps(extra['set_sizes'])}")
    add(f"- UN <-> OFAC links: {json.dumps(extra['links'])}")
    add("")
    add("Real non-listed names, fetched at bench time (never committed), after removing listed people:")
    add("")
    add("| source | package (registry) | licence | distinct names kept |")
    add("|---|---|---|---|")
    for src, (pkg, lic) in realsources.LICENCES.items():
        kept = extra["nonlisted"].get("sources", {}).get(src, {}).get("kept", "?")
        add(f"| {src} | {pkg} | {lic} | {kept} |")
    add(
        f"\nRemoved as listed (exact folded name): {extra['nonlisted'].get('removed_listed')}; by hand or "
        f"by WordNet's gloss: {extra['nonlisted'].get('removed_by_hand')} "
        "(`var/bench/real/nonlisted-removed.txt`)."
    )
    add("")
    add("## Recall at each system's default threshold")
    add("")
    add("| set | " + " | ".join(systems) + " |")
    add("|---|" + "---|" * len(systems))
    for label, pred in recall_lines(rows):
        cells = []
        for s in systems:
            sel = [r for r in rows if pred(r) and r["qid"] in judged[s]]
            cells.append(cell([found(r, judged[s][r["qid"]], th[s]) for r in sel]))
        add(f"| {label} | " + " | ".join(cells) + " |")
    add("")
    add("## The failure classes of issue 9 (test split, each system at its default threshold)")
    add("")
    add("| class | " + " | ".join(systems) + " |")
    add("|---|" + "---|" * len(systems))
    for c in (1, 2, 3, 4, 6, 8):
        cells = []
        for s in systems:
            sel = [r for r in rows if is_pos(r) and c in r["label"]["cls"] and r["qid"] in judged[s]]
            cells.append(cell([found(r, judged[s][r["qid"]], th[s]) for r in sel]))
        add(f"| {c}. {CLASSES[c]} (recall) | " + " | ".join(cells) + " |")
    p5 = extra.get("pruning")
    if p5:
        add(
            f"| 5. {CLASSES[5]}: positives found when every candidate is compared but lost by the pruned "
            f"search | {p5['lost']} of {p5['n']} ({100 * p5['lost'] / max(p5['n'], 1):.2f}%) | – | – | – |"
        )
    cells = []
    for s in systems:
        sel = [r for r in rows if is_neg(r) and r["label"]["script"] != "Latin" and r["qid"] in judged[s]]
        cells.append(fa_cell([alerts(judged[s][r["qid"]], th[s]) for r in sel]))
    add(f"| 7. {CLASSES[7]}: false alerts, real Cyrillic / Han names | " + " | ".join(cells) + " |")
    p9 = extra.get("list_dependence")
    if p9:
        add(
            f"| 9. {CLASSES[9]}: exact listed names, |score in the full index - score with the listing "
            "alone| "
            f"| mean {p9['mean']:.3f}, > 0.05 for {p9['over05']} of {p9['n']}, max {p9['max']:.3f} "
            "| 0 (pairwise) | 0 (pairwise) | 0 (pairwise) |"
        )
    add("")
    add(
        "Classes 5 and 9 concern proscribe's index (the peers compare pairs without pruning). Class 7's "
        "Arabic- and Persian-script examples are in the probe below: the package registries reachable here "
        "give no real full names in those scripts in quantity."
    )
    add("")
    add("## False alerts on real people and organisations on no list")
    add("")
    add("| non-listed names | " + " | ".join(systems) + " |")
    add("|---|" + "---|" * len(systems))
    neg = [r for r in rows if is_neg(r)]
    neg_lines: list[tuple[str, Callable[[Row], bool]]] = [
        ("**all**", lambda r: True),
        ("name only", lambda r: r["label"]["variant"] == "name"),
        ("with a birth date or year", lambda r: r["label"]["variant"] == "facts"),
        ("persons", lambda r: r["kind"] == "person"),
        ("organisations", lambda r: r["kind"] == "organization"),
    ]
    for src in sorted({r["label"]["source_name"] for r in neg}):
        neg_lines.append((f"source {src}", lambda r, src=src: r["label"]["source_name"] == src))
    for script in sorted({r["label"]["script"] for r in neg}):
        neg_lines.append((f"script {script}", lambda r, script=script: r["label"]["script"] == script))
    neg_lines.append(("free-text lines with non-listed names", lambda r: False))
    for label, pred in neg_lines:
        cells = []
        for s in systems:
            if label.startswith("free-text"):
                sel = [
                    r
                    for r in rows
                    if r["set"] == "freetext" and r["label"].get("negative") and r["qid"] in judged[s]
                ]
            else:
                sel = [r for r in neg if pred(r) and r["qid"] in judged[s]]
            cells.append(fa_cell([alerts(judged[s][r["qid"]], th[s]) for r in sel]))
        add(f"| {label} | " + " | ".join(cells) + " |")
    add("")
    add("## At the same false-alert rate")
    add("")
    add(
        "Each system's threshold set so that the same share of the real non-listed names alert (all "
        "variants; proscribe compares every retrieved candidate here). Recall per class at that threshold."
    )
    add("")
    for target in FA_TARGETS:
        add(f"### False alerts {100 * target:.1f}%")
        add("")
        add("| | " + " | ".join(systems) + " |")
        add("|---|" + "---|" * len(systems))
        ts = {}
        for s in systems:
            scores = [results[s][r["qid"]].max_score for r in neg if r["qid"] in results[s]]
            ts[s] = threshold_at_fa(scores, target)
        cells = []
        for s in systems:
            if ts[s] > 1.0:
                top = [results[s][r["qid"]].max_score for r in neg if r["qid"] in results[s]]
                share = sum(x >= 1.0 for x in top) / max(len(top), 1)
                cells.append(f"unreachable ({100 * share:.1f}% of the non-listed names score 1.00)")
            else:
                cells.append(f"{ts[s]:.3f}")
        add("| threshold | " + " | ".join(cells) + " |")
        for label, pred in (
            ("all positives", lambda r: True),
            *((f"class {c}", lambda r, c=c: c in r["label"]["cls"]) for c in (1, 2, 3, 4, 6, 8)),
            ("cross-publisher pairs", lambda r: r["set"] == "crosspub"),
            ("disguises", lambda r: r["set"] == "disguise"),
        ):
            cells = []
            for s in systems:
                sel = [r for r in rows if is_pos(r) and pred(r) and r["qid"] in results[s]]
                cells.append(cell([found(r, results[s][r["qid"]], ts[s]) for r in sel]))
            add(f"| {label} | " + " | ".join(cells) + " |")
        add("")
    add("## Retrieval: the expected listing among the candidates scored")
    add("")
    add("| | " + " | ".join(systems) + " |")
    add("|---|" + "---|" * len(systems))
    cells = []
    for s in systems:
        sel = [r for r in rows if is_pos(r) and r["qid"] in results[s]]
        cells.append(cell([bool(set(r["expected"]) & results[s][r["qid"]].candidates) for r in sel]))
    add("| all positives | " + " | ".join(cells) + " |")
    add("")
    add("## Probe: common names and the issue's examples (full index, default thresholds)")
    add("")
    add("| query | " + " | ".join(f"{s}: alerts / best" for s in systems) + " |")
    add("|---|" + "---|" * len(systems))
    for p, counts in extra["probe"]:
        add(f"| {p} | " + " | ".join(counts.get(s, "–") for s in systems) + " |")
    add("")
    add(misses(rows, judged.get("proscribe", {}), extra["captions"]))
    return "\n".join(lines)


def misses(rows: Sequence[Row], res: dict[str, Outcome], captions: dict[str, str], per: int = 8) -> str:
    out = [f"## Where proscribe misses (test split, threshold {DEFAULT_THRESHOLD:.2f}, examples)", ""]
    groups: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        if not is_pos(r) or r["qid"] not in res or found(r, res[r["qid"]], DEFAULT_THRESHOLD):
            continue
        lab = r["label"]
        key = f"{r['set']} / " + (
            lab.get("disguise") or lab.get("form") or lab.get("direction") or lab.get("change") or ""
        )
        groups[key].append(r)
    for key in sorted(groups):
        out.append(f"**{key}**: {len(groups[key])} missed")
        out.append("")
        for r in random.Random(key).sample(groups[key], min(per, len(groups[key]))):
            o = res[r["qid"]]
            top = o.top[0] if o.top else ("-", 0.0)
            extra = f", born {r['birth_date']}" if r["birth_date"] else ""
            out.append(
                f"- `{r['name']}`{extra} -> {r['source']!r}: {o.expected_score:.3f}; best "
                f"{captions.get(top[0], top[0])!r} {top[1]:.3f}"
            )
        out.append("")
    fa = [r for r in rows if is_neg(r) and r["qid"] in res and alerts(res[r["qid"]], DEFAULT_THRESHOLD)]
    out.append(f"**false alerts on non-listed names**: {len(fa)}")
    out.append("")
    for r in sorted(fa, key=lambda r: -res[r["qid"]].max_score)[:25]:
        o = res[r["qid"]]
        out.append(
            f"- `{r['name']}` ({r['label']['source_name']}) -> "
            f"{captions.get(o.top[0][0], o.top[0][0])!r} {o.top[0][1]:.3f}"
        )
    out.append("")
    return "\n".join(out)


def dump(rows: Sequence[Row], res: dict[str, Outcome], captions: dict[str, str], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            o = res.get(r["qid"])
            if o is None:
                continue
            if is_pos(r) and not found(r, o, DEFAULT_THRESHOLD):
                kind = "miss"
            elif not is_pos(r) and alerts(o, DEFAULT_THRESHOLD):
                kind = "false_alert"
            else:
                continue
            top = [{"entity": e, "caption": captions.get(e, e), "score": round(s, 4)} for e, s in o.top[:3]]
            fh.write(
                json.dumps(
                    {"outcome": kind, **r, "expected_score": o.expected_score, "top": top}, ensure_ascii=False
                )
                + "\n"
            )


# -- the run -----------------------------------------------------------------------------------------


def version() -> str:
    path = Path(proscribe.__file__).resolve().parent
    try:
        rev = subprocess.run(
            ["git", "-C", str(path), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        rev = "?"
    return f"{path} (git {rev})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fixed samples of each set: under 3 minutes")
    ap.add_argument(
        "--systems", default=",".join(SYSTEMS), help="comma-separated subset of " + ", ".join(SYSTEMS)
    )
    ap.add_argument(
        "--nk-sample",
        type=int,
        default=None,
        help="at most this many queries per set for logic-v2 (default: see NK_FULL)",
    )
    ap.add_argument("--out", default=None, help="the report (default var/bench/real-report[-dev].md)")
    ap.add_argument(
        "--split",
        choices=("test", "dev"),
        default="test",
        help="dev while tuning the matcher; the reported figures are always the test split's",
    )
    args = ap.parse_args()
    if args.out is None:
        args.out = str(
            ROOT / "var" / "bench" / ("real-report.md" if args.split == "test" else "real-report-dev.md")
        )
    wanted = set(args.systems.split(","))
    started = time.perf_counter()
    load_start = ", ".join(f"{x:.2f}" for x in os.getloadavg())

    def say(msg: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {msg}", file=sys.stderr, flush=True)

    store = evalsets.open_store()
    records = store.designated()
    store.close()
    by_index = {k: realsets.records_for(k, records) for k in realsets.INDEXES}
    captions = {r.target.id or "": r.target.caption for recs in by_index.values() for r in recs}
    sets = {name: realsets.load(name, args.split) for name in realsets.SETS}
    if args.quick:
        sets = {
            k: (v if len(v) <= QUICK[k] else random.Random(k).sample(v, QUICK[k])) for k, v in sets.items()
        }
    rows = [r for name in realsets.SETS for r in sets[name]]
    summary = json.loads((OUT / "summary.json").read_text())
    say("queries: " + ", ".join(f"{k} {len(v)}" for k, v in sets.items()))

    results: dict[str, dict[str, Outcome]] = {}
    pruned: dict[str, Outcome] = {}
    extra: dict[str, Any] = {
        "load_start": load_start,
        "proscribe_version": version(),
        "set_sizes": summary["sets"],
        "links": summary["links"],
        "nonlisted": summary.get("nonlisted", {}),
        "captions": captions,
    }
    screeners = {k: Screener(Index.build(v)) for k, v in by_index.items()}
    say("proscribe: indexes built")
    pros = Proscribe(screeners)
    results["proscribe"] = pros.run(rows, 0.0)
    pruned = pros.run(rows, DEFAULT_THRESHOLD)
    pos = [r for r in rows if is_pos(r)]
    lost = [
        r
        for r in pos
        if found(r, results["proscribe"][r["qid"]], DEFAULT_THRESHOLD)
        and not found(r, pruned[r["qid"]], DEFAULT_THRESHOLD)
    ]
    extra["pruning"] = {"n": len(pos), "lost": len(lost), "examples": [r["name"] for r in lost[:10]]}
    say(f"proscribe: evaluated (pruning lost {len(lost)})")
    # class 9: an exact listed name, scored in the full index and with the listing alone
    by_id = {r.target.id: r for r in by_index["full"]}
    deltas = []
    for r in rows:
        if r["set"] == "disguise" and r["label"]["disguise"] == "exact":
            src = r["qid"].split(":")[1]
            if src not in by_id:
                continue
            alone = Screener(Index.build([by_id[src]])).compare_all(to_query(r))
            a = alone[0].score if alone else 0.0
            full = max((s for e, s in results["proscribe"][r["qid"]].top if e == src), default=0.0)
            deltas.append((abs(full - a), r["name"], full, a))
    if deltas:
        extra["list_dependence"] = {
            "n": len(deltas),
            "mean": sum(d[0] for d in deltas) / len(deltas),
            "over05": sum(d[0] > 0.05 for d in deltas),
            "max": max(d[0] for d in deltas),
            "worst": sorted(deltas, reverse=True)[:5],
        }
    say("proscribe: list dependence measured")

    if "ofac-style" in wanted or "logic-v2" in wanted:
        results["ofac-style"] = {}
        for k in realsets.INDEXES:
            sel = [r for r in rows if r["index"] == k]
            if sel:
                results["ofac-style"].update(OfacBaseline(by_index[k]).run(sel))
        say("ofac-style: evaluated")
    if "rapidfuzz" in wanted or "logic-v2" in wanted:
        results["rapidfuzz"] = {}
        for k in realsets.INDEXES:
            sel = [r for r in rows if r["index"] == k]
            if sel:
                results["rapidfuzz"].update(Rapidfuzz(by_index[k]).run(sel))
        say("rapidfuzz: evaluated")
    if "logic-v2" in wanted:
        nk = NomenklaturaV2(by_index)
        caps = (
            {k: args.nk_sample for k in realsets.SETS}
            if args.nk_sample
            else (dict.fromkeys(realsets.SETS, NK_QUICK) if args.quick else NK_FULL)
        )
        nk_rows = []
        for name in realsets.SETS:
            cap = caps.get(name)
            sel = sets[name]
            nk_rows += sel if cap is None or len(sel) <= cap else random.Random("nk-" + name).sample(sel, cap)
        cands: dict[str, list[str]] = {}
        for r in nk_rows:
            c: list[str] = []
            for s in ("proscribe", "ofac-style", "rapidfuzz"):
                c += [e for e, _ in results[s][r["qid"]].top if e not in c]
            cands[r["qid"]] = c
        results["logic-v2"] = nk.run(nk_rows, cands)
        say(f"logic-v2: {len(nk_rows)} queries scored, {nk.pairs} pairs in {nk.wall:.0f} s")
        extra["nk_wall"] = nk.wall

    # the probe: alerts on the full index
    probe_rows = realsets.load("probe")
    extra["probe"] = []
    probe_res: dict[str, dict[str, Outcome]] = {}
    full_pros = Proscribe({"full": screeners["full"]})
    probe_res["proscribe"] = full_pros.run(probe_rows, DEFAULT_THRESHOLD)
    if "ofac-style" in results:
        probe_res["ofac-style"] = OfacBaseline(by_index["full"]).run(probe_rows, keep=100_000)
    if "rapidfuzz" in results:
        probe_res["rapidfuzz"] = Rapidfuzz(by_index["full"]).run(probe_rows)
    if "logic-v2" in results:
        pc = {}
        for r in probe_rows:
            c: list[str] = []
            for s in ("proscribe", "ofac-style", "rapidfuzz"):
                if s in probe_res:
                    c += [e for e, _ in probe_res[s][r["qid"]].top[:30] if e not in c]
            pc[r["qid"]] = c
        probe_res["logic-v2"] = nk.run(probe_rows, pc, keep=100_000)
    for r in probe_rows:
        counts = {}
        for s, res in probe_res.items():
            o = res[r["qid"]]
            n = sum(1 for _, sc in o.top if sc >= THRESHOLDS[s])
            best = f"{captions.get(o.top[0][0], o.top[0][0])} {o.top[0][1]:.2f}" if o.top else "–"
            counts[s] = f"{n}{'+' if n >= len(o.top) and n >= TOP else ''} / {best}"
        extra["probe"].append((r["name"], counts))
    report = render(args, rows, results, pruned, extra)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, encoding="utf-8")
    dump(rows, {**results["proscribe"], **pruned}, captions, OUT / "proscribe-misses.jsonl")
    print(report)
    say(f"done; report in {out}")


if __name__ == "__main__":
    main()
