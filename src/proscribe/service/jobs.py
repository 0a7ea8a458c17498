"""Background jobs: batch screening of an uploaded file, list updates.

One job runs at a time on a worker thread (a batch screening uses the index already in memory;
several at once would only share the same cores). A job's files live in its own folder under the
jobs folder; the result is downloaded from ``/api/jobs/{id}/result``. Jobs are kept in memory:
a restart forgets them (their files stay on disk).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from proscribe.enforcement.clock import now


@dataclass
class Job:
    id: str
    kind: str
    owner: str
    created_at: datetime
    status: str = "queued"  # queued, running, done, failed
    done: int = 0
    total: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    result_path: Path | None = None
    media_type: str = "application/octet-stream"

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
            "result": self.result,
            "download": f"/api/jobs/{self.id}/result" if self.status == "done" and self.result_path else None,
        }


#: what a job runs: given the job (to report progress on), returns the result summary
Work = Callable[[Job], dict[str, Any]]


class JobManager:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.jobs: dict[str, Job] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="proscribe-job")
        self._lock = threading.Lock()

    def new_folder(self, job_id: str) -> Path:
        path = self.folder / job_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def new_id(self) -> str:
        return uuid.uuid4().hex

    def submit(self, job: Job, work: Work) -> Job:
        with self._lock:
            self.jobs[job.id] = job
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Work) -> None:
        job.status = "running"
        job.started_at = now()
        try:
            job.result = work(job)
            job.status = "done"
        except Exception as exc:  # the job failed; the server goes on and says why
            job.error = (
                f"{type(exc).__name__}: {exc}" if not str(exc).startswith(type(exc).__name__) else str(exc)
            )
            job.status = "failed"
        finally:
            job.finished_at = now()

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
