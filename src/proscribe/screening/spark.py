"""Screening whole files on Apache Spark: ``proscribe screen-file --engine spark``.

The same screening as ``proscribe.screening.batch`` (each row is checked by ``check_row`` and
screened by ``screen_rows``, so the hits are the same), run as a Spark job so that an input of tens
of millions of rows is spread over a cluster's executors. PySpark is an optional dependency
(``pip install 'proscribe[spark]'``); it is imported only when this engine is used.

Input is CSV (a header row), JSON lines or Parquet, one file or a folder of files (Spark's own
readers; any path Spark reads: a local path, ``hdfs://``, ``s3a://``...). The columns are those of
``batch.INPUT_COLUMNS``.

Output is a **folder** (a partitioned dataset, as Spark writes them)::

    OUTPUT/part-00000.parquet        the hits of partition 0 (columns batch.OUTPUT_COLUMNS)
    OUTPUT/_errors/part-00000.csv    the rows of partition 0 that cannot be screened (row,id,reason)
    OUTPUT/_done/part-00000.json     partition 0 is complete: its counts
    OUTPUT/_run.json                 what the run is (input files, options, list versions)
    OUTPUT/_SUCCESS                  every partition is complete

Rows are spread over the partitions by a hash of their id (CRC-32, the same on every machine and
every run), so the rows of one partition are always the same whatever the cluster, and every copy
of an id lands in the same partition, where the later copies are reported as duplicates as the
local engine does. ``row`` in the errors file is the row's number in the input counting from 1
(the CSV header not counted; a folder's files in the order Spark lists them).

Each task screens one partition and writes its files itself, each to a temporary name then moved
into place, the ``_done`` marker last. Running the same command again after a crash, a killed job
or a lost executor skips the partitions that have their marker and screens the others; a run with
other input files, options or list versions is refused rather than mixed in (``restart=True``
clears the folder and starts over). Retried or speculative tasks write the same files again, so
they do no harm.

The matching index is built (or loaded from ``Screener.from_store``'s cache) once, on the driver,
saved to a file and shipped to the executors with ``SparkContext.addFile``; each Python worker
loads it once and keeps it for every task it runs. The output folder must be one that the driver
and every executor can write (a shared path, ``s3://``, ``gs://``, ``hdfs://``: written through
``pyarrow.fs``).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proscribe import __version__
from proscribe.screening import batch
from proscribe.screening.batch import (
    FINGERPRINT_LABELS,
    INPUT_COLUMNS,
    OUTPUT_COLUMNS,
    BatchError,
    BatchSummary,
    InputError,
    OutputExists,
    RowError,
    StateMismatch,
    check_row,
    fingerprint_differences,
    screen_rows,
)
from proscribe.screening.screener import DEFAULT_THRESHOLD, Screener

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: input rows a partition gets by default (its output is the unit of resuming)
DEFAULT_ROWS_PER_PARTITION = 10_000
#: the fewest partitions by default, so that a small input still keeps a few executors busy
MIN_PARTITIONS = 8
#: the columns of the errors files
SPARK_ERROR_COLUMNS = ("row", "id", "reason")
#: output formats (input may also be JSON lines)
OUTPUT_FORMATS = ("parquet", "csv", "jsonl")
_EXTENSIONS = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}
_CORRUPT = "_corrupt_record"
_RUN_FILE = "_run.json"
_RUN_VERSION = 1
INSTALL_HINT = "the Spark engine needs PySpark and Java 17 or later: pip install 'proscribe[spark]'"


# --- the session --------------------------------------------------------------------------------


def is_local_master(master: str | None) -> bool:
    return master is None or master.startswith(("local[", "local-cluster[")) or master == "local"


def spark_session(
    master: str | None = None, *, conf: Mapping[str, str] | None = None, app_name: str = "proscribe"
) -> SparkSession:
    """A SparkSession: the one ``spark-submit`` set up, else one on ``master`` (``local[*]`` by default).

    A local master (``local[N]``, ``local-cluster[...]``) binds to the loopback interface only and
    has no web UI: nothing is reachable from outside the machine.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise BatchError(INSTALL_HINT) from None
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # launched by spark-submit: it chose the master
    builder = SparkSession.builder.appName(app_name)
    if master is None and not submitted:
        master = "local[*]"
    if master is not None:
        builder = builder.master(master)
    if not submitted and is_local_master(master):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        # the executors' Python workers run this interpreter, where proscribe is installed
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (
            builder.config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    try:
        session: SparkSession = builder.getOrCreate()
    except Exception as exc:  # no Java, a bad master URL...: py4j and Spark raise several kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BatchError(f"cannot start Spark ({first}); {INSTALL_HINT}") from None
    return session


# --- reading the input --------------------------------------------------------------------------


def _uri(path: str | Path) -> str:
    """A URI as given (``s3a://``...), a plain path made absolute (executors have other working folders)."""
    text = str(path)
    if "://" in text:
        return text
    return str(Path(text).resolve())


def read_input(spark: SparkSession, path: str, fmt: str) -> DataFrame:
    """The input's rows, with the columns of INPUT_COLUMNS it has (CSV: also ``_corrupt_record``)."""
    reader = spark.read
    try:
        if fmt == "parquet":
            df = reader.parquet(path)
        elif fmt == "csv":
            from pyspark.sql.types import StringType, StructField, StructType

            options = {
                "header": "true",
                "encoding": "UTF-8",
                "escape": '"',  # RFC 4180: a quote inside a quoted field is doubled (Spark's default is \)
                "mode": "PERMISSIVE",
                "columnNameOfCorruptRecord": _CORRUPT,
            }
            header = reader.options(**options).csv(path).columns
            header = [name.lstrip("\ufeff") for name in header]
            # every column as text, as the local engine reads it; a record of the wrong shape lands
            # whole in _corrupt_record, to be reported rather than screened
            schema = StructType(
                [StructField(name, StringType()) for name in header] + [StructField(_CORRUPT, StringType())]
            )
            df = reader.schema(schema).options(**options).option("enforceSchema", "true").csv(path)
        elif fmt == "jsonl":
            df = reader.option("columnNameOfCorruptRecord", _CORRUPT).json(path)
        else:
            raise BatchError(f"unknown format {fmt!r} (one of: {', '.join(batch.FORMATS)})")
    except BatchError:
        raise
    except Exception as exc:  # Spark's AnalysisException: no such path, not Parquet...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: cannot be read as {fmt}: {first}") from None
    names = [c for c in df.columns if c != _CORRUPT]
    cols = batch._columns(Path(path), names)  # InputError without id and name; a column twice
    picked = [df[cols[k]].alias(k) for k in INPUT_COLUMNS if k in cols]
    if _CORRUPT in df.columns:
        picked.append(df[_CORRUPT])
    return df.select(*picked)


def _input_files(spark: SparkSession, df: DataFrame) -> list[dict[str, Any]]:
    """The input's files with their sizes and modification times (any filesystem Hadoop reaches)."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None, "a classic SparkSession (Spark Connect has no JVM here)"
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    out = []
    for name in sorted(df.inputFiles()):
        jpath = jvm.org.apache.hadoop.fs.Path(name)
        status = jpath.getFileSystem(conf).getFileStatus(jpath)
        out.append(
            {"file": name, "size": int(status.getLen()), "modified": int(status.getModificationTime())}
        )
    return out


# --- the output folder (pyarrow.fs: local, S3, GCS, HDFS) --------------------------------------


class _Folder:
    """The output folder, on the driver or in a task: small files written whole, moved into place."""

    def __init__(self, uri: str) -> None:
        import pyarrow.fs as pafs

        self.uri = uri
        if "://" in uri:
            # Hadoop's names for S3 are pyarrow's s3://
            scheme, rest = uri.split("://", 1)
            if scheme in ("s3a", "s3n"):
                uri = f"s3://{rest}"
            self.fs, self.base = pafs.FileSystem.from_uri(uri)
        else:
            self.fs, self.base = pafs.LocalFileSystem(), uri

    def path(self, name: str) -> str:
        return f"{self.base.rstrip('/')}/{name}"

    def exists(self, name: str = "") -> bool:
        import pyarrow.fs as pafs

        info = self.fs.get_file_info(self.path(name) if name else self.base)
        return bool(info.type != pafs.FileType.NotFound)

    def names(self, folder: str) -> list[str]:
        import pyarrow.fs as pafs

        if not self.exists(folder):
            return []
        infos = self.fs.get_file_info(pafs.FileSelector(self.path(folder)))
        return sorted(i.base_name for i in infos if i.type == pafs.FileType.File)

    def read(self, name: str) -> bytes:
        with self.fs.open_input_stream(self.path(name)) as fh:
            data: bytes = fh.read()
        return data

    def write(self, name: str, data: bytes) -> None:
        """Write a whole file under a temporary name, then move it into place."""
        final = self.path(name)
        self.fs.create_dir(final.rsplit("/", 1)[0], recursive=True)
        tmp = f"{final}.{uuid.uuid4().hex}.tmp"
        with self.fs.open_output_stream(tmp) as fh:
            fh.write(data)
        self.fs.move(tmp, final)

    def clear(self) -> None:
        if self.exists():
            self.fs.delete_dir_contents(self.base, missing_dir_ok=True)
        self.fs.create_dir(self.base, recursive=True)


# --- one partition, on an executor ---------------------------------------------------------------

_SCREENERS: dict[str, Screener] = {}


def _executor_screener(index_name: str) -> Screener:
    """The index shipped with addFile, loaded once per Python worker (and kept for its next tasks)."""
    screener = _SCREENERS.get(index_name)
    if screener is None:
        from pyspark import SparkFiles

        _SCREENERS.clear()  # an index of an earlier run in the same worker: let it go
        screener = Screener.load(Path(SparkFiles.get(index_name)))
        _SCREENERS[index_name] = screener
    return screener


def partition_of(key: str, partitions: int) -> int:
    """The partition a row goes to, from its id (stripped): the same on every machine and run."""
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % partitions


def part_name(partition: int) -> str:
    return f"part-{partition:05d}"


def encode_hits(fmt: str, rows: list[dict[str, Any]]) -> bytes:
    """A whole hits file: Parquet, CSV (with its header; formula-safe) or JSON lines."""
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        sink = pa.BufferOutputStream()
        pq.write_table(pa.Table.from_pylist(rows, schema=batch._parquet_schema()), sink)
        return bytes(sink.getvalue().to_pybytes())
    if fmt == "csv":
        return batch._csv_bytes([OUTPUT_COLUMNS]) + batch._encode_hits("csv", rows)
    return batch._encode_hits("jsonl", rows)


@dataclass(frozen=True)
class _Task:
    """What every task needs to know: small, pickled into the job's closure."""

    index_name: str
    out_uri: str
    out_fmt: str
    threshold: float
    limit: int
    partitions: int
    done: frozenset[int]


def _corrupt_reason(corrupt: str) -> str:
    shown = corrupt if len(corrupt) <= 60 else corrupt[:57] + "..."
    return f"not a well-formed record for this header (wrong number of fields?): {shown!r}"


def screen_partition(
    task: _Task, partition: int, items: Iterable[tuple[Any, Any]]
) -> Iterator[dict[str, int]]:
    """Screen one partition's rows ((key, (row number, raw row)) pairs) and write its files.

    Yields the partition's counts once; a partition already done is skipped (nothing yielded: the
    driver reads its counts from its marker).
    """
    if partition in task.done:
        return
    rows = sorted((value for _, value in items), key=lambda v: v[0])
    errors: list[tuple[int, str, str]] = []
    good: list[dict[str, str]] = []
    first_row: dict[str, int] = {}
    for number, raw in rows:
        raw = dict(raw)
        corrupt = raw.pop(_CORRUPT, None)
        ident = raw.get("id")
        shown_id = "" if ident is None else str(ident)
        reason = None if corrupt is None else _corrupt_reason(str(corrupt))
        if reason is None:
            try:
                row = check_row(raw)
            except RowError as exc:
                reason = str(exc)
            else:
                seen = first_row.setdefault(row["id"], number)
                if seen != number:
                    reason = f"duplicate id {row['id']!r} (first on row {seen})"
                else:
                    good.append(row)
        if reason is not None:
            errors.append((number, shown_id, reason))
    screener = _executor_screener(task.index_name)
    hits = list(screen_rows(screener, good, threshold=task.threshold, limit=task.limit))
    folder = _Folder(task.out_uri)
    name = part_name(partition)
    folder.write(f"_errors/{name}.csv", batch._csv_bytes([SPARK_ERROR_COLUMNS, *errors]))
    folder.write(f"{name}{_EXTENSIONS[task.out_fmt]}", encode_hits(task.out_fmt, hits))
    counts = {
        "partition": partition,
        "rows_read": len(rows),
        "screened": len(good),
        "errors": len(errors),
        "hits": len(hits),
        "queries_with_hits": len({h["query_id"] for h in hits}),
    }
    folder.write(f"_done/{name}.json", json.dumps(counts).encode())  # last: the partition is complete
    yield counts


# --- the run, on the driver ----------------------------------------------------------------------

_SHIP_DIR: Path | None = None
#: the index last shipped, and its file's name: the same index is not saved again
_SHIPPED: dict[int, tuple[Any, str]] = {}


def ship_index(spark: SparkSession, screener: Screener) -> str:
    """Save the index to a file and ship it to the executors (``addFile``); its name there.

    The name is the file's checksum, so the same index shipped again (a second run in one session)
    is the same file, and the Python workers that already loaded it keep it.
    """
    global _SHIP_DIR
    known = _SHIPPED.get(id(screener.index))
    if known is not None and known[0] is screener.index:
        spark.sparkContext.addFile(str(_SHIP_DIR / known[1]) if _SHIP_DIR else known[1])
        return known[1]
    if _SHIP_DIR is None:
        _SHIP_DIR = Path(tempfile.mkdtemp(prefix="proscribe-spark-"))
        atexit.register(shutil.rmtree, _SHIP_DIR, True)
    tmp = _SHIP_DIR / f"{uuid.uuid4().hex}.tmp"
    screener.save(tmp)
    with open(tmp, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()[:20]
    name = f"index-{digest}.pickle"
    path = _SHIP_DIR / name
    if path.exists():
        tmp.unlink()
    else:
        os.replace(tmp, path)
    # adding the same path again is a no-op for Spark
    spark.sparkContext.addFile(str(path))
    _SHIPPED.clear()
    _SHIPPED[id(screener.index)] = (screener.index, name)
    return name


def default_partitions(rows: int) -> int:
    return max(MIN_PARTITIONS, math.ceil(rows / DEFAULT_ROWS_PER_PARTITION))


#: the Spark run's fingerprint names its input files rather than hashing their content
_LABELS = {
    **FINGERPRINT_LABELS,
    "input": "the input files (names, sizes or modification times)",
    "partitions": "the number of partitions",
}


def screen_file_spark(
    spark: SparkSession,
    screener: Screener,
    input_path: str | Path,
    output_path: str | Path,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 10,
    input_format: str | None = None,
    output_format: str | None = None,
    partitions: int | None = None,
    restart: bool = False,
    say: Callable[[str], None] | None = None,
) -> BatchSummary:
    """Screen every row of ``input_path`` on Spark into the folder ``output_path`` (see the module doc).

    Raises BatchError (InputError, StateMismatch, OutputExists) when the run cannot start.
    """
    started = time.monotonic()
    report = say or (lambda message: None)
    if not 0.0 <= threshold <= 1.0:
        raise BatchError(f"the threshold is a score between 0 and 1, not {threshold}")
    if limit < 1:
        raise BatchError("the limit must be at least 1")
    if partitions is not None and partitions < 1:
        raise BatchError("the number of partitions must be at least 1")
    in_uri, out_uri = _uri(input_path), _uri(output_path)
    in_fmt = batch._check_format(
        input_format or batch.detect_format(Path(str(input_path)), default="parquet")
    )
    out_fmt = output_format or "parquet"
    if out_fmt not in OUTPUT_FORMATS:
        raise BatchError(f"unknown output format {out_fmt!r} (one of: {', '.join(OUTPUT_FORMATS)})")
    if in_uri.rstrip("/") == out_uri.rstrip("/"):
        raise BatchError(f"{output_path} would overwrite the input {input_path}")

    df = read_input(spark, in_uri, in_fmt)
    files = _input_files(spark, df)
    if any(f["file"].rstrip("/").startswith(out_uri.rstrip("/") + "/") for f in files):
        raise BatchError(f"the output folder {output_path} is inside the input {input_path}")
    total = df.count()
    folder = _Folder(out_uri)
    state: dict[str, Any] | None = None
    if restart:
        folder.clear()
    elif folder.exists(_RUN_FILE):
        try:
            state = json.loads(folder.read(_RUN_FILE))
            if not isinstance(state, dict) or state.get("version") != _RUN_VERSION:
                raise ValueError("not a run file of this version of proscribe")
        except ValueError as exc:
            raise StateMismatch(f"{output_path}/{_RUN_FILE} cannot be read ({exc}); pass --restart") from None
    elif folder.exists() and folder.names("") + folder.names("_done"):
        raise OutputExists(
            f"{output_path} exists and no run is recorded in it ({_RUN_FILE} is missing): "
            "pass --restart to overwrite it"
        )
    # resuming without --partitions: as many as the run being resumed had
    recorded = (state or {}).get("fingerprint", {}).get("partitions")
    nparts = partitions or (int(recorded) if recorded else default_partitions(total))
    fingerprint = json.loads(
        json.dumps(
            {
                "proscribe": __version__,
                "input": files,
                "input_format": in_fmt,
                "output_format": out_fmt,
                "threshold": threshold,
                "limit": limit,
                "partitions": nparts,
                "index": screener.index.built_from,
            },
            default=str,
        )
    )
    done: dict[int, dict[str, int]] = {}
    if state is not None:
        diffs = fingerprint_differences(state.get("fingerprint", {}), fingerprint, _LABELS)
        if diffs:
            raise StateMismatch(
                f"{output_path} holds {'the finished' if folder.exists('_SUCCESS') else 'an unfinished'} "
                f"screening of another run; what differs: {'; '.join(diffs)}: "
                "run it again as it was to resume, or pass --restart to start over"
            )
        for name in folder.names("_done"):
            counts = json.loads(folder.read(f"_done/{name}"))
            done[int(counts["partition"])] = counts
    if not folder.exists(_RUN_FILE):
        folder.clear()
        folder.write(
            _RUN_FILE, json.dumps({"version": _RUN_VERSION, "fingerprint": fingerprint}, indent=1).encode()
        )

    if len(done) >= nparts and folder.exists("_SUCCESS"):
        report(f"{output_path} is already complete ({total} rows): nothing to do")
        return _summary(in_uri, out_uri, done, {}, started, spark, complete=True)
    if done:
        report(f"resuming {output_path}: {len(done)} of {nparts} partitions already done")

    fresh: dict[int, dict[str, int]] = {}
    if len(done) < nparts:
        index_name = ship_index(spark, screener)
        task = _Task(index_name, out_uri, out_fmt, threshold, limit, nparts, frozenset(done))
        keyed = df.rdd.zipWithIndex().map(
            lambda pair: (
                partition_of(str(pair[0]["id"] or "").strip(), nparts),
                (pair[1] + 1, pair[0].asDict()),
            )
        )
        results = (
            keyed.partitionBy(nparts, lambda key: key)
            .mapPartitionsWithIndex(lambda i, items: screen_partition(task, i, items))
            .collect()
        )
        fresh = {int(c["partition"]): c for c in results}
    folder.write("_SUCCESS", b"")
    return _summary(in_uri, out_uri, done, fresh, started, spark)


def _summary(
    in_uri: str,
    out_uri: str,
    done: Mapping[int, Mapping[str, int]],
    fresh: Mapping[int, Mapping[str, int]],
    started: float,
    spark: SparkSession,
    complete: bool = False,
) -> BatchSummary:
    counts = dict.fromkeys(batch._COUNTS, 0)
    for part in (*done.values(), *fresh.values()):
        for key in counts:
            counts[key] += int(part[key])
    resumed_from = sum(int(p["rows_read"]) for p in done.values())
    return BatchSummary(
        input=in_uri,
        output=out_uri,
        errors_file=f"{out_uri.rstrip('/')}/_errors",
        **counts,
        elapsed=time.monotonic() - started,
        resumed_from=resumed_from,
        screened_this_run=sum(int(p["screened"]) for p in fresh.values()),
        workers=int(spark.sparkContext.defaultParallelism),
        already_complete=complete,
    )


def read_hits(output_path: str | Path) -> list[dict[str, Any]]:
    """Every hit row of an output folder (for tests and small outputs: it is read whole)."""
    folder = _Folder(_uri(output_path))
    rows: list[dict[str, Any]] = []
    for name in folder.names(""):
        if not name.startswith("part-"):
            continue
        data = folder.read(name)
        if name.endswith(".parquet"):
            import pyarrow as pa
            import pyarrow.parquet as pq

            rows += pq.read_table(pa.BufferReader(data)).to_pylist()
        elif name.endswith(".csv"):
            import csv
            import io

            rows += list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        else:
            rows += [json.loads(line) for line in data.decode("utf-8").splitlines() if line]
    return rows


def read_errors(output_path: str | Path) -> list[dict[str, str]]:
    """Every row of an output folder's errors files."""
    import csv
    import io

    folder = _Folder(_uri(output_path))
    rows: list[dict[str, str]] = []
    for name in folder.names("_errors"):
        rows += list(csv.DictReader(io.StringIO(folder.read(f"_errors/{name}").decode("utf-8"))))
    return rows
