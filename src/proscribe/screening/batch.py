"""Screening whole files: rows of names in, one row per hit out; resumable, on every core.

Input is CSV (a header row; ``id`` and ``name`` required, ``type``, ``birth_date``, ``country``
and ``id_number`` optional; UTF-8 with or without a byte-order mark), JSON lines (one object per
line, same keys) or Parquet (same columns), chosen by the extension (``.csv``; ``.jsonl`` or
``.ndjson``; ``.parquet``) unless a format is given. The file is streamed, never loaded whole.

Every row is checked first. A row that cannot be screened (no id, no name, an unknown type, a
birth date that is not YYYY, YYYY-MM or YYYY-MM-DD, an unknown country, a CSV line with the wrong
number of fields, an id seen before) is not screened: it goes to the **errors file**
``OUTPUT.errors.csv`` (columns ``line,id,reason``; ``line`` is the CSV or JSON-lines line number,
or the Parquet row number counting from 1) and the run goes on.

Output has one row per hit (``OUTPUT_COLUMNS``; ``programs`` joined with ``;``); a row with no
hit writes nothing. It is CSV, JSON lines or Parquet by the output's extension (CSV otherwise).

Resuming: rows are screened in chunks, in input order. After each chunk is written and synced,
the state file ``OUTPUT.state.json`` is replaced atomically; it records the input's checksum, the
options, the index's list versions, how many input rows are done and how long the output and
errors files were then. Running the same command again after a crash or an interrupt truncates
whatever was written after the last complete chunk and carries on from there; ``restart=True``
starts over. A state written for another input, other options or other list versions is refused
rather than mixed in. The state stays after a finished run (marked complete), so running the
same command again is a no-op; an existing output without a state is never overwritten unless
``restart=True``. Parquet cannot be appended to, so Parquet output is spooled to
``OUTPUT.partial.jsonl`` (resumable like any JSON-lines output) and converted at the end.

Every core: with ``workers`` > 1 the index is saved once to a temporary file and each worker
process loads it and screens whole chunks; the parent reads, checks and writes, in input order.
Workers are spawned (not forked), so a script that calls ``screen_file`` with several workers
must guard its work with ``if __name__ == "__main__":``. An input of a single chunk is screened
in-process: starting workers that each load the index would cost more than it saves.

``screen_rows`` is the pure part (a screener and some rows in, hit rows out), so that another
engine (Spark's ``mapPartitions``, say) can run it over its own partitions.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import signal
import tempfile
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from itertools import islice
from multiprocessing import get_context
from pathlib import Path
from typing import IO, Any, NamedTuple

from proscribe import __version__, csvsafe
from proscribe.matching.score import Query
from proscribe.screening.screener import DEFAULT_THRESHOLD, Hit, Screener

try:  # advisory locking keeps two runs from writing one output; POSIX only
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: format name -> the extensions that mean it
FORMATS: dict[str, tuple[str, ...]] = {
    "csv": (".csv",),
    "jsonl": (".jsonl", ".ndjson"),
    "parquet": (".parquet", ".pq"),
}
#: the columns an input row may have; the first two are required
INPUT_COLUMNS = ("id", "name", "type", "birth_date", "country", "id_number")
REQUIRED_COLUMNS = ("id", "name")
#: the columns of the output, one row per hit
OUTPUT_COLUMNS = (
    "query_id",
    "query_name",
    "entity_id",
    "dataset",
    "source_id",
    "schema",
    "caption",
    "score",
    "matched_name",
    "matched_name_kind",
    "programs",
    "explanation",
)
ERROR_COLUMNS = ("line", "id", "reason")
#: input rows per chunk: the unit of work for a worker and of progress saved for a resume
DEFAULT_CHUNK_SIZE = 2000

#: what the ``type`` column may say; a few common synonyms map to the four kinds
KIND_SYNONYMS = {
    "person": "person",
    "individual": "person",
    "organization": "organization",
    "organisation": "organization",
    "company": "organization",
    "vessel": "vessel",
    "aircraft": "aircraft",
    "airplane": "aircraft",
}

_STATE_VERSION = 1
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


class BatchError(Exception):
    """The run cannot start or go on; the message says why and what to do."""


class InputError(BatchError):
    """The input file as a whole is unusable (not readable, no ``name`` column...)."""


class StateMismatch(BatchError):
    """The state file next to the output was written for another input, options or lists."""


class OutputExists(BatchError):
    """The output exists and no unfinished run of this command is recorded for it."""


class RowError(ValueError):
    """One input row cannot be screened; the message is the reason written to the errors file."""


# --- checking one row ---------------------------------------------------------------------------


def clean_kind(value: str | None) -> str | None:
    """``person``, ``organization``, ``vessel`` or ``aircraft`` (or None for blank); RowError otherwise."""
    text = (value or "").strip().lower()
    if not text:
        return None
    kind = KIND_SYNONYMS.get(text)
    if kind is None:
        raise RowError(f"unknown type {value!r} (use person, organization, vessel or aircraft)")
    return kind


def clean_birth_date(value: str | None) -> str | None:
    """A birth date as YYYY, YYYY-MM or YYYY-MM-DD, checked to be a real date; RowError otherwise."""
    text = (value or "").strip()
    if not text:
        return None
    match = _DATE.fullmatch(text)
    if match is None:
        raise RowError(f"bad birth date {value!r} (use YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = match.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise RowError(f"bad birth date {value!r} (no such date)") from None
    return text


def clean_country(value: str | None) -> str | None:
    """A country name or code as the index holds it (lower-case ISO 3166 alpha-2, FtM style)."""
    text = (value or "").strip()
    if not text:
        return None
    code = _country_code(text)
    if code is None:
        raise RowError(f"unknown country {value!r}")
    return code


@lru_cache(maxsize=4096)
def _country_code(text: str) -> str | None:
    # FtM's cleaning normalises and transliterates each time; a file repeats a few countries a lot
    from followthemoney.types import registry  # here: the workers, which never clean, skip its import

    code: str | None = registry.country.clean(text)
    return code


def _text(key: str, value: object) -> str:
    """A JSON or Parquet value as the text a CSV would have held."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: True is an int, but never a name or an id
        raise RowError(f"{key} must be text, not {value!r}")
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        # a whole float is most likely an id read through a numeric column: 12.0 -> "12"
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise RowError(f"{key} must be text, not {type(value).__name__}")


