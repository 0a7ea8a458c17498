"""proscribe's own endpoints: screening (one query; a file as a background job), lists, audit,
metrics, and the management of users and keys."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, HTTPException, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from proscribe.enforcement import audit
from proscribe.enforcement.clock import now
from proscribe.enforcement.errors import EnforcementError, InputError, NotFoundError
from proscribe.matching.score import Query as ScreenQuery
from proscribe.private_files import create_private
from proscribe.screening import batch
from proscribe.screening.batch import RowError, clean_birth_date, clean_country, clean_kind
from proscribe.screening.filters import UnknownFilterError, check_filters
from proscribe.screening.screener import DEFAULT_THRESHOLD
from proscribe.service.auth import Caller, Principal, Role, allow, session_stamp
from proscribe.service.db import write_session, writing
from proscribe.service.jobs import Job
from proscribe.service.lists import update_and_rescreen
from proscribe.service.routes_yente import loaded, runtime_of
from proscribe.service.runtime import Runtime
from proscribe.store import users

router = APIRouter(tags=["proscribe"])


class ScreenBody(BaseModel):
    #: a misspelt filter (``dataset`` for ``datasets``, ``kind`` for ``type``) is refused (422 naming
    #: it), never ignored: ignored, it would screen against every list
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=500, examples=["Fatou Bensouda"])
    type: Literal["person", "organization", "vessel", "aircraft"] | None = None
    birth_date: str | None = Field(
        None, description="YYYY, YYYY-MM or YYYY-MM-DD", pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$"
    )
    country: str | None = None
    id_number: str | None = None
    threshold: float = Field(DEFAULT_THRESHOLD, ge=0.0, le=1.0)
    limit: int = Field(10, ge=1, le=100)
    datasets: list[str] | None = None
    programs: list[str] | None = None


def _problem(exc: Exception) -> HTTPException:
    if isinstance(exc, NotFoundError):
        return HTTPException(404, str(exc))
    if isinstance(exc, InputError | RowError):
        return HTTPException(400, str(exc))
    return HTTPException(409, str(exc))


@router.post("/api/screen", dependencies=[allow(Role.viewer, reads_only=True)], summary="Screen one name")
async def screen(request: Request, body: ScreenBody) -> dict[str, Any]:
    current = loaded(request)
    if not body.name.strip():
        raise HTTPException(400, "name: the name is empty")
    runtime_of(request).config.bounds.check_name(body.name.strip(), "name")
    try:
        query = ScreenQuery(
            name=body.name.strip(),
            kind=clean_kind(body.type),
            birth_date=clean_birth_date(body.birth_date),
            country=clean_country(body.country),
            id_number=(body.id_number or "").strip() or None,
        )
    except RowError as exc:
        raise _problem(exc) from None
    try:
        filters = check_filters(current.screener, body.datasets, body.programs)
    except UnknownFilterError as exc:
        raise HTTPException(422, str(exc)) from None
    # scoring runs in a worker thread, never on the event loop (/healthz answers meanwhile)
    hits = await run_in_threadpool(
        current.screener.screen,
        query,
        threshold=body.threshold,
        limit=body.limit,
        datasets=filters.datasets,
        programs=filters.programs,
    )
    runtime_of(request).metrics.screened.inc()
    return {"hits": [h.to_dict() for h in hits], "index": current.screener.index.built_from}


def _visible(job: Job | None, who: Principal) -> Job:
    if job is None or (job.owner != who.username and who.role < Role.admin):
        raise HTTPException(404, "no such job")
    return job


@router.post(
    "/api/screen/batch",
    status_code=202,
    dependencies=[allow(Role.analyst)],
    summary="Screen a file (CSV, JSON lines or Parquet) as a background job",
)
def screen_batch(
    request: Request,
    who: Caller,
    file: Annotated[
        UploadFile, File(description="columns id, name; optional type, birth_date, country, id_number")
    ],
    threshold: Annotated[float, Query(ge=0.0, le=1.0)] = DEFAULT_THRESHOLD,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    output: Annotated[str, Query(pattern="^(csv|jsonl|parquet)$")] = "csv",
) -> dict[str, Any]:
    runtime = runtime_of(request)
    current = loaded(request)
    name = Path(file.filename or "input.csv").name
    try:
        fmt = batch.detect_format(Path(name), default="csv")
    except batch.BatchError as exc:
        raise HTTPException(400, str(exc)) from None
    jobs = runtime.jobs
    job = Job(id=jobs.new_id(), kind="screen.batch", owner=who.username, created_at=now())
    folder = jobs.new_folder(job.id)
    input_path = folder / f"input.{'jsonl' if fmt == 'jsonl' else fmt}"
    create_private(input_path)  # customer data: 0600
    with open(input_path, "wb") as fh:
        shutil.copyfileobj(file.file, fh)
    try:
        batch.check_input(input_path, fmt)
    except batch.BatchError as exc:
        # the message names the client's file, not the server's folder
        raise HTTPException(400, str(exc).replace(str(input_path), name)) from None
    job.total = batch.count_rows(input_path, fmt)
    out = folder / f"hits.{output}"
    job.result_path = out
    job.media_type = {"csv": "text/csv", "jsonl": "application/x-ndjson"}.get(
        output, "application/octet-stream"
    )
    if runtime.queue is not None:
        # the durable queue: a job worker (``proscribe jobs worker``) runs it with its own index
        return runtime.queue.submit(
            job,
            "proscribe.service.tasks.screen_batch",
            input_path=str(input_path),
            out=str(out),
            threshold=threshold,
            limit=limit,
            input_format=fmt,
            name=name,
        ).to_dict()
    screener = current.screener

    job.stoppable = True

    def work(job: Job) -> dict[str, Any]:
        def progress(done: int) -> None:
            job.done = done
            job.check()  # cancelled: stop here (JobCancelled)

        summary = batch.screen_file(
            screener,
            input_path,
            out,
            threshold=threshold,
            limit=limit,
            input_format=fmt,
            workers=1,
            progress=progress,
        )
        job.done = summary.rows_read
        return summary.to_dict() | {
            "input": name,
            "output": out.name,
            "errors_file": Path(summary.errors_file).name,
        }

    return jobs.submit(job, work).to_dict()


@router.get("/api/jobs", dependencies=[allow(Role.viewer)], summary="Your background jobs (all, for admins)")
def list_jobs(request: Request, who: Caller) -> list[dict[str, Any]]:
    runtime = runtime_of(request)
    jobs = list(runtime.jobs.jobs.values()) + (runtime.queue.all() if runtime.queue is not None else [])
    return [j.to_dict() for j in jobs if j.owner == who.username or who.role >= Role.admin]


def _find_job(runtime: Runtime, job_id: str) -> Job | None:
    job = runtime.jobs.get(job_id)
    if job is None and runtime.queue is not None:
        job = runtime.queue.get(job_id)
    return job


@router.get("/api/jobs/{job_id}", dependencies=[allow(Role.viewer)], summary="A job's status and progress")
def get_job(request: Request, job_id: str, who: Caller) -> dict[str, Any]:
    return _visible(_find_job(runtime_of(request), job_id), who).to_dict()


@router.post(
    "/api/jobs/{job_id}/cancel",
    dependencies=[allow(Role.analyst, audits_itself=True)],
    summary="Cancel a job: taken off the queue if waiting, stopped if running (batch screening, re-screens)",
)
def cancel_job(request: Request, job_id: str, who: Caller) -> JSONResponse:
    """A waiting job is never run. A running batch screening or re-screen is stopped: on the durable
    queue its work horse is killed, in the server's memory it stops at its next batch; either way
    nothing of it is kept (a re-screen's transaction is rolled back, a half-written hits file
    deleted). The answer may still say ``running`` until it has stopped: ask ``/api/jobs/{id}``.

    Who cancelled is kept (``cancelled_by``) and written to the audit trail (``job.cancel``) just
    after the answer: a running re-screen holds the audit trail's head until its transaction ends,
    so the record is written once the stopped run has let go of it, and the answer does not wait."""
    runtime = runtime_of(request)
    job = _visible(_find_job(runtime, job_id), who)
    if job.status not in ("queued", "running"):
        raise HTTPException(
            409, f"job {job_id} is {job.status}; only a queued or running job can be cancelled"
        )
    if job.status == "running" and not job.stoppable:
        raise HTTPException(409, f"job {job_id} ({job.kind}) cannot be stopped once it runs")
    if runtime.queue is not None and runtime.jobs.get(job_id) is None:
        cancelled = runtime.queue.cancel(job_id, by=who.actor)
    else:
        cancelled = runtime.jobs.cancel(job_id, by=who.actor)
    data = {"kind": job.kind, "owner": job.owner, "status": job.status, "done": job.done, "total": job.total}

    def record() -> None:
        with write_session(runtime.store.engine) as session:
            audit.append(session, actor=who.actor, action="job.cancel", subject=f"job:{job_id}", data=data)

    return JSONResponse(_visible(cancelled, who).to_dict(), background=BackgroundTask(record))


@router.get("/api/jobs/{job_id}/result", dependencies=[allow(Role.viewer)], summary="Download a job's result")
def job_result(request: Request, job_id: str, who: Caller, errors: bool = False) -> FileResponse:
    job = _visible(_find_job(runtime_of(request), job_id), who)
    if job.result.get("deleted"):
        raise HTTPException(410, f"job {job_id}'s files were deleted after the retention period")
    if job.status != "done" or job.result_path is None:
        raise HTTPException(409, f"job {job_id} is {job.status}; there is no result yet")
    path = job.result_path.with_name(job.result_path.name + ".errors.csv") if errors else job.result_path
    if not path.exists():
        raise HTTPException(404, "the result file is gone")
    return FileResponse(path, media_type="text/csv" if errors else job.media_type, filename=path.name)


@router.get("/api/lists", dependencies=[allow(Role.viewer)], summary="The lists in force and the index")
async def lists(request: Request) -> dict[str, Any]:
    runtime = runtime_of(request)
    current = runtime.index.current
    return {
        "lists": [s.to_dict() for s in runtime.store.status()],
        "index": None
        if current is None
        else {
            "listings": len(current.screener.index.entities),
            "built_from": current.screener.index.built_from,
            "loaded_in_seconds": round(current.seconds, 2),
            "stale": runtime.index.stale,
            "last_error": runtime.index.last_error,
        },
    }


@router.post(
    "/api/lists/update",
    status_code=202,
    dependencies=[allow(Role.admin)],
    summary="Fetch the official lists (or read the mirror folder) and import what changed, as a job",
)
async def lists_update(request: Request, who: Caller, force: bool = False) -> dict[str, Any]:
    runtime = runtime_of(request)
    job = Job(id=runtime.jobs.new_id(), kind="lists.update", owner=who.username, created_at=now())

    def work(job: Job) -> dict[str, Any]:
        out = update_and_rescreen(runtime.store, runtime.config, actor=who.actor, force=force)
        runtime.index.wake()
        return out

    return runtime.jobs.submit(job, work).to_dict()


@router.get(
    "/api/audit/verify", dependencies=[allow(Role.approver)], summary="Check the audit trail's hash chain"
)
def audit_verify(request: Request) -> dict[str, Any]:
    return audit.verify(runtime_of(request).store.engine).to_dict()


@router.get(
    "/metrics",
    dependencies=[allow(Role.viewer)],
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}},
)
async def metrics(request: Request) -> Response:
    runtime = runtime_of(request)
    current = runtime.index.current
    m = runtime.metrics
    m.index_ready.set(1 if current else 0)
    return Response(m.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


# --- the caller, users and keys ------------------------------------------------------------------


@router.get("/api/me", dependencies=[allow(Role.viewer, password_change=True)], summary="Who you are")
async def me(request: Request, who: Caller) -> dict[str, Any]:
    """Who you are; signed in by cookie, also the ``X-CSRF-Token`` your changes must send."""
    out: dict[str, Any] = {
        "username": who.username,
        "role": who.role.name,
        "via": who.via,
        "key": who.key_prefix,
        "must_change_password": who.must_change_password,
    }
    if who.via == "session":
        # the same per-session token the workspace's forms carry (session key "csrf")
        if not request.session.get("csrf"):
            request.session["csrf"] = secrets.token_urlsafe(32)
        out["csrf_token"] = request.session["csrf"]
    return out


class PasswordChange(BaseModel):
    current: str = Field(max_length=1000)
    new: str = Field(max_length=1000)


@router.post(
    "/api/me/password",
    dependencies=[allow(Role.viewer, password_change=True)],
    summary="Change your password",
)
def change_password(request: Request, body: PasswordChange, who: Caller) -> dict[str, Any]:
    runtime = runtime_of(request)
    try:
        with write_session(runtime.store.engine) as session:
            user = users.change_password(session, who.username, body.current, body.new)
            stamp = session_stamp(user)
    except EnforcementError as exc:
        raise _problem(exc) from None
    if who.via == "session":
        request.session["stamp"] = stamp  # this session lives on; every other one of the user's ends
    runtime.auth.forget()
    return {"changed": True}


class NewUser(BaseModel):
    username: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
    role: str = Field(pattern="^(viewer|analyst|approver|admin)$")


class RoleChange(BaseModel):
    role: str = Field(pattern="^(viewer|analyst|approver|admin)$")


@router.get("/api/users", dependencies=[allow(Role.admin)], summary="Every user")
def list_users(request: Request) -> list[dict[str, Any]]:
    with Session(runtime_of(request).store.engine) as session:
        return [users.user_dict(u) for u in users.list_users(session)]


@router.post("/api/users", status_code=201, dependencies=[allow(Role.admin)], summary="Add a user")
def add_user(request: Request, body: NewUser, who: Caller) -> dict[str, Any]:
    """The new user's one-time password is in the answer, once; they change it at first sign-in."""
    try:
        with writing(request) as session:
            user, password = users.create_user(session, body.username, body.role, actor=who.actor)
            out = users.user_dict(user)
    except EnforcementError as exc:
        raise _problem(exc) from None
    return out | {"password": password}


