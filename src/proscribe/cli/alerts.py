"""``proscribe rescreen`` and ``proscribe alerts``: screening the book, and deciding under four eyes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from proscribe.cli import identity
from proscribe.cli.common import (
    console,
    effect_lines,
    fail,
    open_store,
    parse_when,
    print_json,
    progress_bar,
)
from proscribe.enforcement.errors import EnforcementError

if TYPE_CHECKING:  # the store and the enforcement code are imported by the commands that use them
    from proscribe.enforcement import alerts as alerts_mod
    from proscribe.store.casework import Alert, Decision

app = typer.Typer(help="Alerts: possible matches in the book, and decisions.", no_args_is_help=True)

AT = typer.Option(
    None,
    "--at",
    help="Backfill: when it happened (YYYY-MM-DD or ISO time with offset); admins, with --backfill.",
)
BACKFILL = typer.Option(None, "--backfill", help="Why this is recorded at --at rather than now.")
SCREEN_AT = typer.Option(
    None, "--at", help="The time the run is dated (YYYY-MM-DD or ISO time with offset; default now)."
)
JSON = typer.Option(False, "--json", help="Print as JSON.")


def _word(value: str) -> str:
    """A status or an action as words: ``true_match`` as ``true match``."""
    return value.replace("_", " ")


def rescreen(
    full: bool = typer.Option(False, "--full", help="Screen every party against every listing."),
    delta: bool = typer.Option(True, "--delta/--no-delta", help="Only listings changed since the last run."),
    party: list[str] = typer.Option([], "--party", help="Screen only these parties (repeatable)."),
    at: str | None = SCREEN_AT,
    as_json: bool = JSON,
    engine: str = typer.Option(
        "local", "--engine", help="local (this process) or spark (a Spark job; needs proscribe[spark])."
    ),
    spark_master: str | None = typer.Option(
        None, "--spark-master", help="Spark engine: the master URL (default: spark-submit's, else local[*])."
    ),
    partitions: int | None = typer.Option(
        None, "--partitions", help="Spark engine: partitions of the book (default: one per 20,000 parties)."
    ),
    batch_size: int = typer.Option(
        5000, "--batch-size", help="Spark engine: alerts opened per committed transaction."
    ),
    work_dir: str | None = typer.Option(
        None, "--work-dir", help="Spark engine: a folder every executor reads (default: a temporary one)."
    ),
) -> None:
    """Screen the book against the lists and open alerts for possible matches.

    With --engine spark the parties are screened on a Spark cluster (or local[*]) and the alerts
    are opened on this machine in batches of --batch-size, each batch one transaction."""

    from proscribe.enforcement import alerts as alerts_mod

    store = open_store()
    mode = "full" if full or not delta else "delta"
    if engine not in ("local", "spark"):
        fail(f"--engine takes local or spark, not {engine!r}", code=2)
    if engine == "spark":
        _rescreen_spark(store, mode, party, at, as_json, spark_master, partitions, batch_size, work_dir)
        return
    if spark_master is not None or partitions is not None or work_dir is not None:
        fail("--spark-master, --partitions and --work-dir are for --engine spark", code=2)
    try:
        with progress_bar("screening the book", quiet=as_json) as advance:
            done = [0]

            def tick(i: int, total: int) -> None:
                advance(i - done[0])
                done[0] = i

            result = alerts_mod.rescreen(
                store,
                mode=mode,
                actor=identity.of_store(store, identity.automated),
                at=parse_when(at, "--at"),
                parties=party or None,
                progress=tick,
            )
    except EnforcementError as exc:
        fail(str(exc), code=2)
    _print_run(result, as_json)


def _rescreen_spark(
    store: Any,
    mode: str,
    party: list[str],
    at: str | None,
    as_json: bool,
    spark_master: str | None,
    partitions: int | None,
    batch_size: int,
    work_dir: str | None,
) -> None:
    """``rescreen --engine spark`` (proscribe.enforcement.spark_rescreen)."""
    from pathlib import Path

    from proscribe.cli.common import err_console
    from proscribe.enforcement.spark_rescreen import rescreen_spark
    from proscribe.screening import spark
    from proscribe.screening.batch import BatchError

    def say(message: str) -> None:
        if not as_json:
            err_console.print(message, highlight=False)

    try:
        session = spark.spark_session(spark_master, app_name="proscribe rescreen")
        result = rescreen_spark(
            session,
            store,
            mode=mode,
            actor=identity.of_store(store, identity.automated),
            at=parse_when(at, "--at"),
            parties=party or None,
            partitions=partitions,
            batch_size=batch_size,
            work_dir=Path(work_dir) if work_dir else None,
            say=say,
        )
    except (EnforcementError, BatchError) as exc:
        fail(str(exc), code=2)
    _print_run(result, as_json)


def _print_run(result: alerts_mod.RunResult, as_json: bool) -> None:
    if as_json:
        print_json(result.to_dict())
        return
    console.print(f"run {result.run_id} ({result.mode}, as of {result.as_of}): {result.note}")
    console.print(
        f"{result.parties_screened} parties screened, {result.alerts_opened} alerts opened, "
        f"{result.suppressed} already decided and unchanged, {result.closed} closed (listing ended)"
    )


def _alert_dict(a: Alert, decs: list[Decision] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": a.id,
        "kind": a.kind,
        "status": a.status,
        "party": a.party_id,
        "entity": a.entity_id,
        "dataset": a.dataset,
        "score": a.score,
        "matched_name": a.matched_name,
        "explanation": a.explanation,
        "opened_at": a.opened_at.isoformat(),
        "evidence": a.evidence,
    }
    if decs is not None:
        out["decisions"] = [_decision_dict(d) for d in decs]
    return out


def _decision_dict(d: Decision) -> dict[str, Any]:
    return {
        "id": d.id,
        "action": d.action,
        "subject": f"{d.subject_type}:{d.subject_id}",
        "status": d.status,
        "reason": d.reason,
        "decided_by": d.decided_by,
        "decided_at": d.decided_at.isoformat(),
        "reviewed_by": d.reviewed_by,
        "reviewed_at": d.reviewed_at.isoformat() if d.reviewed_at else None,
        "review_note": d.review_note,
        "params": d.params,
    }


@app.command("list")
def list_alerts(
    status: str | None = typer.Option(None, "--status", help="open|pending|true_match|false_positive|closed"),
    as_json: bool = JSON,
) -> None:
    """The alert queue."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from proscribe.store.casework import Alert

    store = open_store()
    with Session(store.engine) as s:
        q = select(Alert).order_by(Alert.id)
        if status:
            from proscribe.enforcement import alerts as alerts_mod

            known = (*alerts_mod.OPEN_STATUSES, *alerts_mod.DECIDED_STATUSES, "closed")
            if status not in known:  # an unknown status would match nothing, silently
                fail(f"no alert status {status!r} (statuses: {', '.join(known)})", code=2)
            q = q.where(Alert.status == status)
        rows = list(s.scalars(q))
        if as_json:
            print_json([_alert_dict(a) for a in rows])
            return
        table = Table(title=f"{len(rows)} alerts")
        for col in ("id", "status", "kind", "party", "listed entity", "score", "matched name"):
            table.add_column(col)
        for a in rows:
            table.add_row(
                str(a.id),
                _word(a.status),
                a.kind,
                escape(a.party_id),
                escape(a.entity_id),
                f"{a.score:.3f}",
                escape(a.matched_name or ""),
            )
        console.print(table)


