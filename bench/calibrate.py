"""Fit the logistic coefficients of ``proscribe.matching.score.COEF`` on the evaluation sets.

Run ``python bench/evalsets.py`` once, then ``python bench/calibrate.py`` (``--quick`` samples
the queries). With ``--real`` it reads the real sets of ``bench/realsets.py`` instead (run that
first): positives are the cross-publisher pairs, OFAC's respellings and date corrections, the
disguises and the free-text lines naming a listed person; negatives are the real non-listed
names and the free-text lines naming them. It fits on their dev split and checks on their test
split, as below; tune on dev only. Nothing is written into the source: the new ``COEF`` dict
is printed, ready to be pasted into ``score.py`` by whoever owns it.

Data (``dev`` split): every candidate ``Screener.compare_all`` returns for a query, described by
its ``features`` dict (a missing key is 0). A candidate is a match (label 1) when it is an
expected listing of a positive query (sets ``variants`` and ``noisy``); every other candidate is
0: the wrong candidates of positive queries and all candidates of ``negatives`` and
``dob_conflict`` queries. Candidates of another kind (a person query against a company) carry
no features and always score 0: they are left out.

Model: logit = intercept + sum(coefficient x feature), the formula of ``score.py``, fitted by
L2-regularised logistic regression (Newton / IRLS, a few lines of numpy; the intercept is not
penalised). ``--fixed id_match=11`` keeps a coefficient at a set value instead of fitting it.

Then, on the ``test`` split, with the new coefficients and with those in ``score.py`` now: a
reliability table (predicted probability in bins against the observed share of matches), and the
threshold that keeps recall >= 0.97 on the positive queries (an expected listing scoring at or
above it) with the fewest false alerts on the negatives (any candidate at or above it).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import evalsets
import realsets
from screening import INDEXES, to_query

from proscribe.matching.index import Index
from proscribe.matching.score import COEF, NEGATIVE_FEATURES, POSITIVE_FEATURES
from proscribe.screening import DEFAULT_THRESHOLD, Screener

Row = dict[str, Any]
POSITIVE_SETS = ("variants", "noisy")
REAL = False  # set by --real


def is_positive(row: Row) -> bool:
    if REAL:
        return row["set"] in realsets.POSITIVE_SETS and not row["label"].get("negative")
    return row["set"] in POSITIVE_SETS


def is_negative(row: Row) -> bool:
    if REAL:
        return row["set"] == "nonlisted" or bool(row["label"].get("negative"))
    return row["set"] == "negatives"


@dataclass
class Data:
    """One row per (query, candidate)."""

    features: list[str]
    x: np.ndarray  # candidates x features
    y: np.ndarray  # 1 = the expected listing
    query: np.ndarray  # index of the query row each candidate belongs to
    current: np.ndarray  # the score proscribe gives now
    rows: list[Row]
    entities: list[str]  # the listing each candidate is


def collect(screeners: dict[str, Screener], rows: Sequence[Row], names: list[str] | None = None) -> Data:
    feats: list[dict[str, float]] = []
    labels: list[int] = []
    owner: list[int] = []
    current: list[float] = []
    entities: list[str] = []
    for qi, row in enumerate(rows):
        expected = set(row["expected"])
        screener = screeners[row["index"]]
        if row["set"] == "freetext":
            comps = screener.compare_text(row["name"])
        else:
            comps = screener.compare_all(to_query(row))
        for comp in comps:
            if not comp.features:
                continue
            feats.append(comp.features)
            labels.append(1 if comp.entity.entity_id in expected else 0)
            owner.append(qi)
            current.append(comp.score)
            entities.append(comp.entity.entity_id)
    if names is None:
        seen = {k for f in feats for k in f}
        names = [k for k in COEF if k != "intercept"] + sorted(seen - set(COEF))
    x = np.zeros((len(feats), len(names)))
    col = {n: j for j, n in enumerate(names)}
    for i, f in enumerate(feats):
        for k, v in f.items():
            if k in col:
                x[i, col[k]] = v
    return Data(
        names,
        x,
        np.array(labels, dtype=float),
        np.array(owner, dtype=int),
        np.array(current),
        list(rows),
        entities,
    )


def fit(x: np.ndarray, y: np.ndarray, l2: float, offset: np.ndarray, iters: int = 50) -> np.ndarray:
    """Newton-Raphson for L2-regularised logistic regression; column 0 (the intercept) unpenalised."""
    d = x.shape[1]
    w = np.zeros(d)
    reg = np.full(d, l2)
    reg[0] = 0.0
    for _ in range(iters):
        z = np.clip(x @ w + offset, -35, 35)
        p = 1.0 / (1.0 + np.exp(-z))
        grad = x.T @ (p - y) + reg * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(reg) + 1e-9 * np.eye(d)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-7:
            break
    return w


def sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))
    return out


def predict(data: Data, coef: dict[str, float]) -> np.ndarray:
    w = np.array([coef.get(f, 0.0) for f in data.features])
    return sigmoid(coef["intercept"] + data.x @ w)


def reliability(probs: np.ndarray, y: np.ndarray, bins: int = 10) -> list[tuple[str, int, float, float]]:
    out = []
    edges = np.linspace(0, 1, bins + 1)
    for i in range(bins):
        lo, hi = edges[i], edges[i + 1]
        m = (probs >= lo) & ((probs < hi) if i < bins - 1 else (probs <= hi))
        n = int(m.sum())
        out.append(
            (
                f"{lo:.1f}-{hi:.1f}",
                n,
                float(probs[m].mean()) if n else math.nan,
                float(y[m].mean()) if n else math.nan,
            )
        )
    return out


def per_query(data: Data, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(best score of an expected listing, best score of any listing) for each query row."""
    n = len(data.rows)
    exp = np.zeros(n)
    top = np.zeros(n)
    np.maximum.at(top, data.query, probs)
    np.maximum.at(exp, data.query, np.where(data.y > 0, probs, 0.0))
    return exp, top