@router.post("/api/users/{username}/role", dependencies=[allow(Role.admin)], summary="Change a user's role")
def set_role(request: Request, username: str, body: RoleChange, who: Caller) -> dict[str, Any]:
    runtime = runtime_of(request)
    try:
        with write_session(runtime.store.engine) as session:
            out = users.user_dict(users.set_role(session, username, body.role, actor=who.actor))
    except EnforcementError as exc:
        raise _problem(exc) from None
    runtime.auth.forget()
    return out


@router.post(
    "/api/users/{username}/reset-password",
    dependencies=[allow(Role.admin)],
    summary="Reset a user's password",
)
def reset_password(request: Request, username: str, who: Caller) -> dict[str, Any]:
    runtime = runtime_of(request)
    try:
        with write_session(runtime.store.engine) as session:
            password = users.reset_password(session, username, actor=who.actor)
    except EnforcementError as exc:
        raise _problem(exc) from None
    runtime.auth.forget()
    return {"username": username, "password": password, "must_change_password": True}


@router.post(
    "/api/users/{username}/disable",
    dependencies=[allow(Role.admin)],
    summary="Disable a user (off-boarding): their sign-in, sessions and keys stop",
)
def disable_user(request: Request, username: str, who: Caller) -> dict[str, Any]:
    return _set_disabled(request, username, True, who)


