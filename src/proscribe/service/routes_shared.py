"""What the enforcement endpoints share: transactions, refusals as HTTP errors, uploads, screeners by date.

- **Transactions.** Every change is one transaction taken in the service's write turn
  (``service.db.write_session``: SQLite ignores ``FOR UPDATE``, so the audit chain's head needs
  one writer at a time in the process); enforcement functions that open their own transaction
  (a rescreen, a payment file) run inside ``writer(request)``.

- **Who acts.** Enforcement records name the *person* (``Principal.username``), not the key: the
  four-eyes rule compares the decider with the approver, and one person holding two keys (or a key
  and a session) is still one pair of eyes. The service's per-request audit record, written in the
  same request, names the key.
- **Refusals.** ``NotFoundError`` is 404, ``InputError`` 422, everything else the enforcement layer
  refuses (four eyes, blocked property, a state that does not allow it) 409, with its message.
  A refused debit of blocked property is itself a decision: its audit record is committed before
  the 409 goes out, as the CLI does.
- **Uploads** are written to a private temporary folder under the name the client gave, so the
  problems reported name the client's file and line, never a server path.
- **Screeners by date.** Screening as of another day than today (a rescreen "as of 2020-10-01", a
  traveller on a past day) needs the lists as they stood then; those indexes are built once in the
  background (503 with Retry-After meanwhile), cached on disk with the service's index cache, and
  the last few kept in memory. A day after tomorrow is refused: its lists are not known.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import HTTPException, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, PlainSerializer, WithJsonSchema
from sqlalchemy.orm import Session

from proscribe.enforcement.book import BookInputError
from proscribe.enforcement.errors import BlockedPropertyError, EnforcementError, InputError, NotFoundError
from proscribe.screening import Screener
from proscribe.service.auth import Principal
from proscribe.service.db import write_session
from proscribe.service.routes_yente import runtime_of

if TYPE_CHECKING:
    from proscribe.service.runtime import Runtime

T = TypeVar("T")

#: historical screeners kept in memory (each holds a whole index)
SCREENERS_IN_MEMORY = 2
#: days whose index may be queued for building at once
MAX_BUILDS = 2
#: seconds a request waits for an index being built before it is answered 503
BUILD_WAIT = 2.0
LOADING = "the screening index is loading; try again in a few seconds"
LATER = "try again in a few seconds"
_CACHE_LOCK = threading.Lock()
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


# --- money and times in JSON -------------------------------------------------------------------------


def _money_in(value: Any) -> Any:
    """Money comes as a string ("125.50"): a JSON number would pass through a float and lose cents."""
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise ValueError('send the amount as a string such as "125.50", not a number')
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal number such as 125.50") from None
    if not amount.is_finite():
        raise ValueError(f"{value!r} is not a sum of money")
    return amount


#: a sum of money: a decimal string in and out of JSON
Money = Annotated[
    Decimal,
    BeforeValidator(_money_in),
    PlainSerializer(lambda d: str(d), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["125.50"]}),
]


def _clean_text(value: str) -> str:
    """Text the store can keep: no NUL (PostgreSQL refuses it) and no lone surrogate (not UTF-8)."""
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode (a lone surrogate)") from None
    return value


#: free text from a client, storable as it is
Text = Annotated[str, AfterValidator(_clean_text)]
#: the id of a stored row (the columns are 32-bit integers on PostgreSQL)
RowId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
#: the id of a party or an account, as the institution gave it
Key = Annotated[Text, PathParam(min_length=1, max_length=100)]
#: a calendar year of the annual report of blocked property
Year = Annotated[int, PathParam(ge=1990, le=2200)]
#: how far into a listing to start
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]


def not_future(at: datetime | date | None, field: str) -> None:
    """The lists of a day that has not come are not known: refused rather than guessed."""
    if at is None:
        return
    day = at.astimezone(UTC).date() if isinstance(at, datetime) else at
    if day > datetime.now(UTC).date() + timedelta(days=1):
        raise HTTPException(422, f"{field}: {day} is in the future; the lists of that day are not known")


def iso(at: datetime | None) -> str | None:
    """A stored time as ISO 8601 with its offset (the store keeps UTC)."""
    if at is None:
        return None
    if at.tzinfo is None:  # pragma: no cover - the store's column type gives aware times
        at = at.replace(tzinfo=UTC)
    return at.isoformat()


def actor_of(who: Principal) -> str:
    """The person an enforcement record names (see the module docstring)."""
    return who.username


# --- refusals ------------------------------------------------------------------------------------------


def problem(exc: EnforcementError) -> HTTPException:
    if isinstance(exc, NotFoundError):
        return HTTPException(404, str(exc))
    if isinstance(exc, InputError):
        return HTTPException(422, str(exc))
    return HTTPException(409, str(exc))


class FileProblem(BaseModel):
    """One thing wrong with an uploaded file: which file, which line, which column, what."""

    file: str = Field(examples=["parties.csv"])
    line: int | None = Field(None, examples=[3])
    column: str | None = Field(None, examples=["birth_date"])
    message: str = Field(examples=["'1970-02-30' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"])


class Invalid(BaseModel):
    """The request was refused as it stands: ``detail`` names the field (FastAPI's checks give a list,
    one item per field); for an uploaded file, ``problems`` lists every problem found, by file, line
    and column, and nothing was applied."""

    detail: str | list[dict[str, Any]]
    problems: list[FileProblem] = Field(default_factory=list)
    truncated: bool = Field(False, description="True when the list of problems stopped at its limit")


INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": Invalid, "description": "Invalid: the message names the field (a file: every problem)"}
}


def refused_files(exc: BookInputError, folder: Path) -> JSONResponse:
    """422 with every problem, each naming the client's file rather than the temporary copy."""
    problems = [p.to_dict() | {"file": _strip(p.file, folder)} for p in exc.problems]
    body = Invalid(
        detail=_strip(str(exc), folder) + "\nnothing was imported",
        problems=[FileProblem(**p) for p in problems],
        truncated=exc.truncated,
    )
    return JSONResponse(body.model_dump(), status_code=422)


