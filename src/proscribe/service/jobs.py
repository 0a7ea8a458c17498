"""Background jobs: batch screening of an uploaded file, list updates.

One job runs at a time on a worker thread (a batch screening uses the index already in memory;
several at once would only share the same cores). A job's files live in its own folder under the
jobs folder; the result is downloaded from ``/api/jobs/{id}/result``. Jobs here are kept in
memory: a restart forgets them. With Redis (``PROSCRIBE_REDIS_URL``), batch screening and re-screen
jobs go to the durable queue of ``queue.py`` instead, which survives restarts.

Cancelling: a job waiting for its turn is never run. A running job that checks in between batches
(``Job.check``, called from its progress report: batch screening, re-screens) stops at its next
check: ``JobCancelled`` ends it as ``cancelled``, a re-screen's transaction is rolled back (nothing
of it is kept), and a batch's half-written hits file is deleted. Who cancelled is kept
(``cancelled_by``). Other jobs (list updates) cannot be stopped once running.

A job's files are customer data: the jobs folder and each job's folder are 0700, its files 0600,
and a job's folder is deleted ``retention`` seconds after the job finished (folders left from
before a restart: that long after they were last written). Old folders are swept when a job is
submitted and when the server starts.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from proscribe.enforcement.clock import now
from proscribe.private_files import make_private, private_dir


class JobCancelled(Exception):
    """Raised inside a running job that was cancelled, at its next check."""


@dataclass
class Job:
    id: str
    kind: str
    owner: str
    created_at: datetime
    status: str = "queued"  # queued, running, done, failed, cancelled
    done: int = 0
    total: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    result_path: Path | None = None
    media_type: str = "application/octet-stream"
    #: who cancelled it (the actor, as the audit trail names them)
    cancelled_by: str | None = None
    #: whether it checks for a cancel while running (``check``)
    stoppable: bool = False
    _stop: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    def check(self) -> None:
        """Raise JobCancelled if the job was cancelled (called by the work between batches)."""
        if self._stop.is_set():
            raise JobCancelled(f"cancelled by {self.cancelled_by or 'someone'}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "owner": self.owner,
            "status": self.status,
            "progress": {
                "done": self.done,
                "total": self.total,
                "share": round(self.done / self.total, 4) if self.total else None,
            },
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "error": self.error,
            "cancelled_by": self.cancelled_by,
            "result": self.result,
            "download": f"/api/jobs/{self.id}/result" if self.status == "done" and self.result_path else None,
        }


#: what a job runs: given the job (to report progress on), returns the result summary
Work = Callable[[Job], dict[str, Any]]


class JobManager:
    def __init__(self, folder: Path, *, retention: float = 7 * 86400.0) -> None:
        self.folder = folder
        self.retention = retention
        self.jobs: dict[str, Job] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="proscribe-job")
        self._lock = threading.Lock()
        self._finished: dict[str, float] = {}  # job id -> when it finished (time.time())
        self._futures: dict[str, Future[None]] = {}
        self.purge()

    def new_folder(self, job_id: str) -> Path:
        private_dir(self.folder)
        path = private_dir(self.folder / job_id)
        return path

    def purge(self, clock: float | None = None) -> list[str]:
        """Delete the folders of jobs finished more than ``retention`` seconds ago; their ids."""
        clock = time.time() if clock is None else clock
        if not self.folder.is_dir():
            return []
        gone = []
        running = {j.id for j in self.jobs.values() if j.status in ("queued", "running")}
        for path in self.folder.iterdir():
            if not path.is_dir() or path.name in running:
                continue
            ended = self._finished.get(path.name)
            if ended is None and path.name in self.jobs:
                continue  # made for a job not submitted yet
            if ended is None:  # left from before a restart: its last write
                ended = max((p.stat().st_mtime for p in path.rglob("*")), default=path.stat().st_mtime)
            if clock - ended > self.retention:
                shutil.rmtree(path, ignore_errors=True)
                gone.append(path.name)
                with self._lock:
                    self._finished.pop(path.name, None)
                    job = self.jobs.get(path.name)
                    if job is not None:
                        job.result_path = None
                        job.result = {**job.result, "deleted": True}
        return gone

    def new_id(self) -> str:
        return uuid.uuid4().hex

    def submit(self, job: Job, work: Work) -> Job:
        self.purge()
        with self._lock:
            self.jobs[job.id] = job
        self._futures[job.id] = self._pool.submit(self._run, job, work)
        return job

    def cancel(self, job_id: str, by: str | None = None) -> Job | None:
        """Cancel a job: one waiting for its turn is never run; a running one that checks in
        (``stoppable``) stops at its next check. Others are left running (the caller says so)."""
        job = self.jobs.get(job_id)
        future = self._futures.get(job_id)
        if job is not None and future is not None and job.status == "queued" and future.cancel():
            job.status = "cancelled"
            job.cancelled_by = by
            job.finished_at = now()
            self._finished[job.id] = time.time()
        elif job is not None and job.status == "running" and job.stoppable:
            job.cancelled_by = by
            job._stop.set()
        return job

    def _run(self, job: Job, work: Work) -> None:
        self._futures.pop(job.id, None)
        job.status = "running"
        job.started_at = now()
        try:
            job.result = work(job)
            job.status = "done"
        except JobCancelled:
            job.status = "cancelled"
            if job.result_path is not None:
                job.result_path.unlink(missing_ok=True)  # half written: never offered as a result
        except Exception as exc:  # the job failed; the server goes on and says why
            job.error = (
                f"{type(exc).__name__}: {exc}" if not str(exc).startswith(type(exc).__name__) else str(exc)
            )
            job.status = "failed"
        finally:
            job.finished_at = now()
            folder = self.folder / job.id
            if folder.is_dir():
                make_private(folder)  # the results too: 0600, whatever wrote them
            self._finished[job.id] = time.time()

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
