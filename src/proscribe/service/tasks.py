"""What the job workers run (``proscribe jobs worker``): functions named on the RQ queue.

The worker process loads the screening index once (``WorkerIndex``) and refreshes it between
jobs when a list changed; each job runs in a work horse forked from it, which shares the index
copy-on-write, and reports its progress in the RQ job's ``meta``.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from rq import Queue, Worker, get_current_job
from rq.job import Job as RqJob
from rq.job import JobStatus

from proscribe.enforcement import alerts
from proscribe.enforcement.clock import now
from proscribe.screening import Screener, batch
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


def rescreen_book(mode: str, actor: str, at: str | None, parties: list[str] | None) -> dict[str, Any]:
    """Screen the book (``alerts.rescreen``, one transaction) as of ``at`` (ISO 8601; None: when
    the job runs) with the worker's index when it holds the lists of that day, else with the lists
    as they stood that day."""
    if INDEX is None or INDEX.current is None:
        raise RuntimeError("this process has no screening index: run jobs with `proscribe jobs worker`")
    job = get_current_job()
    when = datetime.fromisoformat(at) if at else now()
    current = INDEX.current.screener
    built = current.index.built_from
    store = INDEX.store
    screener = (
        current
        if built.get("as_of") == when.date().isoformat() and built.get("version_key") == store.version_key()
        else Screener.from_store(store, as_of=when.date(), cache_dir=INDEX.cache_dir)
    )
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        if job is not None and time.monotonic() - last > 0.5:
            last = time.monotonic()
            job.meta["done"], job.meta["total"] = done, total
            job.save_meta()  # type: ignore[no-untyped-call]

    result = alerts.rescreen(
        store, mode=mode, actor=actor, at=when, parties=parties, screener=screener, progress=progress
    )
    if job is not None:
        job.meta["done"] = job.meta["total"] = result.parties_screened
        job.save_meta()  # type: ignore[no-untyped-call]
    log.info("job done", extra={"event": "job.done", "job": job.id if job else None, "run": result.run_id})
    return result.to_dict()


class IndexedWorker(Worker):
    """An RQ worker that brings its index up to date before it forks the horse of each job."""

    def execute_job(self, job: RqJob, queue: Queue) -> Any:
        if INDEX is not None and INDEX.stale:
            INDEX.rebuild()
        return super().execute_job(job, queue)

    def main_work_horse(self, job: RqJob, queue: Queue) -> None:
        """In the forked horse: its own database connections, never the worker's. A connection
        inherited from the worker would outlive a horse killed by a stop: the socket stays open in
        the worker, so the database would keep the killed job's transaction (and its locks: the
        audit trail's head) open instead of rolling it back."""
        if INDEX is not None:
            INDEX.store.engine.dispose(close=False)
        super().main_work_horse(job, queue)

    def handle_job_failure(self, job: RqJob, queue: Queue, *args: Any, **kwargs: Any) -> None:
        """A job stopped on request (its horse killed): its half-written hits file is deleted, so
        that nothing of it is taken for a result. (A re-screen's transaction died with the horse's
        connection: the database rolled it back.)"""
        super().handle_job_failure(job, queue, *args, **kwargs)
        if job.get_status(refresh=True) == JobStatus.STOPPED:
            path = job.meta.get("result_path")
            if path:
                Path(path).unlink(missing_ok=True)
            log.info(
                "job stopped", extra={"event": "job.stopped", "job": job.id, "kind": job.meta.get("kind")}
            )


def run_worker(store: Store, redis_url: str, queue: str, *, cache_dir: Path | None, burst: bool) -> bool:
    """Load the index, then take jobs off ``queue`` until stopped (or, ``burst``, until it is empty)."""
    import redis

    global INDEX
    INDEX = IndexHolder(store, cache_dir, refresh_seconds=0)
    INDEX.rebuild()
    connection = redis.Redis.from_url(redis_url)
    worker = IndexedWorker([Queue(queue, connection=connection)], connection=connection)
    return bool(worker.work(burst=burst, logging_level="INFO"))