def _strip(text: str, folder: Path) -> str:
    return text.replace(f"{folder}/", "").replace(str(folder), "")


# --- transactions --------------------------------------------------------------------------------------


def read(request: Request, work: Callable[[Session], T]) -> T:
    """``work`` in a read-only session; enforcement refusals become HTTP errors."""
    with Session(runtime_of(request).store.engine) as session:
        try:
            return work(session)
        except EnforcementError as exc:
            raise problem(exc) from None


def write(
    request: Request, work: Callable[[Session], T], *, passthrough: tuple[type[Exception], ...] = ()
) -> T:
    """``work`` in one write transaction (one writer at a time: ``service.db``), committed when it
    returns. A refused debit of blocked property commits its audit record, then answers 409; any
    other refusal changes nothing. Exceptions of the ``passthrough`` types are raised as they are."""
    refusal: BlockedPropertyError | None = None
    try:
        with write_session(runtime_of(request).store.engine) as session:
            try:
                result = work(session)
            except BlockedPropertyError as exc:
                refusal = exc  # the transaction commits, with the record of the refusal
    except passthrough:
        raise
    except EnforcementError as exc:
        raise problem(exc) from None
    if refusal is not None:
        raise problem(refusal)
    return result


@contextmanager
def writer(request: Request) -> Iterator[None]:
    """The service's write turn, for enforcement functions that open their own transaction
    (a rescreen, a payment file): the session ``write_session`` opens is left unused."""
    with write_session(runtime_of(request).store.engine):
        yield


# --- uploads -------------------------------------------------------------------------------------------


def safe_name(upload: UploadFile, default: str) -> str:
    """The client's file name without any folder, reduced to harmless characters."""
    name = Path(upload.filename or default).name
    name = _SAFE_NAME.sub("_", name).strip("._") or default
    return name[:120]