def check_row(raw: Mapping[str, object]) -> dict[str, str]:
    """An input row checked and normalised: every column of INPUT_COLUMNS, '' when not given.

    Raises RowError with the reason when the row cannot be screened. Idempotent, so a row checked
    once may be checked again (``screen_rows`` does) at little cost.
    """
    row = {key: _text(key, raw.get(key)).strip() for key in INPUT_COLUMNS}
    for key, text in row.items():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # surrogate-escaped bytes from the CSV reader
            raise RowError(f"{key} is not valid UTF-8") from None
        if "\n" in text or "\r" in text:
            # CSV: an unclosed quote runs a field over the next lines, swallowing their rows
            raise RowError(f"{key} holds a line break (an unclosed quote?)")
    if not row["id"]:
        raise RowError("missing id")
    if not row["name"]:
        raise RowError("missing name")
    row["type"] = clean_kind(row["type"]) or ""
    row["birth_date"] = clean_birth_date(row["birth_date"]) or ""
    row["country"] = clean_country(row["country"]) or ""
    return row


def make_query(raw: Mapping[str, object]) -> Query:
    """The screening query for one input row (checked with ``check_row``; RowError if invalid)."""
    row = check_row(raw)
    return Query(
        name=row["name"],
        kind=row["type"] or None,
        birth_date=row["birth_date"] or None,
        country=row["country"] or None,
        id_number=row["id_number"] or None,
        id=row["id"],
    )


# --- the pure part: rows in, hits out -------------------------------------------------------------


def hit_row(hit: Hit) -> dict[str, Any]:
    """One output row (OUTPUT_COLUMNS) for a hit."""
    return {
        "query_id": hit.query_id,
        "query_name": hit.query_name,
        "entity_id": hit.entity_id,
        "dataset": hit.dataset,
        "source_id": hit.source_id,
        "schema": hit.schema,
        "caption": hit.caption,
        "score": hit.score,
        "matched_name": hit.matched_name,
        "matched_name_kind": hit.matched_name_kind,
        "programs": ";".join(hit.programs),
        "explanation": hit.explanation,
    }