@app.command("show")
def show(alert_id: int, as_json: bool = JSON) -> None:
    """One alert: the party, the listing, the explanation and the decisions taken."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from proscribe.store.casework import Alert, Decision

    store = open_store()
    with Session(store.engine) as s:
        alert = s.get(Alert, alert_id)
        if alert is None:
            fail(f"no alert {alert_id}")
        decs = list(
            s.scalars(
                select(Decision)
                .where(Decision.subject_type == "alert", Decision.subject_id == str(alert_id))
                .order_by(Decision.id)
            )
        )
        data = _alert_dict(alert, decs)
    if as_json:
        print_json(data)
        return
    from proscribe.labels import explanation

    console.print(
        f"[bold]alert {alert_id}[/] ({data['kind']}, {_word(data['status'])}): "
        f"{escape(data['party'])} ~ {escape(data['entity'])}",
        highlight=False,
    )
    # the explanation's token list is in brackets (``[fatou=fatou]``): text, not Rich markup
    console.print(explanation(data["explanation"]), highlight=False, markup=False)
    for d in data["decisions"]:
        console.print(
            f"decision {d['id']}: {_word(d['action'])} by {d['decided_by']} ({d['status']}"
            + (f" by {d['reviewed_by']}" if d["reviewed_by"] else ", waiting for a second person")
            + f"): {d['reason']}",
            highlight=False,
            markup=False,
        )


def _run(
    action: str,
    fn: Any,
    as_json: bool,
    *,
    role: str,
    doing: str,
    at: str | None,
    backfill: str | None,
) -> None:
    """``fn(session, actor, at)`` as the identified person with ``role``, at now or a backfilled time."""
    from sqlalchemy.orm import Session

    store = open_store()
    try:
        with Session(store.engine) as s, s.begin():
            who = identity.person(s, role, doing)
            when = identity.backfill(s, parse_when(at, "--at"), backfill, doing)
            decision = fn(s, who, when)
            if when is not None and backfill:
                identity.record_backfill(s, who, f"decision:{decision.id}", when, backfill)
            data = _decision_dict(decision)
    except EnforcementError as exc:
        fail(str(exc), code=2)
    if as_json:
        print_json(data)
    else:
        console.print(f"decision {data['id']} ({data['action']} on {data['subject']}): {action}")
        effect = data["params"].get("effect")
        for line in effect_lines(effect or {}):
            console.print(f"  {line}", highlight=False, markup=False)


@app.command("decide")
def decide(
    alert_id: int,
    outcome: str = typer.Argument(
        ..., help="true_match | false_positive (release | keep on a delisted alert)"
    ),
    reason: str = typer.Option(..., "--reason", help="Why: recorded with the decision."),
    at: str | None = AT,
    backfill: str | None = BACKFILL,
    as_json: bool = JSON,
) -> None:
    """Propose a decision on an alert; a second person approves it."""
    from proscribe.enforcement import decisions

    _run(
        "waiting for a second person's approval",
        lambda s, who, when: decisions.decide(
            s, alert_id=alert_id, outcome=outcome, reason=reason, actor=who, at=when
        ),
        as_json,
        role="analyst",
        doing="deciding an alert",
        at=at,
        backfill=backfill,
    )


@app.command("approve")
def approve(
    decision_id: int,
    note: str | None = typer.Option(None, "--note"),
    at: str | None = AT,
    backfill: str | None = BACKFILL,
    as_json: bool = JSON,
) -> None:
    """Approve someone else's decision; it takes effect now."""
    from proscribe.enforcement import decisions

    _run(
        "approved and carried out",
        lambda s, who, when: decisions.approve(s, decision_id=decision_id, actor=who, note=note, at=when),
        as_json,
        role="approver",
        doing="approving a decision",
        at=at,
        backfill=backfill,
    )


