"""Screening speed and memory: names/s in batch, single-query latency, index build peak memory.

``python bench/speed.py`` (about 3 minutes on 2 cores) prints a Markdown table and the JSON it is
made of. The queries are a fixed mix, built from the real lists and real names nobody here wrote:

* **listed**: names exactly as OFAC 2021 or UN 2026 list them (primary names and aliases, in every
  script the lists use: Latin, Arabic, Cyrillic, Chinese...);
* **variants** of listed names: words in another order, a letter changed, a middle word dropped,
  an extra word ("KC", "LONDON", "PAYMENT REF"), lower case;
* **non-listed**: the US Commerce Denied Persons List (``misc/bis-dpl.txt``, real names of another
  list) and Faker names in eleven locales and their scripts (when Faker is installed,
  ``bench/requirements.txt``).

Figures:

* ``batch``: ``screen_file`` on a CSV of the mix with 1 and 2 worker processes (warm: the index
  is built and cached first; the 2-worker figure includes starting the workers and loading the
  index in each);
* ``loop``: ``Screener.screen`` over the mix in one process, after one warm-up pass over other
  names (the per-word caches are warm for common words, not for the names themselves);
* ``latency``: p50/p90/p99/max of single ``Screener.screen`` calls on queries not seen before;
* ``build``: a fresh process builds the OFAC + UN index from the store; its peak resident memory
  (VmHWM) and the peak of Python allocations (tracemalloc) during ``Index.build``;
* the compiled hot path (``proscribe.matching._speedups``) against ``PROSCRIBE_PURE_PYTHON=1``.

The machine is shared: the load average (``os.getloadavg``) is printed with each figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("PROSCRIBE_SHARED_DATA", ROOT.parent / "shared" / "data"))
OUT = ROOT / "var" / "bench"
EXTRA_WORDS = ("KC", "LONDON", "PAYMENT REF", "MR", "TRADING")
FAKER_LOCALES = (
    "en_US",
    "ru_RU",
    "ar_AA",
    "fa_IR",
    "zh_CN",
    "ko_KR",
    "ja_JP",
    "es_ES",
    "tr_TR",
    "el_GR",
    "hi_IN",
)


def load() -> tuple[float, float, float]:
    return os.getloadavg()


def store_path() -> Path:
    return OUT / "speed-store.db"


def open_store() -> Any:
    from datetime import date

    from proscribe.store import Store

    OUT.mkdir(parents=True, exist_ok=True)
    path = store_path()
    fresh = not path.exists()
    store = Store.open(f"sqlite:///{path}")
    if fresh:
        store.import_path(DATA / "ofac-sdn-2021-07", as_of=date(2021, 7, 1))
        store.import_path(DATA / "un-2026-02" / "consolidated.xml")
    return store


def screener() -> Any:
    from proscribe.screening import Screener

    store = open_store()
    try:
        return Screener.from_store(store, cache_dir=OUT / "speed-index")
    finally:
        store.close()


def _variant(rng: random.Random, name: str) -> str:
    words = name.replace(",", " ").split()
    how = rng.randrange(6)
    if how == 0 and len(words) > 1:
        words = words[1:] + words[:1]
    elif how == 1:
        w = rng.randrange(len(words))
        word = words[w]
        if len(word) > 3:
            i = rng.randrange(len(word))
            word = word[:i] + rng.choice("aeioulnrst") + word[i + 1 :]
        words[w] = word
    elif how == 2 and len(words) > 2:
        del words[rng.randrange(1, len(words) - 1)]
    elif how == 3:
        words.append(rng.choice(EXTRA_WORDS))
    elif how == 4:
        return " ".join(words).lower()
    else:
        words.insert(0, rng.choice(("Mr", "Dr", "Sheikh")))
    return " ".join(words)


def non_listed(rng: random.Random, n: int) -> list[str]:
    out: list[str] = []
    with open(DATA / "misc" / "bis-dpl.txt", encoding="utf-8", errors="replace") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        out += [r["Name"].strip() for r in reader if r.get("Name")]
    try:
        from faker import Faker
    except ImportError:
        print("(Faker not installed: non-listed names are the BIS list only)", file=sys.stderr)
    else:
        for loc in FAKER_LOCALES:
            fake = Faker(loc)
            fake.seed_instance(20261203)
            out += [fake.name() for _ in range(n // len(FAKER_LOCALES) + 1)]
    rng.shuffle(out)
    return out[:n]


def mix(index: Any, n: int, seed: str = "speed") -> list[dict[str, str]]:
    """``n`` query rows: a third listed names, a third variants, a third non-listed names."""
    rng = random.Random(seed)
    texts = sorted({nm.text for nm in index.names})
    kinds = {nm.text: index.entities[nm.entity].kind for nm in index.names}
    third = n // 3
    rows = []
    for t in rng.sample(texts, third):
        rows.append({"name": t, "type": kinds[t], "set": "listed"})
    for t in rng.sample(texts, third):
        rows.append({"name": _variant(rng, t), "type": "", "set": "variant"})
    for t in non_listed(rng, n - 2 * third):
        rows.append({"name": t, "type": "person", "set": "non-listed"})
    rng.shuffle(rows)
    for i, r in enumerate(rows):
        r["id"] = f"{seed}-{i}"
    return rows


def write_csv(rows: list[dict[str, str]], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name", "type"])
        for r in rows:
            w.writerow([r["id"], r["name"], r["type"]])


def _query(r: dict[str, str]) -> Any:
    from proscribe.screening import Query

    return Query(r["name"], kind=r["type"] or None, id=r["id"])


def probe_build(trace: bool) -> dict[str, Any]:
    """In a fresh process: build the index from the store as ``Screener.from_store`` does (records
    streamed into ``Index.build``), report the process's peak resident memory (VmHWM) or, with
    ``trace``, the peak of Python allocations during the build (tracemalloc slows it and adds its
    own memory, so the two are measured in separate processes)."""
    import tracemalloc

    from proscribe.matching.index import Index

    store = open_store()
    before = _status("VmHWM")
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    index = Index.build(store.iter_designated(None, None))
    took = time.perf_counter() - t0
    out: dict[str, Any] = {"names": len(index.names), "vocab": len(index.vocab), "load": load()}
    if trace:
        out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    else:
        out["build_s"] = took
        out["vmhwm_before_mb"] = before
        out["vmhwm_mb"] = _status("VmHWM")
        out["rss_after_mb"] = _status("VmRSS")
    store.close()
    return out


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def compiled() -> bool | None:
    """Whether the C hot path is in use (None: a checkout from before it, measured for comparison
    with ``PYTHONPATH=that/src python bench/speed.py --probe ...``)."""
    try:
        from proscribe.matching import fast
    except ImportError:
        return None
    return fast.COMPILED


def probe_queries(n: int) -> dict[str, Any]:
    """In a fresh process: one-process loop throughput and single-query latency."""
    s = screener()
    rows = mix(s.index, n + 6000, seed="speed")
    warm, stream, lat_rows = rows[:1000], rows[1000 : 1000 + n], rows[1000 + n :]
    for r in warm:
        s.screen(_query(r))
    queries = [_query(r) for r in stream]
    ld = load()
    t0, c0 = time.perf_counter(), time.process_time()
    hits = 0
    for q in queries:
        hits += len(s.screen(q))
    loop = len(queries) / (time.perf_counter() - t0)
    loop_cpu = len(queries) / (time.process_time() - c0)
    lat = []
    cpu = []  # the thread's own CPU time: what a query costs when the process is not preempted
    for r in lat_rows:
        q = _query(r)
        t0, c0 = time.perf_counter(), time.thread_time()
        s.screen(q)
        lat.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    lat.sort()
    cpu.sort()
    return {
        "compiled": compiled(),
        "loop_qps": loop,
        "loop_cpu_qps": loop_cpu,
        "loop_n": len(queries),
        "hits": hits,
        "p50_ms": 1000 * lat[len(lat) // 2],
        "p90_ms": 1000 * lat[int(len(lat) * 0.9)],
        "p99_ms": 1000 * lat[int(len(lat) * 0.99)],
        "max_ms": 1000 * lat[-1],
        "cpu_p50_ms": 1000 * cpu[len(cpu) // 2],
        "cpu_p99_ms": 1000 * cpu[int(len(cpu) * 0.99)],
        "lat_n": len(lat),
        "load": ld,
    }


def probe_batch(n: int, workers: int) -> dict[str, Any]:
    """In a fresh process: ``screen_file`` over the mix with ``workers`` processes."""
    from proscribe.screening.batch import screen_file

    s = screener()
    rows = mix(s.index, n, seed="batch")
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        write_csv(rows, src)
        ld = load()
        t0 = time.perf_counter()
        r0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        screen_file(s, src, out, workers=workers)
        took = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(out, encoding="utf-8") as fh:
            hit_rows = sum(1 for _ in fh) - 1
    cpu = sum(b.ru_utime + b.ru_stime - a.ru_utime - a.ru_stime for a, b in zip(r0, r1, strict=True))
    return {
        "compiled": compiled(),
        "workers": workers,
        "n": n,
        "names_s": n / took,
        # names per CPU-second, parent and workers together: what a free core would do
        "names_cpu_s": n / cpu,
        "hit_rows": hit_rows,
        "load": ld,
    }


def run_probe(args: list[str], pure: bool = False) -> dict[str, Any]:
    env = dict(os.environ)
    if pure:
        env["PROSCRIBE_PURE_PYTHON"] = "1"
    else:
        env.pop("PROSCRIBE_PURE_PYTHON", None)
    res = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env, cwd=ROOT, check=False
    )
    if res.returncode:
        raise SystemExit(f"probe {args} failed:\n{res.stderr[-3000:]}")
    out: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--probe", choices=("build", "build-trace", "queries", "batch"))
    ap.add_argument("-n", type=int, default=20_000, help="queries for throughput (default 20,000)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--pure", action="store_true", help="only the pure-Python path")
    args = ap.parse_args()
    if args.probe in ("build", "build-trace"):
        print(json.dumps(probe_build(args.probe == "build-trace")))
        return
    if args.probe == "queries":
        print(json.dumps(probe_queries(args.n)))
        return
    if args.probe == "batch":
        print(json.dumps(probe_batch(args.n, args.workers)))
        return
    screener()  # build and cache the index once
    results: dict[str, Any] = {"build": run_probe(["--probe", "build"])}
    results["build"].update(run_probe(["--probe", "build-trace"]))
    modes = [True] if args.pure else [False, True]
    for pure in modes:
        tag = "pure" if pure else "compiled"
        results[f"queries_{tag}"] = run_probe(["--probe", "queries", "-n", str(args.n)], pure)
        for w in (1, 2):
            results[f"batch{w}_{tag}"] = run_probe(
                ["--probe", "batch", "-n", str(args.n), "--workers", str(w)], pure
            )
    print(json.dumps(results, indent=1))
    b = results["build"]
    print(
        f"\nindex build (OFAC + UN): {b['build_s']:.1f} s, peak RSS {b['vmhwm_mb']:.0f} MB "
        f"({b['vmhwm_before_mb']:.0f} MB before the build), "
        f"tracemalloc peak {b['tracemalloc_peak_mb']:.0f} MB, load {b['load'][0]:.2f}"
    )
    print(
        "\n| path | batch 1 process | batch 2 processes | batch, names per CPU-second | "
        "loop 1 process (per CPU-second) | p50 / p99 | p50 / p99 CPU time | load |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for pure in modes:
        tag = "pure" if pure else "compiled"
        q, b1, b2 = results[f"queries_{tag}"], results[f"batch1_{tag}"], results[f"batch2_{tag}"]
        name = "pure Python" if pure else ("C extension" if q["compiled"] else "pure Python (no extension)")
        print(
            f"| {name} | {b1['names_s']:,.0f}/s | {b2['names_s']:,.0f}/s | {b1['names_cpu_s']:,.0f} | "
            f"{q['loop_qps']:,.0f}/s ({q['loop_cpu_qps']:,.0f}) | {q['p50_ms']:.2f} / {q['p99_ms']:.2f} ms | "
            f"{q['cpu_p50_ms']:.2f} / {q['cpu_p99_ms']:.2f} ms | {q['load'][0]:.2f} |"
        )


if __name__ == "__main__":
    main()