def operating(data: Data, probs: np.ndarray, target: float = 0.97) -> dict[str, Any]:
    exp, top = per_query(data, probs)
    sets = np.array([r["set"] for r in data.rows])
    pos = np.array([is_positive(r) for r in data.rows], dtype=bool)
    neg = np.array([is_negative(r) for r in data.rows], dtype=bool)
    dob = sets == "dob_conflict"
    listed = [set(r["label"].get("listed", ())) for r in data.rows]
    # the score of the listing a dob_conflict query names
    named = np.zeros(len(data.rows))
    for i, (q, p) in enumerate(zip(data.query, probs, strict=True)):
        if dob[q] and data.entities[i] in listed[q]:
            named[q] = max(named[q], p)
    ps = np.sort(exp[pos])
    k = math.floor((1 - target) * len(ps))
    t = float(ps[k]) if len(ps) else math.nan

    def share(x: np.ndarray) -> float:
        return float(x.mean()) if len(x) else math.nan

    def at(th: float) -> tuple[float, float, float, float]:
        return (
            share(exp[pos] >= th),
            share(top[neg] >= th),
            share(top[dob] >= th),
            share(named[dob] >= th),
        )

    return {"threshold": t, "reachable": t > 0, "max_recall": float((exp[pos] > 0).mean()), "at": at}