@app.command("reject")
def reject(
    decision_id: int,
    note: str = typer.Option(..., "--note", help="Why the decision is sent back."),
    at: str | None = AT,
    backfill: str | None = BACKFILL,
    as_json: bool = JSON,
) -> None:
    """Send someone else's decision back; the alert opens again."""
    from proscribe.enforcement import decisions

    _run(
        "rejected; the alert is open again",
        lambda s, who, when: decisions.reject(s, decision_id=decision_id, actor=who, note=note, at=when),
        as_json,
        role="approver",
        doing="rejecting a decision",
        at=at,
        backfill=backfill,
    )


@app.command("pending")
def pending(as_json: bool = JSON) -> None:
    """Decisions waiting for a second person."""
    from sqlalchemy.orm import Session

    from proscribe.enforcement import decisions

    store = open_store()
    with Session(store.engine) as s:
        rows = [_decision_dict(d) for d in decisions.pending(s)]
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} decisions waiting for approval")
    for col in ("id", "action", "subject", "decided by", "when", "reason"):
        table.add_column(col)
    for d in rows:
        table.add_row(
            str(d["id"]),
            _word(d["action"]),
            escape(d["subject"]),
            d["decided_by"],
            d["decided_at"][:16],
            escape(d["reason"]),
        )
    console.print(table)