@router.post("/api/users/{username}/enable", dependencies=[allow(Role.admin)], summary="Enable a user again")
def enable_user(request: Request, username: str, who: Caller) -> dict[str, Any]:
    return _set_disabled(request, username, False, who)


def _set_disabled(request: Request, username: str, disabled: bool, who: Principal) -> dict[str, Any]:
    runtime = runtime_of(request)
    try:
        with write_session(runtime.store.engine) as session:
            out = users.user_dict(users.set_disabled(session, username, disabled, actor=who.actor))
    except EnforcementError as exc:
        raise _problem(exc) from None
    runtime.auth.forget()  # at once in this process; within 10 seconds in others
    return out


class NewKey(BaseModel):
    name: str = Field("", max_length=200)
    role: str | None = Field(None, pattern="^(viewer|analyst|approver|admin)$")
    owner: str | None = Field(None, description="admins only: make the key for another user")
    rate_limit: float | None = Field(None, gt=0, le=100000)


@router.get("/api/keys", dependencies=[allow(Role.viewer)], summary="Your API keys (everyone's, for admins)")
def list_keys(request: Request, who: Caller) -> list[dict[str, Any]]:
    with Session(runtime_of(request).store.engine) as session:
        owner = None if who.role >= Role.admin else who.username
        return [k.to_dict() for k in users.list_keys(session, owner)]