@contextmanager
def uploaded(files: Mapping[str, UploadFile | None]) -> Iterator[tuple[Path, dict[str, Path | None]]]:
    """The uploads written to a private temporary folder (removed afterwards): (folder, role -> path)."""
    folder = Path(tempfile.mkdtemp(prefix="proscribe-upload-"))
    try:
        paths: dict[str, Path | None] = {}
        used: set[str] = set()
        for role, upload in files.items():
            if upload is None:
                paths[role] = None
                continue
            name = safe_name(upload, f"{role}.csv")
            if name in used:  # two uploads with one name: keep both, distinguishable
                name = f"{role}-{name}"
            used.add(name)
            path = folder / name
            with open(path, "wb") as fh:
                shutil.copyfileobj(upload.file, fh)
            paths[role] = path
        yield folder, paths
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def strip_folder(exc: EnforcementError, folder: Path) -> HTTPException:
    """The refusal, with the temporary folder taken out of its message."""
    out = problem(exc)
    out.detail = _strip(str(out.detail), folder)
    return out


# --- screeners as of a day ------------------------------------------------------------------------------


class ScreenerCache:
    """Indexes of the lists as of other days than today, built once per list version and day.

    A build takes seconds (tens of them with the full lists), so it runs on one background thread:
    a request waits for it up to ``wait`` seconds, and is then answered 503 with ``Retry-After``
    rather than holding a worker for the whole build. At most ``MAX_BUILDS`` days are queued at once;
    the last ``SCREENERS_IN_MEMORY`` built stay in memory, and every build is cached on disk.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._items: OrderedDict[tuple[str, date], Screener] = OrderedDict()
        self._builds: dict[tuple[str, date], Future[Screener]] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="proscribe-asof-index")
        self._lock = threading.Lock()

    def _build(self, key: tuple[str, date]) -> Screener:
        screener = Screener.from_store(
            self.runtime.store, as_of=key[1], cache_dir=self.runtime.config.index_cache
        )
        with self._lock:
            self._items[key] = screener
            while len(self._items) > SCREENERS_IN_MEMORY:
                self._items.popitem(last=False)
            self._builds.pop(key, None)
        return screener

    def get(self, day: date, wait: float | None = BUILD_WAIT) -> Screener:
        """The screener for ``day``; ``wait`` None waits for a build however long it takes."""
        current = self.runtime.index.current
        if current is None and day == date.today():
            raise HTTPException(503, LOADING, {"Retry-After": "5"})
        version = self.runtime.store.version_key()
        if current is not None:
            built = current.screener.index.built_from
            if built.get("as_of") == day.isoformat() and built.get("version_key") == version:
                return current.screener
        key = (version, day)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
            future = self._builds.get(key)
            if future is None:
                if len(self._builds) >= MAX_BUILDS:
                    raise HTTPException(
                        503, f"the lists of other days are being loaded; {LATER}", {"Retry-After": "15"}
                    )
                future = self._builds[key] = self._pool.submit(self._build, key)
        try:
            return future.result(timeout=wait)
        except FutureTimeout:
            raise HTTPException(
                503, f"loading the lists as they stood on {day}; {LATER}", {"Retry-After": "10"}
            ) from None
        except Exception as exc:
            with self._lock:
                self._builds.pop(key, None)
            raise HTTPException(503, f"the lists as of {day} could not be loaded: {exc}") from None


def screeners(request: Request) -> ScreenerCache:
    with _CACHE_LOCK:
        cache = getattr(request.app.state, "enforcement_screeners", None)
        if cache is None:
            cache = request.app.state.enforcement_screeners = ScreenerCache(runtime_of(request))
    assert isinstance(cache, ScreenerCache)
    return cache


def screener_as_of(request: Request, day: date, wait: float | None = BUILD_WAIT) -> Screener:
    """The screener holding the lists in force on ``day`` (503 while they are being loaded)."""
    return screeners(request).get(day, wait)
