"""``proscribe screen`` (one name) and ``proscribe screen-file`` (a whole file of names)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from proscribe.cli.common import console, err_console, fail, open_store, parse_date, print_json, progress_bar

if TYPE_CHECKING:  # imported by the commands that need them, not to show --help
    from proscribe.screening.batch import BatchSummary
    from proscribe.screening.screener import Screener

#: the score from which hits are reported (``proscribe.screening.DEFAULT_THRESHOLD``), named here so
#: that ``--help`` does not import the matcher; tests/test_cli_imports.py checks that they agree
DEFAULT_THRESHOLD = 0.3


def _screener(as_of: date | None, quiet: bool) -> Screener:
    from proscribe.screening.screener import Screener

    store = open_store()
    try:
        # the first run after a list changes builds the index (some seconds); later runs load it
        with progress_bar("loading the screening index", quiet=quiet):
            return Screener.from_store(store, as_of=as_of)
    finally:
        store.close()


def _check_threshold(threshold: float, limit: int) -> None:
    if not 0.0 <= threshold <= 1.0:
        fail(f"--threshold is a score between 0 and 1, not {threshold}", code=2)
    if limit < 1:
        fail(f"--limit must be at least 1, not {limit}", code=2)


def screen(
    name: str = typer.Argument(..., help="The name to screen."),
    kind: str | None = typer.Option(
        None, "--type", help="person, organization, vessel or aircraft (default: any)."
    ),
    birth_date: str | None = typer.Option(None, "--birth-date", help="YYYY, YYYY-MM or YYYY-MM-DD."),
    country: str | None = typer.Option(None, "--country", help="A country name or code (Iran, ir, IRN)."),
    id_number: str | None = typer.Option(None, "--id-number", help="A passport, registration or IMO number."),
    as_of: str | None = typer.Option(None, "--as-of", help="Screen against the lists as of this date."),
    threshold: float = typer.Option(
        DEFAULT_THRESHOLD, "--threshold", help="Report hits scoring at least this."
    ),
    limit: int = typer.Option(10, "--limit", help="At most this many hits."),
    dataset: list[str] | None = typer.Option(None, "--dataset", help="Only this list (repeatable)."),
    program: list[str] | None = typer.Option(None, "--program", help="Only this program (repeatable)."),
    json_out: bool = typer.Option(False, "--json", help="Print the hits as JSON."),
) -> None:
    """Who on the lists may this be? Ranked hits with the reasons for each score."""
    from proscribe.labels import explanation
    from proscribe.matching.score import Query
    from proscribe.screening.batch import RowError, clean_birth_date, clean_country, clean_kind
    from proscribe.screening.filters import UnknownFilterError, check_filters

    _check_threshold(threshold, limit)
    if not name.strip():
        fail("the name is empty", code=2)
    try:
        query = Query(
            name=name.strip(),
            kind=clean_kind(kind),
            birth_date=clean_birth_date(birth_date),
            country=clean_country(country),
            id_number=(id_number or "").strip() or None,
        )
    except RowError as exc:
        fail(str(exc), code=2)
    screener = _screener(parse_date(as_of, "--as-of"), quiet=json_out)
    try:
        filters = check_filters(screener, dataset, program)
    except UnknownFilterError as exc:
        fail(str(exc), code=2)
    hits = screener.screen(
        query, threshold=threshold, limit=limit, datasets=filters.datasets, programs=filters.programs
    )
    if json_out:
        print_json([hit.to_dict() for hit in hits])
        return
    if not hits:
        console.print(f"no hits for {name!r} at threshold {threshold}", highlight=False)
        return
    # one table row a hit, and the reasons under it: the reasons are long and read best whole
    table = Table(title=f"{len(hits)} hit{'s' if len(hits) > 1 else ''} for {name!r}", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("listed as", overflow="fold")
    table.add_column("list and id", no_wrap=True)
    table.add_column("programs", overflow="fold")
    for rank, hit in enumerate(hits, 1):
        why = explanation(hit.explanation).replace("; ", "\n")
        table.add_row(
            str(rank),
            f"[bold]{hit.score:.2f}[/]",
            f"{escape(hit.caption)} [dim]({hit.schema})[/]\n[dim]{escape(why)}[/]",
            f"{hit.dataset}\n{hit.source_id}",
            ", ".join(hit.programs),
        )
    console.print(table)


def screen_file(
    input: Path = typer.Argument(
        ..., help="CSV (id,name[,type,birth_date,country,id_number]), JSON lines or Parquet."
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Where to write the hits (.csv, .jsonl or .parquet); see --format."
    ),
    threshold: float = typer.Option(
        DEFAULT_THRESHOLD, "--threshold", help="Report hits scoring at least this."
    ),
    limit: int = typer.Option(10, "--limit", help="At most this many hits per name."),
    workers: int | None = typer.Option(
        None, "--workers", help="Processes screening in parallel (default: one per core)."
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="Screen against the lists as of this date."),
    format: str | None = typer.Option(
        None,
        "--format",
        help="Output format: csv, jsonl or parquet (default: from --out's extension, else csv).",
    ),
    input_format: str | None = typer.Option(
        None, "--input-format", help="Input format: csv, jsonl or parquet (default: from the extension)."
    ),
    restart: bool = typer.Option(
        False, "--restart", "--overwrite", help="Start over, overwriting the output, instead of resuming."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    engine: str = typer.Option(
        "local",
        "--engine",
        help="local (this machine's processes) or spark (a Spark job; needs proscribe[spark]).",
    ),
    spark_master: str | None = typer.Option(
        None,
        "--spark-master",
        help="Spark engine: the master URL (default: spark-submit's, else local[N] with N = --workers).",
    ),
    partitions: int | None = typer.Option(
        None, "--partitions", help="Spark engine: partitions of the input (default: one per 10,000 rows)."
    ),
) -> None:
    """Screen every name in a file; one output row per hit. Interrupted? Run it again to resume.

    Rows that cannot be screened go to OUTPUT.errors.csv with their line number and the reason.

    Progress is saved after every chunk of rows in OUTPUT.state.json.

    With --engine spark the input may be a folder of files, OUTPUT is a folder (part files,
    _errors/, progress per partition) and a rerun skips the partitions already written.
    """
    from proscribe.screening import batch
    from proscribe.screening.batch import BatchError

    _check_threshold(threshold, limit)
    if workers is not None and workers < 1:
        fail(f"--workers must be at least 1, not {workers}", code=2)
    if engine not in ("local", "spark"):
        fail(f"--engine takes local or spark, not {engine!r}", code=2)
    if engine == "spark":
        _screen_file_spark(
            input, out, threshold, limit, workers, as_of, format, input_format, restart, json_out,
            spark_master, partitions,
        )  # fmt: skip
        return
    if spark_master is not None or partitions is not None:
        fail("--spark-master and --partitions are for --engine spark", code=2)
    for option, value in (("--format", format), ("--input-format", input_format)):
        if value is not None and value not in batch.FORMATS:
            fail(f"{option} takes one of {', '.join(batch.FORMATS)}, not {value!r}", code=2)
    try:
        in_fmt = input_format or batch.detect_format(input)
        batch.check_input(input, in_fmt)
    except BatchError as exc:
        fail(str(exc), code=2)
    screener = _screener(parse_date(as_of, "--as-of"), quiet=json_out)
    total = batch.count_rows(input, in_fmt)

    def say(message: str) -> None:
        err_console.print(message, highlight=False)

    with progress_bar(f"screening {input.name}", total=total, quiet=json_out) as advance:
        done = 0

        def progress(rows_done: int) -> None:
            nonlocal done
            advance(rows_done - done)
            done = rows_done

        try:
            summary = batch.screen_file(
                screener,
                input,
                out,
                threshold=threshold,
                limit=limit,
                input_format=in_fmt,
                output_format=format,
                workers=workers if workers is not None else os.cpu_count(),
                restart=restart,
                progress=progress,
                say=say,
            )
        except BatchError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            fail(f"interrupted after {done} rows; run the same command again to resume", code=130)
    processes = f"{summary.workers} process{'es' if summary.workers > 1 else ''}"
    _print_summary(summary, json_out, f"{summary.rows_per_second:.0f} names/s on {processes}", "", "")


def _screen_file_spark(
    input: Path,
    out: Path,
    threshold: float,
    limit: int,
    workers: int | None,
    as_of: str | None,
    format: str | None,
    input_format: str | None,
    restart: bool,
    json_out: bool,
    spark_master: str | None,
    partitions: int | None,
) -> None:
    """``screen-file --engine spark``: the same screening as a Spark job (proscribe.screening.spark)."""
    from proscribe.screening import batch, spark
    from proscribe.screening.batch import BatchError

    if partitions is not None and partitions < 1:
        fail(f"--partitions must be at least 1, not {partitions}", code=2)
    if format is not None and format not in spark.OUTPUT_FORMATS:
        fail(f"--format takes one of {', '.join(spark.OUTPUT_FORMATS)}, not {format!r}", code=2)
    if input_format is not None and input_format not in batch.FORMATS:
        fail(f"--input-format takes one of {', '.join(batch.FORMATS)}, not {input_format!r}", code=2)
    if out.suffix.lower() in (".csv", ".jsonl", ".ndjson") and format is None:
        format = "jsonl" if out.suffix.lower() != ".csv" else "csv"
    as_of_date = parse_date(as_of, "--as-of")
    master = spark_master
    if master is None and workers is not None and "PYSPARK_GATEWAY_PORT" not in os.environ:
        master = f"local[{workers}]"  # under spark-submit, its master stands

    def say(message: str) -> None:
        err_console.print(message, highlight=False)

    try:
        with progress_bar("starting Spark", quiet=json_out):
            session = spark.spark_session(master, app_name=f"proscribe screen-file {input.name}")
        screener = _screener(as_of_date, quiet=json_out)
        with progress_bar(f"screening {input.name} on Spark", quiet=json_out):
            summary = spark.screen_file_spark(
                session,
                screener,
                input,
                out,
                threshold=threshold,
                limit=limit,
                input_format=input_format,
                output_format=format,
                partitions=partitions,
                restart=restart,
                say=say,
            )
    except BatchError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted; run the same command again to resume (finished partitions are kept)", code=130)
    rate = f"{summary.rows_per_second:.{0 if summary.rows_per_second >= 10 else 2}f} names/s"
    _print_summary(summary, json_out, f"{rate} on {summary.workers} Spark cores", "/part-*", "/part-*.csv")


def _print_summary(
    summary: BatchSummary, json_out: bool, speed: str, hits_glob: str, errors_glob: str
) -> None:
    """A batch run's result, as JSON or in a line or three (nothing when it was already complete)."""
    if json_out:
        print_json(summary.to_dict())
        return
    if summary.already_complete:
        return
    resumed = f" (resumed after {summary.resumed_from} rows)" if summary.resumed_from else ""
    console.print(
        f"{summary.rows_read} rows{resumed}: {summary.screened} screened, {summary.errors} errors; "
        f"{summary.hits} hits for {summary.queries_with_hits} names; {speed}",
        highlight=False,
    )
    console.print(f"hits: {summary.output}{hits_glob}", highlight=False)
    if summary.errors:
        console.print(f"rows not screened: {summary.errors_file}{errors_glob}", highlight=False)
