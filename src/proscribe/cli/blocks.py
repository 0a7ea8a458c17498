"""``proscribe blocks``: who is blocked, why, and releasing a block under four eyes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from proscribe.cli import identity
from proscribe.cli.alerts import AT, BACKFILL
from proscribe.cli.common import console, fail, open_store, parse_when, print_json
from proscribe.enforcement.errors import EnforcementError

if TYPE_CHECKING:  # imported by the commands that need them, not to show --help
    from proscribe.store.casework import Block

app = typer.Typer(
    help="Blocked parties: listed persons and what the 50 percent rule reaches.", no_args_is_help=True
)


def _block_dict(b: Block) -> dict[str, Any]:
    return {
        "id": b.id,
        "party": b.party_id,
        "basis": b.basis,
        "entity": b.entity_id,
        "dataset": b.dataset,
        "programs": b.programs,
        "explanation": b.explanation,
        "chain": b.chain,
        "blocked_at": b.blocked_at.isoformat(),
        "blocked_by": b.blocked_by,
        "released_at": b.released_at.isoformat() if b.released_at else None,
        "release_kind": b.release_kind,
        "release_reason": b.release_reason,
    }


@app.command("list")
def list_blocks(
    all_: bool = typer.Option(False, "--all", help="Include released blocks."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Blocks in force (or all of them, with their releases)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from proscribe.store.casework import Block

    store = open_store()
    with Session(store.engine) as s:
        q = select(Block).order_by(Block.id)
        if not all_:
            q = q.where(Block.released_at.is_(None))
        rows = [_block_dict(b) for b in s.scalars(q)]
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} blocks")
    for col in ("id", "party", "basis", "listing", "programs", "since", "released"):
        table.add_column(col)
    for b in rows:
        table.add_row(
            str(b["id"]),
            b["party"],
            b["basis"],
            b["entity"] or "",
            ", ".join(b["programs"]),
            b["blocked_at"][:10],
            f"{b['released_at'][:10]} ({b['release_kind'].replace('_', ' ')})" if b["released_at"] else "",
        )
    console.print(table, markup=False)
    for b in rows:
        if b["basis"] == "ownership":
            console.print(f"block {b['id']}: {b['explanation']}", highlight=False, markup=False)


@app.command("release")
def release(
    block_id: int,
    kind: str = typer.Option(..., "--kind", help="license | compliance_release | delisting"),
    reason: str = typer.Option(..., "--reason"),
    license: str | None = typer.Option(None, "--license", help="The licence (or OFAC's 501.806 answer)."),
    at: str | None = AT,
    backfill: str | None = BACKFILL,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Propose releasing a block; a second person approves it with proscribe alerts approve."""

    from sqlalchemy.orm import Session

    from proscribe.enforcement import decisions

    store = open_store()
    try:
        with Session(store.engine) as s, s.begin():
            who = identity.person(s, "analyst", "releasing a block")
            when = identity.backfill(s, parse_when(at, "--at"), backfill, "releasing a block")
            d = decisions.request_release(
                s, block_id=block_id, kind=kind, reason=reason, actor=who, authority=license, at=when
            )
            if when is not None and backfill:
                identity.record_backfill(s, who, f"decision:{d.id}", when, backfill)
            data = {"decision": d.id, "status": d.status, "block": block_id, "kind": kind}
    except EnforcementError as exc:
        fail(str(exc), code=2)
    if as_json:
        print_json(data)
    else:
        console.print(f"decision {data['decision']}: release of block {block_id} waits for a second person")
