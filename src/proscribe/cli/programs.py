"""``proscribe programs``: the sanctions program registry."""

from __future__ import annotations

import dataclasses
from typing import Any

import typer
from rich.table import Table

from proscribe.cli.common import console, fail, print_json, words


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def programs(
    code: str | None = typer.Argument(None, help="A program code, e.g. ICC-EO14203."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """The programs in the registry, or one program in full with its designations and licenses."""
    from proscribe.registry import load_registry

    registry = load_registry()
    if code is None:
        if json_out:
            print_json([_plain(p) for p in registry.programs.values()])
            return
        table = Table(title="Sanctions programs")
        for col in ("code", "title", "in force", "designations"):
            table.add_column(col)
        for p in registry.programs.values():
            n = sum(1 for d in registry.designations if d.program == p.code)
            end = getattr(p, "end_date", None)
            span = f"{p.start_date} to {end}" if end else f"since {p.start_date}"
            table.add_row(p.code, p.title, span, str(n))
        console.print(table, markup=False)
        return
    if code not in registry.programs:
        fail(f"no program {code!r}; known: {', '.join(registry.programs)}")
    program = registry.programs[code]
    designations = [d for d in registry.designations if d.program == code]
    if json_out:
        print_json({"program": _plain(program), "designations": _plain(designations)})
        return
    data = _plain(program)
    table = Table(show_header=False, title=f"{code}: {program.title}")
    for key, value in data.items():
        if key in ("code", "title", "licenses"):
            continue
        # in words: a citation's fields labelled, yes/no, never a Python dict or list
        text = "\n".join(map(words, value)) if isinstance(value, list) else words(value)
        table.add_row(key.replace("_", " "), text)
    console.print(table, markup=False)
    lic = Table(title="Licenses")
    for col in ("number", "title", "issued", "expires"):
        lic.add_column(col)
    for item in data.get("licenses", []):
        lic.add_row(
            str(item.get("number")),
            str(item.get("title")),
            str(item.get("issued")),
            str(item.get("expires") or ""),
        )
    console.print(lic, markup=False)
    des = Table(title="Designations")
    for col in ("name", "role", "nationality", "designated", "delisted"):
        des.add_column(col)
    for d in designations:
        plain = _plain(d)
        des.add_row(
            str(plain.get("name")),
            str(plain.get("role") or ""),
            str(plain.get("nationality") or ""),
            str(plain.get("designated")),
            str(plain.get("delisted") or ""),
        )
    console.print(des, markup=False)
