"""``proscribe lists``: import, update and inspect the sanctions lists."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from platformdirs import user_cache_dir
from rich.table import Table

from proscribe.cli import identity
from proscribe.cli.common import (
    console,
    err_console,
    fail,
    open_store,
    parse_date,
    print_json,
    progress_bar,
)

if TYPE_CHECKING:  # imported by the commands that need them, not to show --help
    from proscribe.enforcement.updates import AfterUpdate
    from proscribe.sources.namedates import NameDate
    from proscribe.store import ImportResult, Store
    from proscribe.store.replay import Step

app = typer.Typer(help="Import, update and inspect the sanctions lists.", no_args_is_help=True)

#: the list formats (``proscribe.sources.formats.FORMATS``) and the largest share of a list one import
#: may delist by default (``proscribe.store.DEFAULT_MAX_REMOVED_SHARE``), named here so that ``--help``
#: does not import the parsers and the store; tests/test_cli_imports.py checks that they agree
FORMATS = ("ofac-csv", "un-xml", "ftm", "eu-xml", "uk-csv")
DEFAULT_MAX_REMOVED_SHARE = 0.10


def _import(
    store: Store,
    path: Path,
    fmt: str | None,
    dataset: str | None,
    as_of: str | None,
    force: bool,
    max_removed: float,
    quiet: bool,
    name_date: NameDate | None = None,
) -> ImportResult:
    from proscribe.sources.formats import detect, read_list

    fmt = fmt or detect(path)
    with progress_bar(f"reading {path.name} ({fmt})", quiet=quiet) as advance:
        parsed = read_list(path, format=fmt, dataset=dataset, progress=advance)
    for warning in parsed.warnings:
        err_console.print(f"[yellow]warning:[/] {path}: {warning}", highlight=False)
    with progress_bar(f"storing {parsed.dataset}", total=len(parsed.records), quiet=quiet) as advance:
        return store.apply(
            parsed,
            as_of=parse_date(as_of, "--as-of"),
            force=force,
            max_removed_share=max_removed,
            progress=advance,
            name_date=name_date,
        )


def _say(result: ImportResult) -> None:
    if result.corrected_from is not None:
        console.print(
            f"{result.dataset}: the file is unchanged; version {result.version} re-dated from "
            f"{result.corrected_from} to {result.as_of}"
        )
    elif result.unchanged:
        console.print(f"{result.dataset}: unchanged (version {result.version} of {result.as_of} is in force)")
    else:
        console.print(
            f"{result.dataset}: version {result.version} as of {result.as_of}: {result.records} listings "
            f"(+{result.added} added, {result.changed} changed, -{result.removed} delisted)"
        )


@app.command("import")
def import_(
    path: Path = typer.Argument(..., help="A list file, or the folder holding the OFAC CSV files."),
    format: str | None = typer.Option(
        None, "--format", "-f", help=f"One of: {', '.join(FORMATS)}. Detected when omitted."
    ),
    dataset: str | None = typer.Option(None, help="Dataset name (default: the format's usual one)."),
    as_of: str | None = typer.Option(
        None, help="The publisher's date (YYYY-MM-DD) for files that carry none."
    ),
    force: bool = typer.Option(False, help="Accept an import that delists more than the allowed share."),
    max_removed: float = typer.Option(
        DEFAULT_MAX_REMOVED_SHARE, help="Largest share of a list one import may delist."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Import a list file as a new version of its dataset (atomic: all or nothing)."""
    from proscribe.sources.base import ListFormatError
    from proscribe.store import ImportRefused

    if format is not None and format not in FORMATS:
        fail(f"unknown format {format!r}; use one of: {', '.join(FORMATS)}", code=2)
    store = open_store()
    try:
        result = _import(store, path, format, dataset, as_of, force, max_removed, quiet=json_out)
    except (ListFormatError, ImportRefused) as exc:
        fail(f"{exc}\nnothing was imported; the version in force is unchanged")
    if json_out:
        print_json(result.to_dict())
    else:
        _say(result)