def screen_rows(
    screener: Screener, rows: Iterable[Mapping[str, object]], *, threshold: float, limit: int = 10
) -> Iterator[dict[str, Any]]:
    """One output row per hit for each input row, in input order, best hit first.

    Pure over a partition: no files, no state, so it runs as it is inside a worker process or a
    Spark ``mapPartitions``. The rows must be valid (see ``check_row``): an invalid one raises
    RowError, since a caller that screens its own partitions has to decide what to do with it.
    """
    for raw in rows:
        query = make_query(raw)
        for hit in screener.screen(query, threshold=threshold, limit=limit):
            yield hit_row(hit)


# --- reading input --------------------------------------------------------------------------------


def detect_format(path: Path, default: str | None = None) -> str:
    """The format the extension of ``path`` names; ``default`` (or InputError) when it names none."""
    suffix = path.suffix.lower()
    for name, suffixes in FORMATS.items():
        if suffix in suffixes:
            return name
    if default is not None:
        return default
    known = ", ".join(s for suffixes in FORMATS.values() for s in suffixes)
    raise InputError(f"{path}: cannot tell the format from the extension ({known}); say which format it is")


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise BatchError(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
    return fmt


def _columns(path: Path, names: list[str]) -> dict[str, str]:
    """Lower-cased column name -> the name as written; InputError without id and name."""
    cols: dict[str, str] = {}
    for name in names:
        key = name.strip().lower()
        if key in cols and key in INPUT_COLUMNS:
            raise InputError(f"{path}: the column {key!r} appears twice")
        cols.setdefault(key, name)
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    if missing:
        found = ", ".join(repr(n) for n in names) or "none"
        raise InputError(
            f"{path}: no {' or '.join(repr(m) for m in missing)} column (columns found: {found})"
        )
    return cols


def _open_csv(path: Path) -> IO[str]:
    # surrogateescape: a byte that is not UTF-8 fails its own row (check_row) rather than the whole run
    return open(path, encoding="utf-8-sig", errors="surrogateescape", newline="")


def _csv_header(reader: Any) -> list[str] | None:
    """The first non-blank record, or None for an empty file."""
    for fields in reader:
        if fields:
            return list(fields)
    return None


def check_input(path: Path, fmt: str) -> None:
    """Fail early (InputError) when the input as a whole cannot be read: missing, no id/name column."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if fmt == "csv":
        with _open_csv(path) as fh:
            try:
                header = _csv_header(csv.reader(fh))
            except csv.Error as exc:
                raise InputError(f"{path}: line 1: cannot read the header: {exc}") from None
        if header is not None:
            _columns(path, header)
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            schema = pq.ParquetFile(path).schema_arrow
        except Exception as exc:  # pyarrow raises several kinds for a file that is not Parquet
            raise InputError(f"{path}: not a readable Parquet file: {exc}") from None
        _columns(path, list(schema.names))


#: (line, raw row) or (line, reason) for a line that is no row at all
_Raw = tuple[int, "dict[str, object] | str"]


def _read_csv(path: Path) -> Iterator[_Raw]:
    with _open_csv(path) as fh:
        reader = csv.reader(fh)
        header = _csv_header(reader)
        if header is None:
            return
        _columns(path, header)
        keys = [name.strip().lower() for name in header]
        wanted = [(i, k) for i, k in enumerate(keys) if k in INPUT_COLUMNS]
        prev = reader.line_num
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield prev + 1, f"unreadable CSV: {exc}"
                prev = reader.line_num
                continue
            line, end = prev + 1, reader.line_num
            prev = end
            if not fields:  # a blank line
                continue
            if len(fields) != len(keys):
                reason = f"expected {len(keys)} fields, found {len(fields)}"
                if end > line:
                    reason += f" (the record runs over lines {line}-{end}: an unclosed quote?)"
                yield line, reason
                continue
            yield line, {k: fields[i] for i, k in wanted}


def _read_jsonl(path: Path) -> Iterator[_Raw]:
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                yield n, "not valid UTF-8"
                continue
            except json.JSONDecodeError as exc:
                yield n, f"not valid JSON: {exc.msg} at column {exc.colno}"
                continue
            if not isinstance(obj, dict):
                yield n, "not a JSON object"
                continue
            yield n, {str(k).strip().lower(): v for k, v in obj.items()}


def _read_parquet(path: Path) -> Iterator[_Raw]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    cols = _columns(path, list(pf.schema_arrow.names))
    wanted = {cols[k]: k for k in INPUT_COLUMNS if k in cols}
    n = 0
    for batch in pf.iter_batches(batch_size=10_000, columns=list(wanted)):
        for record in batch.to_pylist():
            n += 1
            yield n, {wanted[k]: v for k, v in record.items()}


_READERS: dict[str, Callable[[Path], Iterator[_Raw]]] = {
    "csv": _read_csv,
    "jsonl": _read_jsonl,
    "parquet": _read_parquet,
}


class _Item(NamedTuple):
    """One input row, checked: either ``row`` (to screen) or ``error`` (the reason it is not)."""

    line: int
    id: str
    row: dict[str, str] | None
    error: str | None


def _items(path: Path, fmt: str) -> Iterator[_Item]:
    """Every input row in order, checked, duplicates of an earlier id turned into errors."""
    first_line: dict[str, int] = {}
    for line, raw in _READERS[fmt](path):
        if isinstance(raw, str):
            yield _Item(line, "", None, raw)
            continue
        try:
            row = check_row(raw)
        except RowError as exc:
            ident = raw.get("id")
            yield _Item(
                line, ident if isinstance(ident, str) else "" if ident is None else str(ident), None, str(exc)
            )
            continue
        seen = first_line.setdefault(row["id"], line)
        if seen != line:
            yield _Item(line, row["id"], None, f"duplicate id {row['id']!r} (first on line {seen})")
            continue
        yield _Item(line, row["id"], row, None)


def count_rows(path: Path, fmt: str | None = None) -> int | None:
    """How many rows the input has, cheaply: lines for CSV/JSONL (an estimate), Parquet's metadata."""
    fmt = _check_format(fmt or detect_format(path))
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        lines, last = 0, b"\n"
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                lines += block.count(b"\n")
                last = block[-1:]
        if last != b"\n":
            lines += 1
        return max(0, lines - 1) if fmt == "csv" else lines
    except Exception:  # only for a progress bar: an unreadable file is reported by the run itself
        return None


def _checksum(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


# --- writing output -------------------------------------------------------------------------------


def _csv_bytes(rows: Iterable[Iterable[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csvsafe.writer(buf)  # every cell neutralised against formula injection
    writer.writerows(rows)
    # backslashreplace: an id with undecodable bytes still shows them in the errors file
    return buf.getvalue().encode("utf-8", "backslashreplace")


def _encode_hits(fmt: str, rows: list[dict[str, Any]]) -> bytes:
    if fmt == "csv":
        return _csv_bytes([row[c] for c in OUTPUT_COLUMNS] for row in rows)
    # jsonl, also the spool of Parquet output
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode(
        "utf-8", "backslashreplace"
    )


def _parquet_schema() -> Any:
    import pyarrow as pa

    return pa.schema([(c, pa.float64() if c == "score" else pa.string()) for c in OUTPUT_COLUMNS])


def _spool_to_parquet(spool: Path, out: Path, batch_rows: int = 50_000) -> None:
    """Convert the JSON-lines spool into the Parquet output, streaming, then swap it into place."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _parquet_schema()
    tmp = out.with_name(out.name + ".tmp")
    with pq.ParquetWriter(tmp, schema) as writer, open(spool, "rb") as fh:
        batch: list[dict[str, Any]] = []
        for line in fh:
            batch.append(json.loads(line))
            if len(batch) >= batch_rows:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        # an empty table still gives the file its schema: an empty input is a valid empty output
        writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    os.replace(tmp, out)


def _sync(fh: IO[bytes]) -> None:
    fh.flush()
    os.fsync(fh.fileno())


# --- the run --------------------------------------------------------------------------------------


@dataclass
class BatchSummary:
    """What a run of ``screen_file`` did; counts are for the whole input, resumed part included."""

    input: str
    output: str
    errors_file: str
    #: input rows read (screened + errors)
    rows_read: int
    screened: int
    errors: int
    #: output rows
    hits: int
    #: input rows with at least one hit
    queries_with_hits: int
    #: seconds this run took
    elapsed: float
    #: input rows already done by an earlier run that this one resumed after (0: a fresh start)
    resumed_from: int
    #: rows this run screened itself (the rate's numerator)
    screened_this_run: int
    #: worker processes used (1: in-process)
    workers: int
    #: the output was already complete: nothing was done
    already_complete: bool = False

    @property
    def rows_per_second(self) -> float:
        return self.screened_this_run / self.elapsed if self.elapsed > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["elapsed"] = round(self.elapsed, 3)
        data["rows_per_second"] = round(self.rows_per_second, 1)
        return data


_COUNTS = ("rows_read", "screened", "errors", "hits", "queries_with_hits")


def output_paths(out: Path, fmt: str) -> tuple[Path, Path, Path]:
    """(errors file, state file, data file written while running) for an output path."""
    data = out.with_name(out.name + ".partial.jsonl") if fmt == "parquet" else out
    return out.with_name(out.name + ".errors.csv"), out.with_name(out.name + ".state.json"), data


def _write_state(path: Path, state: dict[str, Any]) -> None:
    """Replace the state file atomically: a crash leaves the old state or the new, never half of one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(state, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


#: what a run's fingerprint holds, in words (the Spark engine adds its own entries)
FINGERPRINT_LABELS: dict[str, str] = {
    "input_sha256": "the input's content",
    "input_format": "the input format",
    "output_format": "the output format",
    "threshold": "the threshold",
    "limit": "the limit",
    "proscribe": "the version of proscribe",
    "index": "the lists (versions, as-of date or datasets)",
}
#: fingerprint entries whose values are short enough to show
_SHOWN_VALUES = ("threshold", "limit", "partitions", "input_format", "output_format", "proscribe")


def fingerprint_differences(
    old: Mapping[str, Any], new: Mapping[str, Any], labels: Mapping[str, str] = FINGERPRINT_LABELS
) -> list[str]:
    """What differs between the run being resumed and this one, in words."""
    out = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            label = labels.get(key, key)
            if key in _SHOWN_VALUES:
                out.append(f"{label} ({old.get(key)} then, {new.get(key)} now)")
            elif key == "index":
                was, now = old.get(key) or {}, new.get(key) or {}
                out.append(
                    f"{label} ({was.get('version_key')} as of {was.get('as_of')} then, "
                    f"{now.get('version_key')} as of {now.get('as_of')} now)"
                )
            else:
                out.append(label)
    return out


def _chunks(items: Iterator[_Item], size: int) -> Iterator[list[_Item]]:
    while chunk := list(islice(items, size)):
        yield chunk


_WORKER_SCREENER: Screener | None = None


def _init_worker(index_path: str) -> None:
    global _WORKER_SCREENER
    # Ctrl-C is the parent's to handle: it stops at a chunk boundary and shuts the pool down
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER_SCREENER = Screener.load(Path(index_path))


def _screen_chunk(rows: list[dict[str, str]], threshold: float, limit: int) -> list[dict[str, Any]]:
    assert _WORKER_SCREENER is not None, "worker not initialised"
    return list(screen_rows(_WORKER_SCREENER, rows, threshold=threshold, limit=limit))


class _Engine:
    """Screens chunks in input order, in-process or in a pool; yields (chunk, hit rows)."""

    def __init__(self, screener: Screener, workers: int, threshold: float, limit: int) -> None:
        self.screener = screener
        self.workers = workers
        self.threshold = threshold
        self.limit = limit
        self.used = 1

    def _local(self, chunk: list[_Item]) -> list[dict[str, Any]]:
        rows = [it.row for it in chunk if it.row is not None]
        return list(screen_rows(self.screener, rows, threshold=self.threshold, limit=self.limit))

    def run(
        self, chunks: Iterator[list[_Item]]
    ) -> Generator[tuple[list[_Item], list[dict[str, Any]]], None, None]:
        first = next(chunks, None)
        if first is None:
            return
        second = next(chunks, None)
        if self.workers <= 1 or second is None:
            # one chunk is not worth starting processes that each load the whole index
            yield first, self._local(first)
            if second is not None:
                yield second, self._local(second)
                for chunk in chunks:
                    yield chunk, self._local(chunk)
            return
        self.used = self.workers

        def all_chunks() -> Iterator[list[_Item]]:
            yield first
            yield second
            yield from chunks

        with tempfile.TemporaryDirectory(prefix="proscribe-batch-") as tmp:
            # the workers load the index from the file it came from (the index cache), or from a copy
            index_path = self.screener.saved_path
            if index_path is None:
                index_path = Path(tmp) / "index.pickle"
                self.screener.save(index_path)
            # spawn, not fork: the parent may run threads (a progress bar) that fork would copy mid-lock
            pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=get_context("spawn"),
                initializer=_init_worker,
                initargs=(str(index_path),),
            )
            try:
                pending: deque[tuple[list[_Item], Future[list[dict[str, Any]]]]] = deque()
                for chunk in all_chunks():
                    rows = [it.row for it in chunk if it.row is not None]
                    pending.append((chunk, pool.submit(_screen_chunk, rows, self.threshold, self.limit)))
                    # a few chunks in flight per worker keep them busy without reading the whole input
                    if len(pending) >= 2 * self.workers:
                        done, fut = pending.popleft()
                        yield done, fut.result()
                while pending:
                    done, fut = pending.popleft()
                    yield done, fut.result()
            except BaseException:
                # stopped early (Ctrl-C, a failed write, the consumer gone): the chunks in flight
                # would be thrown away, so stop the workers now rather than wait for them to finish
                # (ProcessPoolExecutor has no public way to do so before Python 3.14)
                procs: dict[int, Any] = getattr(pool, "_processes", None) or {}
                for proc in list(procs.values()):
                    proc.terminate()
                raise
            finally:
                pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _worker_deaths() -> Iterator[None]:
    try:
        yield
    except BrokenProcessPool as exc:
        raise BatchError(
            f"a worker process died ({exc}); the rows done so far are saved: run again to resume, "
            "with one worker if it happens again. (Calling screen_file from a script? Worker processes "
            "are spawned, so the script must guard its work with: if __name__ == '__main__')"
        ) from exc


def screen_file(
    screener: Screener,
    input_path: Path,
    output_path: Path,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 10,
    input_format: str | None = None,
    output_format: str | None = None,
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    restart: bool = False,
    progress: Callable[[int], None] | None = None,
    say: Callable[[str], None] | None = None,
) -> BatchSummary:
    """Screen every row of ``input_path`` and write the hits to ``output_path`` (see the module doc).

    ``progress(rows_done)`` is called with the number of input rows done (resumed ones included)
    after each chunk is safely written; ``say(message)`` tells of a resume or a finished output.
    Raises BatchError (InputError, StateMismatch, OutputExists) when the run cannot start.
    """
    started = time.monotonic()
    if not 0.0 <= threshold <= 1.0:
        raise BatchError(f"the threshold is a score between 0 and 1, not {threshold}")
    if limit < 1 or chunk_size < 1:
        raise BatchError("limit and chunk size must be at least 1")
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    in_fmt = _check_format(input_format or detect_format(input_path))
    out_fmt = _check_format(output_format or detect_format(output_path, default="csv"))
    check_input(input_path, in_fmt)
    errors_path, state_path, data_path = output_paths(output_path, out_fmt)
    if input_path.resolve() in {p.resolve() for p in (output_path, errors_path, state_path, data_path)}:
        raise BatchError(f"{output_path} would overwrite the input {input_path}")
    fingerprint = json.loads(
        json.dumps(
            {
                # a new release may score differently: its hits are not to be mixed with the old ones
                "proscribe": __version__,
                "input_sha256": _checksum(input_path),
                "input_format": in_fmt,
                "output_format": out_fmt,
                "threshold": threshold,
                "limit": limit,
                "index": screener.index.built_from,
            },
            default=str,
        )
    )
    output_path.parent.mkdir(parents=True, exist_ok=True)
    report = say or (lambda message: None)

    def summary(
        counts: Mapping[str, int], resumed_from: int, screened_before: int, used: int, complete: bool = False
    ) -> BatchSummary:
        return BatchSummary(
            input=str(input_path),
            output=str(output_path),
            errors_file=str(errors_path),
            **{k: int(counts[k]) for k in _COUNTS},
            elapsed=time.monotonic() - started,
            resumed_from=resumed_from,
            screened_this_run=int(counts["screened"]) - screened_before,
            workers=used,
            already_complete=complete,
        )

    state: dict[str, Any] | None = None
    if state_path.exists() and not restart:
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
            if not isinstance(state, dict) or state.get("version") != _STATE_VERSION:
                raise ValueError("not a state file of this version of proscribe")
        except ValueError as exc:
            raise StateMismatch(
                f"{state_path} cannot be read ({exc}); pass --restart to start over"
            ) from None
        diffs = fingerprint_differences(state.get("fingerprint", {}), fingerprint)
        if diffs:
            if state.get("complete"):
                raise StateMismatch(
                    f"{output_path} holds the finished screening of another run; what differs: "
                    f"{'; '.join(diffs)}: pass --restart to overwrite it"
                )
            raise StateMismatch(
                f"{state_path} records an unfinished run of {output_path}; what differs: "
                f"{'; '.join(diffs)}: run it again as it was to resume, or pass --restart to start over"
            )
    elif not restart and output_path.exists():
        raise OutputExists(
            f"{output_path} exists and no unfinished run is recorded for it ({state_path.name} is missing): "
            "pass --restart to overwrite it"
        )

    if state is not None and state.get("complete"):
        if not output_path.exists():
            raise StateMismatch(
                f"{state_path} says the run finished, but {output_path} is missing: "
                "pass --restart to screen again"
            )
        report(f"{output_path} is already complete ({state['records_done']} rows): nothing to do")
        return summary(state["counts"], state["records_done"], int(state["counts"]["screened"]), 0, True)

    with contextlib.ExitStack() as stack:
        # a+b creates the file without truncating it: it is locked before anything is decided on it
        data_fh = stack.enter_context(open(data_path, "a+b"))
        if fcntl is not None:
            try:
                fcntl.flock(data_fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise BatchError(f"another run is writing {output_path}") from None
        errors_fh = stack.enter_context(open(errors_path, "a+b"))

        if state is None:
            # a fresh start (or --restart): empty files with their headers, and a state to resume from
            if restart and data_path != output_path:
                output_path.unlink(missing_ok=True)
            for fh in (data_fh, errors_fh):
                fh.seek(0)
                fh.truncate()
            if out_fmt == "csv":
                data_fh.write(_csv_bytes([OUTPUT_COLUMNS]))
            errors_fh.write(_csv_bytes([ERROR_COLUMNS]))
            _sync(data_fh)
            _sync(errors_fh)
            state = {
                "version": _STATE_VERSION,
                "fingerprint": fingerprint,
                "input": str(input_path),
                "records_done": 0,
                "data_offset": data_fh.tell(),
                "errors_offset": errors_fh.tell(),
                "counts": dict.fromkeys(_COUNTS, 0),
                "complete": False,
            }
            _write_state(state_path, state)
            resumed_from = 0
        else:
            for fh, key in ((data_fh, "data_offset"), (errors_fh, "errors_offset")):
                fh.seek(0, os.SEEK_END)
                if fh.tell() < state[key]:
                    raise StateMismatch(
                        f"{fh.name} is shorter than {state_path.name} records (was it edited?): "
                        "pass --restart to start over"
                    )
                # whatever was written after the last complete chunk is incomplete: drop it
                fh.seek(state[key])
                fh.truncate()
            resumed_from = int(state["records_done"])
            report(
                f"resuming {output_path} after {resumed_from} input rows "
                f"({state['counts']['hits']} hits so far)"
            )
            if progress is not None:
                progress(resumed_from)

        counts: dict[str, int] = dict(state["counts"])
        screened_before = counts["screened"]
        items = _items(input_path, in_fmt)
        # re-reading the rows done rebuilds the ids seen so far, so duplicates are still caught
        for _ in islice(items, resumed_from):
            pass
        engine = _Engine(screener, workers, threshold, limit)
        with contextlib.closing(engine.run(_chunks(items, chunk_size))) as results, _worker_deaths():
            for chunk, hits in results:
                errors = [(it.line, it.id, it.error) for it in chunk if it.error is not None]
                data_fh.write(_encode_hits("jsonl" if out_fmt == "parquet" else out_fmt, hits))
                errors_fh.write(_csv_bytes(errors))
                # the data must be on disk before a state that points past it
                _sync(data_fh)
                _sync(errors_fh)
                counts["rows_read"] += len(chunk)
                counts["errors"] += len(errors)
                counts["screened"] += len(chunk) - len(errors)
                counts["hits"] += len(hits)
                counts["queries_with_hits"] += len({h["query_id"] for h in hits})
                state.update(
                    records_done=counts["rows_read"],
                    data_offset=data_fh.tell(),
                    errors_offset=errors_fh.tell(),
                    counts=dict(counts),
                )
                _write_state(state_path, state)
                if progress is not None:
                    progress(counts["rows_read"])

        if out_fmt == "parquet":
            _spool_to_parquet(data_path, output_path)
        state["complete"] = True
        _write_state(state_path, state)
    if out_fmt == "parquet":
        data_path.unlink(missing_ok=True)
    return summary(counts, resumed_from, screened_before, engine.used)
