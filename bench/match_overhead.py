"""Where the server's CPU goes on ``POST /match``: the matcher, and everything around it.

In one process, no network: the same requests as ``bench/service.py`` (same store, same query mix,
API key authentication and rate limiting on) are

1. scored by ``match_queries`` alone (parsing the example, the matcher, building the results), and
2. sent through the whole ASGI app (``create_app``: middleware, authentication, the rate limit,
   FastAPI's validation, the handler, JSON encoding), called directly with each request's bytes,

one after the other, and the CPU time of each (``time.process_time``) is divided by the requests
(the least of ``--rounds`` alternate rounds).
The difference is what the service adds to the matcher, without Uvicorn's HTTP parsing and the
socket (which ``bench/service.py`` measures with the rest). ``--profile`` prints cProfile's top
functions of (2), the matcher excluded.

    python bench/match_overhead.py [--requests 3000] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from service import VAR, bench_key, queries, store_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    from proscribe.service import ServiceConfig
    from proscribe.service.app import create_app
    from proscribe.service.models import EntityMatchQuery
    from proscribe.service.routes_yente import DEFAULT_MATCH_THRESHOLD, match_queries
    from proscribe.service.runtime import Runtime

    url = store_url()
    key = bench_key(url)
    bodies = queries(url, 2000)
    config = ServiceConfig(
        db=url,
        index_cache=VAR / "index",
        jobs_dir=VAR / "jobs",
        refresh_seconds=3600,
        secret_key="bench-" * 8,
    )
    runtime = Runtime.open(config)
    app = create_app(runtime=runtime)
    runtime.index.rebuild()
    current = runtime.index.current
    assert current is not None
    scope_all = current.catalog.members("default") or set()
    n = args.requests

    # 1. the matcher (with the example's parsing and the results' building)
    parsed = [EntityMatchQuery.model_validate(b) for b in bodies]

    def matcher_round(count: int) -> float:
        begun = time.process_time()
        for i in range(count):
            match_queries(
                current,
                parsed[i % len(parsed)],
                scope=scope_all,
                threshold=DEFAULT_MATCH_THRESHOLD,
                cutoff=0.3,
                limit=5,
                topics=set(),
                changed_since=None,
                excluded=set(),
            )
        return (time.process_time() - begun) / count * 1000

    # 2. the whole app, called as Uvicorn calls it
    payloads = [json.dumps(b).encode() for b in bodies]
    statuses: dict[int, int] = {}

    async def one(payload: bytes) -> None:
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/match/default",
            "raw_path": b"/match/default",
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"127.0.0.1:8765"),
                (b"authorization", f"ApiKey {key}".encode()),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8765),
            "state": {},
        }
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": payload, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses[message["status"]] = statuses.get(message["status"], 0) + 1

        await app(scope, receive, send)

    async def run(count: int) -> float:
        async with app.router.lifespan_context(app):
            for i in range(50):  # warm-up
                await one(payloads[i % len(payloads)])
            statuses.clear()
            begun = time.process_time()
            for i in range(count):
                await one(payloads[i % len(payloads)])
            return (time.process_time() - begun) / count * 1000

    # alternately, three rounds each; the least of each (the machine is shared: the least is the
    # round least disturbed by others)
    matchers, wholes = [], []
    for _ in range(args.rounds):
        matchers.append(matcher_round(n))
        wholes.append(asyncio.run(run(n)))
        assert set(statuses) == {200}, statuses
    matcher, whole = min(matchers), min(wholes)
    print(
        f"requests: {n} of the bench/service.py mix, one after the other, in one process "
        f"(the least of {args.rounds} rounds)"
    )
    print(f"matcher (match_queries)  : {matcher:.3f} ms CPU a request")
    print(f"whole app (ASGI)         : {whole:.3f} ms CPU a request")
    print(f"what the service adds    : {whole - matcher:.3f} ms")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        asyncio.run(run(min(n, 1000)))
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime")
        stats.print_stats(r"^(?!.*proscribe/matching)", 45)


if __name__ == "__main__":
    main()
