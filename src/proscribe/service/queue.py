"""Batch screening jobs in a durable queue: RQ on Redis (when ``PROSCRIBE_REDIS_URL`` is set).

A job is put on the RQ queue ``proscribe`` (``PROSCRIBE_QUEUE``) with its owner, its files and
its progress in the job's ``meta``; any worker of the service sees it, it survives a restart of
the service and of the job worker (Redis keeps it), and it can be cancelled: a waiting job is
taken off the queue, a running one is stopped (RQ's stop-job command: the worker kills the work
horse; a re-screen's open transaction dies with it and is rolled back by the database, a batch's
half-written hits file is deleted by the worker). Who cancelled is kept beside the job (Redis key
``proscribe:job-cancelled-by:<id>``, as long as the job). Jobs are run by
``proscribe jobs worker``, which loads the screening index once and forks a work horse per job
that shares it copy-on-write. The service and the job workers must see the same jobs folder
(``PROSCRIBE_JOBS_DIR``: a shared volume when they are on different machines).

Why RQ (docs/decisions.md): the service already needs Redis for rate limits and sessions across
workers, RQ is small, its jobs are plain Python functions, and it stops a running job for us.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from rq import Queue
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job as RqJob
from rq.job import JobStatus
from rq.registry import CanceledJobRegistry, FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry

from proscribe.service.jobs import Job

DEFAULT_QUEUE = "proscribe"
#: Redis key prefix of who cancelled a job (kept apart from the job's meta, which the running job
#: itself rewrites with its progress)
CANCELLED_BY = "proscribe:job-cancelled-by:"
#: RQ's states as the API names them (the in-memory jobs' names)
STATUS = {
    JobStatus.CREATED: "queued",
    JobStatus.QUEUED: "queued",
    JobStatus.DEFERRED: "queued",
    JobStatus.SCHEDULED: "queued",
    JobStatus.STARTED: "running",
    JobStatus.FINISHED: "done",
    JobStatus.FAILED: "failed",
    JobStatus.STOPPED: "cancelled",
    JobStatus.CANCELED: "cancelled",
}


class DurableJobs:
    """The batch jobs on RQ: submit, look up, list, cancel."""

    def __init__(self, url: str, *, name: str = DEFAULT_QUEUE, retention: float = 7 * 86400.0) -> None:
        self.redis = redis.Redis.from_url(url)
        self.queue = Queue(name, connection=self.redis)
        self.retention = int(retention)

    def submit(self, job: Job, func: str, **kwargs: Any) -> Job:
        """Queue ``func`` (a dotted name, run by a job worker) for ``job``; its result is the summary."""
        self.queue.enqueue_call(
            func,
            kwargs=kwargs,
            job_id=job.id,
            timeout=24 * 3600,
            result_ttl=self.retention,
            failure_ttl=self.retention,
            description=f"{job.kind} for {job.owner}",
            meta={
                "kind": job.kind,
                "owner": job.owner,
                "created_at": job.created_at.isoformat(),
                "total": job.total,
                "done": 0,
                "result_path": str(job.result_path) if job.result_path else None,
                "media_type": job.media_type,
            },
        )
        return self.get(job.id) or job

    def get(self, job_id: str) -> Job | None:
        try:
            rq_job = RqJob.fetch(job_id, connection=self.redis)
        except NoSuchJobError:
            return None
        return self._job(rq_job)

    def all(self) -> list[Job]:
        ids: list[str] = list(self.queue.job_ids)
        for registry in (
            StartedJobRegistry(queue=self.queue),
            FinishedJobRegistry(queue=self.queue),
            FailedJobRegistry(queue=self.queue),
            CanceledJobRegistry(queue=self.queue),
        ):
            ids += registry.get_job_ids()
        found = RqJob.fetch_many(list(dict.fromkeys(ids)), connection=self.redis)
        jobs = [self._job(j) for j in found if j is not None]
        return sorted(jobs, key=lambda j: j.created_at)

    def cancel(self, job_id: str, by: str | None = None) -> Job | None:
        """Take a waiting job off the queue, or stop a running one; None when there is no such job.

        ``by`` (the actor) is kept as who cancelled it."""
        try:
            rq_job = RqJob.fetch(job_id, connection=self.redis)
        except NoSuchJobError:
            return None
        status = rq_job.get_status(refresh=True)
        if status in (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
            return self.get(job_id)
        if by:
            self.redis.set(CANCELLED_BY + job_id, by.encode(), ex=self.retention)
        if status == JobStatus.STARTED:
            with contextlib.suppress(InvalidJobOperation):  # it finished in the meantime
                send_stop_job_command(self.redis, job_id)
        else:
            rq_job.cancel()
        return self.get(job_id)

    def _job(self, rq_job: RqJob) -> Job:
        meta = rq_job.meta
        status = STATUS.get(rq_job.get_status(refresh=False) or JobStatus.QUEUED, "queued")
        result = rq_job.return_value() if status == "done" else None
        error = None
        if status == "failed":
            info = (rq_job.exc_info or "").strip().splitlines()
            error = info[-1] if info else "the job failed"
        result_path = meta.get("result_path")
        by = self.redis.get(CANCELLED_BY + rq_job.id) if status == "cancelled" else None
        return Job(
            id=rq_job.id,
            kind=str(meta.get("kind", "job")),
            owner=str(meta.get("owner", "")),
            created_at=datetime.fromisoformat(meta["created_at"])
            if meta.get("created_at")
            else (_aware(rq_job.created_at) or datetime.now(UTC)),
            status=status,
            done=int(meta.get("done") or 0),
            total=meta.get("total"),
            started_at=_aware(rq_job.started_at),
            finished_at=_aware(rq_job.ended_at),
            error=error,
            result=result if isinstance(result, dict) else {},
            result_path=Path(result_path) if result_path else None,
            media_type=str(meta.get("media_type") or "application/octet-stream"),
            cancelled_by=by.decode() if isinstance(by, bytes) else None,
            stoppable=True,
        )


def _aware(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