@router.post("/api/keys", status_code=201, dependencies=[allow(Role.viewer)], summary="Make an API key")
def create_key(request: Request, body: NewKey, who: Caller) -> dict[str, Any]:
    """The key is in the answer, once; only its prefix and a hash are kept."""
    owner = body.owner or who.username
    if owner != who.username:
        # a key made for someone else would let its maker act under their name, and so approve
        # their own decisions as a "second person": each person makes their own keys
        raise HTTPException(403, "you can only make keys for yourself")
    if body.role is not None and Role[body.role] > who.role:
        raise HTTPException(403, f"you cannot make a key with more rights ({body.role}) than you have")
    try:
        with writing(request) as session:
            key, secret = users.create_key(
                session,
                owner,
                actor=who.actor,
                role=body.role or who.role.name,
                name=body.name,
                rate_limit=body.rate_limit,
            )
            out = key.to_dict()
    except EnforcementError as exc:
        raise _problem(exc) from None
    return out | {"key": secret}


@router.delete("/api/keys/{prefix}", dependencies=[allow(Role.viewer)], summary="Revoke an API key")
def revoke_key(request: Request, prefix: str, who: Caller) -> dict[str, Any]:
    runtime = runtime_of(request)
    try:
        with write_session(runtime.store.engine) as session:
            key = users.get_key(session, prefix)
            if key.owner != who.username and who.role < Role.admin:
                raise NotFoundError(f"no API key with prefix {prefix!r}")
            out = users.revoke_key(session, prefix, actor=who.actor).to_dict()
    except EnforcementError as exc:
        raise _problem(exc) from None
    runtime.auth.forget()
    return out
