"""What the job workers run (``proscribe jobs worker``): functions named on the RQ queue.

The worker process loads the screening index once (``WorkerIndex``) and refreshes it between
jobs when a list changed; each job runs in a work horse forked from it, which shares the index
copy-on-write, and reports its progress in the RQ job's ``meta``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from rq import Queue, Worker, get_current_job
from rq.job import Job as RqJob

from proscribe.screening import batch
from proscribe.service.index import IndexHolder
from proscribe.store import Store

log = logging.getLogger("proscribe.service")

#: the index of this worker process, set by ``run_worker`` before any job runs
INDEX: IndexHolder | None = None


def screen_batch(
    input_path: str, out: str, threshold: float, limit: int, input_format: str, name: str
) -> dict[str, Any]:
    """Screen an uploaded file with the worker's index; the summary, as ``/api/jobs`` shows it."""
    if INDEX is None or INDEX.current is None:
        raise RuntimeError("this process has no screening index: run jobs with `proscribe jobs worker`")
    job = get_current_job()
    last = 0.0

    def progress(done: int) -> None:
        nonlocal last
        if job is not None and time.monotonic() - last > 0.5:
            last = time.monotonic()
            job.meta["done"] = done
            job.save_meta()  # type: ignore[no-untyped-call]

    summary = batch.screen_file(
        INDEX.current.screener,
        Path(input_path),
        Path(out),
        threshold=threshold,
        limit=limit,
        input_format=input_format,
        workers=1,
        progress=progress,
    )
    if job is not None:
        job.meta["done"] = summary.rows_read
        job.save_meta()  # type: ignore[no-untyped-call]
    log.info(
        "job done", extra={"event": "job.done", "job": job.id if job else None, "rows": summary.rows_read}
    )
    return summary.to_dict() | {
        "input": name,
        "output": Path(out).name,
        "errors_file": Path(summary.errors_file).name,
    }


class IndexedWorker(Worker):
    """An RQ worker that brings its index up to date before it forks the horse of each job."""

    def execute_job(self, job: RqJob, queue: Queue) -> Any:
        if INDEX is not None and INDEX.stale:
            INDEX.rebuild()
        return super().execute_job(job, queue)


def run_worker(store: Store, redis_url: str, queue: str, *, cache_dir: Path | None, burst: bool) -> bool:
    """Load the index, then take jobs off ``queue`` until stopped (or, ``burst``, until it is empty)."""
    import redis

    global INDEX
    INDEX = IndexHolder(store, cache_dir, refresh_seconds=0)
    INDEX.rebuild()
    connection = redis.Redis.from_url(redis_url)
    worker = IndexedWorker([Queue(queue, connection=connection)], connection=connection)
    return bool(worker.work(burst=burst, logging_level="INFO"))