def write_coef(coef: dict[str, float]) -> None:
    """Replace the numbers of score.py's COEF dict, keeping its comments."""
    path = Path(__file__).resolve().parent.parent / "src" / "proscribe" / "matching" / "score.py"
    text = path.read_text(encoding="utf-8")
    start = text.index("COEF: dict[str, float] = {")
    end = text.index("\n}\n", start)
    body = text[start:end].splitlines()
    out = []
    for line in body:
        stripped = line.strip()
        if stripped.startswith('"') and ":" in stripped:
            name = stripped.split('"')[1]
            if name in coef:
                line = f'    "{name}": {coef[name]},'
        out.append(line)
    path.write_text(text[:start] + "\n".join(out) + text[end:], encoding="utf-8")
    print(f"(written into {path})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="sample the queries (about a minute)")
    ap.add_argument(
        "--l2", type=float, default=1.0, help="L2 penalty on the coefficients (not the intercept)"
    )
    ap.add_argument(
        "--fixed",
        action="append",
        default=[],
        metavar="FEATURE=VALUE",
        help="keep a coefficient at this value instead of fitting it (repeatable)",
    )
    ap.add_argument("--target-recall", type=float, default=0.97)
    ap.add_argument(
        "--write", action="store_true", help="write the fitted COEF into src/proscribe/matching/score.py"
    )
    ap.add_argument(
        "--holdout", action="store_true", help="check on a held-out half of dev instead of the test split"
    )
    ap.add_argument("--real", action="store_true", help="fit on the real sets of bench/realsets.py")
    args = ap.parse_args()
    global REAL
    REAL = args.real
    # set, not fitted: too few evaluation queries carry them (see score.py)
    fixed = {"id_match": COEF["id_match"], "gender_conflict": COEF["gender_conflict"]}
    fixed.update({k: float(v) for k, v in (f.split("=", 1) for f in args.fixed)})
    t_start = time.perf_counter()

    store = evalsets.open_store()
    records = store.designated()
    source: Any = realsets if args.real else evalsets
    indexes = realsets.INDEXES if args.real else INDEXES
    screeners = {k: Screener(Index.build(source.records_for(k, records))) for k in indexes}

    def rows_of(split: str) -> list[Row]:
        rows = [r for name in source.SETS for r in source.load(name, split)]
        if args.quick:
            rows = random.Random(split).sample(rows, min(6000, len(rows)))
        return rows

    if args.holdout:
        # while tuning: fit on half of dev (by listed group), check on the other half; the test split
        # is left alone
        everything = rows_of("dev")

        def half(r: Row) -> int:
            group = str(r.get("label", {}).get("group") or r["qid"])
            return int(hashlib.sha256(group.encode()).hexdigest(), 16) % 2

        dev_rows = [r for r in everything if half(r) == 0]
        test_rows = [r for r in everything if half(r) == 1]
    else:
        dev_rows, test_rows = rows_of("dev"), rows_of("test")
    dev = collect(screeners, dev_rows)
    test = collect(screeners, test_rows, dev.features)
    print(
        f"dev: {len(dev_rows)} queries, {len(dev.y)} candidates ({int(dev.y.sum())} matches); "
        f"test: {len(test_rows)} queries, {len(test.y)} candidates ({time.perf_counter() - t_start:.0f} s)"
    )

    # signs are constrained (more evidence never lowers a score, more left over never raises it:
    # the index's bound relies on it): a coefficient fitted with the wrong sign is set to 0 and the
    # rest refitted
    while True:
        free = [f for f in dev.features if f not in fixed]
        cols = [dev.features.index(f) for f in free]
        x = np.hstack([np.ones((len(dev.y), 1)), dev.x[:, cols]])
        offset = np.zeros(len(dev.y))
        for f, v in fixed.items():
            if f in dev.features:
                offset += v * dev.x[:, dev.features.index(f)]
        w = fit(x, dev.y, args.l2, offset)
        wrong = [
            f
            for f, v in zip(free, w[1:], strict=True)
            if (f in POSITIVE_FEATURES and v < 0) or (f in NEGATIVE_FEATURES and v > 0)
        ]
        if not wrong:
            break
        print(f"(fitted with the wrong sign, set to 0: {', '.join(wrong)})")
        fixed.update(dict.fromkeys(wrong, 0.0))
    new: dict[str, float] = {"intercept": round(float(w[0]), 3)}
    for f in dev.features:
        new[f] = round(fixed[f], 3) if f in fixed else round(float(w[1 + free.index(f)]), 3)
    unused = [f for f in dev.features if not dev.x[:, dev.features.index(f)].any()]

    fixed_note = f"; fixed: {', '.join(fixed)}" if fixed else ""
    print(f"\n# fitted on the dev split with bench/calibrate.py (L2 = {args.l2:g}{fixed_note})")
    print("COEF: dict[str, float] = {")
    for k, v in new.items():
        note = "  # never non-zero in the dev data: keeps the penalty's pull to 0" if k in unused else ""
        print(f"    {k!r}: {v},{note}")
    print("}")
    new_features = [f for f in dev.features if f not in COEF]
    if new_features:
        print(f"(features not in score.py's COEF yet: {', '.join(new_features)})")

    if args.write:
        write_coef(new)
    current = dict(COEF)
    for label, coef in (("new COEF", new), ("COEF in score.py now", current)):
        probs = predict(test, coef)
        ll = -float(
            np.mean(
                test.y * np.log(np.clip(probs, 1e-12, 1))
                + (1 - test.y) * np.log(np.clip(1 - probs, 1e-12, 1))
            )
        )
        print(
            f"\n## Reliability on the test split, {label} (log loss {ll:.4f}, "
            f"{len(test.y)} candidates of {len(test_rows)} queries)\n"
        )
        print("| predicted | candidates | mean predicted | observed match rate |")
        print("|---|---|---|---|")
        for b, n, mp_, obs in reliability(probs, test.y):
            print(f"| {b} | {n} | {mp_:.3f} | {obs:.3f} |" if n else f"| {b} | 0 | – | – |")
        op = operating(test, probs, args.target_recall)
        print(f"\n## Thresholds on the test split, {label}\n")
        print(
            "| threshold | recall (positives) | false alerts (negatives) | dob_conflict: any alert | "
            "dob_conflict: on the listing named |"
        )
        print("|---|---|---|---|---|")
        ths = sorted(
            {0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, DEFAULT_THRESHOLD}
            | ({op["threshold"]} if op["reachable"] else set())
        )
        for th in ths:
            r, fa, dc, dn = op["at"](th)
            mark = " (default)" if th == DEFAULT_THRESHOLD else ""
            if op["reachable"] and th == op["threshold"]:
                mark += f" (recall >= {args.target_recall})"
            print(
                f"| {th:.4f}{mark} | {100 * r:.2f} % | {100 * fa:.2f} % | {100 * dc:.2f} % "
                f"| {100 * dn:.2f} % |"
            )
        if op["reachable"]:
            r, fa, _, _ = op["at"](op["threshold"])
            print(
                f"\nsuggested threshold ({label}): {op['threshold']:.4f} -> recall {100 * r:.2f} %, "
                f"false alerts {100 * fa:.2f} %"
            )
        else:
            print(
                f"\nrecall {args.target_recall} is out of reach ({label}): the expected listing is a scored "
                f"candidate for only {100 * op['max_recall']:.2f} % of the positive queries"
            )
    print(f"\n({time.perf_counter() - t_start:.0f} s)")


if __name__ == "__main__":
    main()