@app.command()
def update(
    mirror: Path | None = typer.Option(
        None, help="Read the lists from this local folder instead of downloading."
    ),
    fallback: Path | None = typer.Option(
        None, help="When a download fails, read the lists from this folder."
    ),
    timeout: float = typer.Option(30.0, help="Seconds to wait on each publisher."),
    force: bool = typer.Option(False, help="Accept imports that delist more than the allowed share."),
    rescreen: bool = typer.Option(
        True,
        "--rescreen/--no-rescreen",
        help="When a list changed, screen the book at once against what changed (a delta run).",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Fetch the official lists from their publishers (or a mirror folder), import what changed, and
    re-screen the book against the listings added or changed (alerts), and the removed ones (release
    requests for their blocks)."""
    from proscribe.sources.base import ListFormatError
    from proscribe.sources.namedates import date_in_name
    from proscribe.sources.publishers import PUBLICATIONS, DownloadFailed, download, find_in_mirror
    from proscribe.store import ImportRefused

    store = open_store()
    results: list[dict[str, object]] = []
    imported: list[ImportResult] = []
    failures = 0
    sources: list[tuple[Path, str]] = []
    if mirror is None:
        cache = Path(user_cache_dir("proscribe")) / "downloads"
        for pub in PUBLICATIONS:
            try:
                with progress_bar(f"downloading {pub.title}", quiet=json_out):
                    sources.append((download(pub, cache, timeout=timeout), pub.format))
            except DownloadFailed as exc:
                err_console.print(f"[yellow]download failed:[/] {exc}", highlight=False)
                failures += 1
        if failures and fallback is not None:
            err_console.print(f"reading the lists from {fallback} instead", highlight=False)
            mirror = fallback
            failures = 0
    if mirror is not None:
        try:
            sources = list(find_in_mirror(mirror))
        except ListFormatError as exc:
            fail(str(exc))
        if not sources:
            fail(f"no list files proscribe can read in {mirror}")
    for path, fmt in sources:
        try:
            named = date_in_name(path, mirror) if mirror is not None else None
            result = _import(
                store,
                path,
                fmt,
                None,
                None,
                force,
                DEFAULT_MAX_REMOVED_SHARE,
                quiet=json_out,
                name_date=named,
            )
            imported.append(result)
            results.append(result.to_dict())
            if not json_out:
                _say(result)
        except (ListFormatError, ImportRefused) as exc:
            failures += 1
            err_console.print(f"[red]refused:[/] {exc}; the version in force is unchanged", highlight=False)
            results.append({"source": str(path), "error": str(exc)})
    after = _rescreen_after(store, imported, at=None, quiet=json_out) if rescreen else None
    if json_out:
        print_json({"imports": results, "rescreen": after.to_dict() if after else None})
    elif after is not None:
        console.print(after.line(), highlight=False)
    if failures:
        raise typer.Exit(1)


def _rescreen_after(
    store: Store, imported: list[ImportResult], *, at: datetime | None, quiet: bool
) -> AfterUpdate:
    """The delta re-screen of the book after the imports (none if no list changed)."""
    from proscribe.enforcement.updates import rescreen_after

    if all(r.unchanged for r in imported):
        return rescreen_after(store, imported, actor=identity.of_store(store, identity.automated), at=at)
    with progress_bar("re-screening the book", quiet=quiet) as advance:
        done = [0]

        def tick(i: int, total: int) -> None:
            advance(i - done[0])
            done[0] = i

        return rescreen_after(
            store, imported, actor=identity.of_store(store, identity.automated), at=at, progress=tick
        )


@app.command()
def status(json_out: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Each dataset: the version in force, its as-of date and counts by entity type."""
    rows = open_store().status()
    if json_out:
        print_json([r.to_dict() for r in rows])
        return
    table = Table(title="Lists in force")
    table.add_column("dataset", no_wrap=True)
    table.add_column("version", justify="right")
    table.add_column("as of", no_wrap=True)
    table.add_column("listings", justify="right")
    table.add_column("by type", min_width=20)
    table.add_column("last change", no_wrap=True)
    for r in rows:
        as_of = r.date_label + ("" if r.as_of_stated else "*")
        by_type = ", ".join(f"{k} {v}" for k, v in sorted(r.counts.items(), key=lambda kv: -kv[1]))
        change = f"+{r.added} ~{r.changed} -{r.removed}"
        table.add_row(r.dataset, str(r.version), as_of, str(r.records), by_type, change)
    console.print(table, markup=False)
    for r in rows:
        if r.as_of_stated:
            continue
        if r.as_of_month:
            why = (
                f"its folder's name gives the month {r.as_of_month} only; it is stored as of "
                f"{r.as_of.isoformat()}, the month's last day"
            )
        else:
            why = f"it was imported on {r.imported_at[:10]}, which stands in"
        console.print(
            f"* {r.dataset}: the file carried no date; {why}: give its date with "
            "`lists import PATH --as-of YYYY-MM-DD`",
            highlight=False,
        )


@app.command()
def export(
    out: Path = typer.Argument(..., help="Where to write the FollowTheMoney JSON lines ('-' for stdout)."),
    dataset: str | None = typer.Option(None, help="Only this dataset (default: every list in force)."),
) -> None:
    """Export the listings in force as FollowTheMoney JSON lines (loads into proscribe and FtM tools)."""
    import sys

    from proscribe.sources.ftm_json import write

    records = open_store().records(dataset)
    if str(out) == "-":
        write(records, sys.stdout)
        return
    with open(out, "w", encoding="utf-8") as fh:
        n = write(records, fh)
    err_console.print(f"wrote {n} entities of {len(records)} listings to {out}", highlight=False)


def _say_step(step: Step) -> None:
    v = step.version
    when = v.published.strftime("%Y-%m-%d %H:%M") if v.published and v.timed else (v.as_of or "no date")
    r = step.result
    if step.refused is not None:
        err_console.print(
            f"[red]refused:[/] {step.refused}; the version in force is unchanged", highlight=False
        )
    elif r is not None and r.unchanged:
        console.print(f"{when}  {v.name}: unchanged (version {r.version} stays in force)", highlight=False)
    elif r is not None:
        console.print(
            f"{when}  {v.name}: version {r.version}: {r.records} listings "
            f"(+{r.added} added, {r.changed} changed, -{r.removed} removed)",
            highlight=False,
        )


@app.command()
def replay(
    paths: list[Path] = typer.Argument(
        ..., help="The versions of one list: a folder, an archive (.tar.gz, .tar.xz, .zip) or several files."
    ),
    dataset: str = typer.Option("ofac", help="The list replayed: ofac (us_ofac_sdn) or a dataset name."),
    as_of: str | None = typer.Option(
        None, help="The date (YYYY-MM-DD) of versions with none (no index.csv entry, no date in the name)."
    ),
    max_removed: float = typer.Option(
        DEFAULT_MAX_REMOVED_SHARE, help="Largest share of the list one version may delist."
    ),
    rescreen: bool = typer.Option(
        False,
        "--rescreen",
        help="After each new version, screen the book against what it changed, as of its publication time.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print each version's result as JSON."),
) -> None:
    """Import a list's successive versions in publication order, each as of its publication time.

    The time comes from an index.csv beside the files (or in the archive), else the file's name,
    else --as-of. A version that cannot be read or is refused is named and skipped; the exit code
    is 1 if any was. With --rescreen the book is screened after each new version (a delta run
    dated by the version's publication): alerts open on the day their listing appeared.
    """
    from proscribe.sources.base import ListFormatError
    from proscribe.sources.history import discover
    from proscribe.store.replay import dataset_name
    from proscribe.store.replay import replay as run_replay

    day = parse_date(as_of, "--as-of")
    try:
        versions = discover(paths, day)
    except ListFormatError as exc:
        fail(str(exc))
    store = open_store()
    rescreens: list[dict[str, object]] = []
    with progress_bar(f"replaying {len(versions)} versions", total=len(versions), quiet=json_out) as advance:

        def on_step(step: Step) -> None:
            if not json_out:
                _say_step(step)
            if rescreen and step.result is not None and not step.result.unchanged:
                when = step.version.published
                after = _rescreen_after(store, [step.result], at=when, quiet=True)
                rescreens.append(after.to_dict() | {"file": step.version.name})
                if not json_out:
                    console.print(f"  {after.line()}", highlight=False)
            advance(1)

        try:
            report = run_replay(
                store, versions, dataset=dataset_name(dataset), max_removed_share=max_removed, on_step=on_step
            )
        except ListFormatError as exc:  # the archive itself is unreadable
            fail(str(exc))
    if json_out:
        runs = {str(r["file"]): r for r in rescreens}
        print_json(
            [
                s.to_dict() | ({"rescreen": runs[s.version.name]} if s.version.name in runs else {})
                for s in report.steps
            ]
        )
    else:
        in_force = {s.dataset: s for s in store.status()}.get(dataset_name(dataset))
        console.print(
            f"replayed {len(report.steps)} versions in {report.seconds:.1f} s: "
            f"{len(report.imported)} imported, "
            f"{len(report.unchanged)} unchanged, {len(report.refused)} refused"
            + (f" ({', '.join(s.version.name for s in report.refused)})" if report.refused else "")
            + (
                f"; {in_force.records} listings in force, version {in_force.version} of {in_force.as_of}"
                if in_force
                else ""
            ),
            highlight=False,
        )
    if report.refused:
        raise typer.Exit(1)


@app.command()
def history(
    dataset: str = typer.Argument(..., help="The list (us_ofac_sdn, un_sc_sanctions, ...)."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Every version of a list: its number, date, and what it added, changed and removed."""
    from proscribe.store import NotFound
    from proscribe.store.replay import dataset_name

    try:
        rows = open_store().history(dataset_name(dataset))
    except NotFound as exc:
        fail(str(exc))
    if json_out:
        print_json(rows)
        return
    table = Table(title=f"Versions of {dataset_name(dataset)}")
    for col, justify in (
        ("version", "right"),
        ("as of", "left"),
        ("published", "left"),
        ("listings", "right"),
        ("added", "right"),
        ("changed", "right"),
        ("removed", "right"),
        ("source", "left"),
    ):
        table.add_column(col, justify=justify, no_wrap=col != "source")  # type: ignore[arg-type]
    for r in rows:
        table.add_row(
            str(r["version"]),
            r["as_of"]
            if r["date_known"]
            else f"date unknown ({r['as_of_month']})"
            if r["as_of_month"]
            else f"date unknown (imported {r['imported_at'][:10]})",
            (r["published_at"] or "")[:16].replace("T", " "),
            str(r["records"]),
            str(r["added"]),
            str(r["changed"]),
            str(r["removed"]),
            r["source"],
        )
    console.print(table, markup=False)


@app.command()
def diff(
    dataset: str = typer.Argument(..., help="The list (us_ofac_sdn, un_sc_sanctions, ...)."),
    a: int = typer.Argument(..., help="The earlier version's number (see 'proscribe lists history')."),
    b: int = typer.Argument(..., help="The later version's number."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """What changed in a list between two versions: listings added, removed, and changed (with fields)."""
    from proscribe.store import NotFound
    from proscribe.store.replay import dataset_name

    try:
        d = open_store().diff(dataset_name(dataset), a, b)
    except NotFound as exc:
        fail(str(exc))
    if json_out:
        print_json(d.to_dict())
        return
    console.print(
        f"{d.dataset}: version {a} ({d.a['as_of']}) to version {b} ({d.b['as_of']}): "
        f"{len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed",
        highlight=False,
    )
    for item in d.added:
        console.print(f"+ {item['source_id']}  {item['caption']}", highlight=False, soft_wrap=True)
    for item in d.removed:
        console.print(f"- {item['source_id']}  {item['caption']}", highlight=False, soft_wrap=True)
    from proscribe.labels import field_label

    for item in d.changed:
        fields = dict.fromkeys(field_label(f) for f in item["fields"])  # "Sanction: Program ID"
        console.print(
            f"~ {item['source_id']}  {item['caption']}: {', '.join(fields)}",
            highlight=False,
            soft_wrap=True,
        )
