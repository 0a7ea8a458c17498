"""Screening the book: every party against the lists, possible matches opened as alerts.

A *full* run screens every party against every listing in force. A *delta* run (the daily job)
screens every party against only the listings added or changed since the previous run, and screens
parties whose own data changed since then against everything; it says what it did in the run's
note. A delta's parties are screened against an index of the changed listings alone (built in a
moment: a daily update changes tens of listings, not thousands), so a delta costs what those
listings cost, not what the whole list does. A listing's score does not depend on which other
listings are in the index (a word's weight is the fixed rarity table's), so a delta finds what a
full run would for those listings, with the same scores (``tests/test_updates.py`` checks it on
real data).

A (party, listing) pair that has been decided is not raised again unless the listed record has
changed (its checksum differs) or the party's data has; an open or pending alert is never
duplicated. When a listing a blocked party is blocked under is no longer in force (a delisting or a
revoked program), a ``delisted`` alert asks for the release, which needs four eyes like any other
decision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from proscribe.enforcement import audit, party_index
from proscribe.enforcement.clock import aware
from proscribe.enforcement.errors import EnforcementError
from proscribe.enforcement.policy import load_policy
from proscribe.matching.index import Index
from proscribe.matching.score import Query
from proscribe.screening import Screener
from proscribe.screening.screener import Hit
from proscribe.store import Store
from proscribe.store.book import Party
from proscribe.store.casework import Alert, Block, ScreeningRun
from proscribe.store.schema import Event

__all__ = ["MODES", "RunResult", "close_ended", "party_queries", "rescreen"]

MODES = ("full", "delta")
OPEN_STATUSES = ("open", "pending")
DECIDED_STATUSES = ("true_match", "false_positive")


@dataclass
class RunResult:
    run_id: int
    mode: str
    as_of: date
    parties_screened: int
    listings_screened: int
    alerts_opened: int
    suppressed: int
    closed: int
    note: str
    alert_ids: list[int] = field(default_factory=list)
    #: in a delta by the book's party keys, the parties whose keys reach the changed listings (the
    #: only ones screened against them); None when every party was
    parties_reached: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items()}


def party_queries(party: Party) -> list[Query]:
    """One query per name the party goes by, carrying its identifying data as evidence."""
    names = [party.name, *[a for a in (party.aliases or []) if a and a != party.name]]
    return [
        Query(
            name=n,
            kind=party.kind,
            birth_date=party.birth_date,
            country=party.nationality or party.country,
            id_number=party.id_number,
            gender=party.gender,
            id=party.id,
        )
        for n in names
    ]


def _changed_by_imports(session: Session, since_key: str) -> set[str]:
    """Entity ids listed, changed or delisted by list versions imported after ``since_key``."""
    seen: dict[str, int] = {}
    for part in since_key.split(","):
        if ":" in part:
            ds, _, vid = part.rpartition(":")
            seen[ds] = int(vid)
    out: set[str] = set()
    q = select(Event.dataset, Event.entity_id, Event.version_id)
    if seen:
        q = q.where(Event.version_id > min(seen.values()))
    for row in session.execute(q):
        if int(row.version_id) > seen.get(str(row.dataset), 0):
            out.add(str(row.entity_id))
    return out


#: a run whose time lies further than this before its end was dated in the past (a replay, a
#: screening as of an earlier day): it read the book when it ran, not at the time it is dated
BACKDATED = timedelta(days=1)


def _book_read_at(run: ScreeningRun) -> datetime:
    """When ``run`` read the book: parties changed since are screened against everything."""
    if run.finished_at is not None and run.finished_at - run.started_at > BACKDATED:
        return run.finished_at
    return run.started_at


def _changed_screener(store: Store, as_of: date, changed: set[str]) -> Screener:
    """A screener over the listings in ``changed`` alone, as they stand on ``as_of``."""
    return Screener(Index.build(store.designated_among(changed, as_of)))


def _screen_party(screener: Screener, party: Party, threshold: float) -> dict[str, Hit]:
    """The best hit per listed entity over all the party's names."""
    best: dict[str, Hit] = {}
    for q in party_queries(party):
        for hit in screener.screen(q, threshold=threshold, limit=20):
            if hit.entity_id not in best or hit.score > best[hit.entity_id].score:
                best[hit.entity_id] = hit
    return best


def rescreen(
    store: Store,
    *,
    mode: str = "delta",
    actor: str,
    at: datetime | None = None,
    parties: Iterable[str] | None = None,
    screener: Screener | None = None,
    cache_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    by_keys: bool = True,
) -> RunResult:
    """Screen the book (or the named parties) and open alerts, in one transaction.

    ``by_keys``: in a delta, screen against the changed listings only the parties whose keys reach
    them (``party_index``); the others could have no hit. False screens every party (the same
    alerts, at the cost of every party's normalisation and lookups)."""
    if mode not in MODES:
        raise EnforcementError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    at = aware(at)
    as_of = at.date()
    full_screener = screener

    def everything() -> Screener:
        nonlocal full_screener
        if full_screener is None:
            full_screener = Screener.from_store(store, as_of=as_of, cache_dir=cache_dir)
        return full_screener

    now_map = store.designated_checksums(as_of)
    with Session(store.engine) as session, session.begin():
        policy = load_policy(session)
        last = session.scalars(
            select(ScreeningRun).where(ScreeningRun.finished_at.is_not(None)).order_by(ScreeningRun.id.desc())
        ).first()
        wanted = sorted(set(parties)) if parties is not None else None
        changed: set[str] | None = None  # None: screen against everything
        fresh: set[str] = set()
        ended: set[str] = set()
        if mode == "delta" and last is not None:
            changed, ended = delta_changes(session, store, last, now_map)
            fresh = fresh_parties(session, _book_read_at(last), wanted)
        changed_only = _changed_screener(store, as_of, changed) if changed else None
        reaching: set[str] | None = None  # None: every party may reach the changed listings
        if changed is not None and by_keys:
            # a delta by the book's keys: only the new or changed parties, and those whose keys
            # reach the changed listings, are read and screened
            reaching = set()
            if changed_only is not None:
                party_index.refresh(session, wanted)
                reaching = party_index.parties_reaching(session, changed_only.index)
                if wanted is not None:
                    reaching &= set(wanted)
            total = _count_parties(session, wanted)
            book = _load_parties(session, sorted(fresh | reaching))
        else:
            q = select(Party).order_by(Party.id)
            if wanted is not None:
                q = q.where(Party.id.in_(wanted))
            book = list(session.scalars(q))
            total = len(book)
        note = run_note(mode, last, changed, ended, total, len(fresh), len(now_map))
        run = ScreeningRun(
            mode=mode,
            as_of=as_of,
            started_at=at,
            actor=actor,
            version_key=store.version_key(),
            since_version_key=last.version_key if last is not None and mode == "delta" else None,
            note=note,
        )
        session.add(run)
        session.flush()

        existing = existing_alerts(session)

        opened: list[Alert] = []
        suppressed = 0
        threshold = policy.alert_threshold
        for i, party in enumerate(book, 1):
            against_all = changed is None or party.id in fresh
            if not against_all and reaching is not None and party.id not in reaching:
                pass  # no key of the party reaches the changed listings: no hit is possible
            elif against_all or changed:
                use = everything() if against_all or changed_only is None else changed_only
                hits = _screen_party(use, party, threshold)
                suppressed += open_alerts_for(
                    session, run, party, hits, against_all, changed, now_map, existing, opened, at
                )
            if progress is not None:
                progress(i, len(book))

        # listings no longer in force: close their open match alerts, ask to release their blocks
        gone = ended if changed is not None else None
        in_book: Callable[[str], bool] = (lambda pid: True) if wanted is None else set(wanted).__contains__
        closed = close_ended(session, run, now_map, gone, at, opened, existing, in_book)
        finish_run(run, total, now_map, changed, opened)
        audit_run(session, run, mode, note, opened, suppressed, closed, at)
        return RunResult(
            run_id=run.id,
            mode=mode,
            as_of=as_of,
            parties_screened=run.parties_screened,
            listings_screened=run.listings_screened,
            alerts_opened=len(opened),
            suppressed=suppressed,
            closed=closed,
            note=note,
            alert_ids=[a.id for a in opened],
            parties_reached=None if reaching is None else len(reaching),
        )


def fresh_parties(session: Session, since: datetime, parties: Iterable[str] | None = None) -> set[str]:
    """The parties (of the book, or among ``parties``) added or changed after ``since``."""
    query = select(Party.id).where(Party.updated_at > since)
    if parties is not None:
        query = query.where(Party.id.in_(sorted(set(parties))))
    return set(session.scalars(query))


def _count_parties(session: Session, parties: list[str] | None) -> int:
    query = select(func.count()).select_from(Party)
    if parties is not None:
        query = query.where(Party.id.in_(parties))
    return int(session.scalar(query) or 0)


def _load_parties(session: Session, ids: list[str]) -> list[Party]:
    """These parties, in id order (``ids`` sorted)."""
    out: list[Party] = []
    for i in range(0, len(ids), 500):
        out += session.scalars(select(Party).where(Party.id.in_(ids[i : i + 500])).order_by(Party.id))
    return out


def delta_changes(
    session: Session, store: Store, last: ScreeningRun, now_map: dict[str, tuple[str, str, str]]
) -> tuple[set[str], set[str]]:
    """The listings added or changed since ``last`` (in force now), and those ended since."""
    prev_map = store.designated_checksums(last.as_of)
    # what the dates changed (designations starting or ending between the runs)...
    changed = {eid for eid, v in now_map.items() if prev_map.get(eid) != v}
    ended = set(prev_map) - set(now_map)
    # ...and what list files imported since the last run changed, even on the same day
    for eid in _changed_by_imports(session, last.version_key):
        if eid in now_map:
            changed.add(eid)
        else:
            ended.add(eid)
    return changed, ended


def run_note(
    mode: str,
    last: ScreeningRun | None,
    changed: set[str] | None,
    ended: set[str],
    parties: int,
    fresh: int,
    listings: int,
) -> str:
    """What a run screens, in a sentence (the run's note)."""
    if mode == "delta" and last is not None and changed is not None:
        return (
            f"delta since run {last.id} (as of {last.as_of}): {len(changed)} listings added or "
            f"changed, {len(ended)} ended; {parties - fresh} parties screened against the "
            f"changed listings, {fresh} new or changed parties against all {listings}"
        )
    if mode == "delta":
        return f"no earlier run: a full screen of {parties} parties against {listings} listings"
    return f"full screen of {parties} parties against {listings} listings"


def open_alerts_for(
    session: Session,
    run: ScreeningRun,
    party: Party,
    hits: dict[str, Hit],
    against_all: bool,
    changed: set[str] | None,
    now_map: dict[str, tuple[str, str, str]],
    existing: dict[tuple[str, str], list[Alert]],
    opened: list[Alert],
    at: datetime,
) -> int:
    """Open the alerts ``hits`` call for (best first), as every engine does; the hits suppressed.

    A pair with an open or pending alert is not raised again; a decided pair is raised again only
    when the listed record or the party's data changed since the decision."""
    suppressed = 0
    for eid, hit in sorted(hits.items(), key=lambda kv: -kv[1].score):
        if not against_all and changed is not None and eid not in changed:
            continue
        listed = now_map.get(eid)
        if listed is None:  # the index and the store disagree only if a list changed mid-run
            continue
        history = existing.get((party.id, eid), [])
        if any(a.status in OPEN_STATUSES for a in history):
            continue
        decided = [a for a in history if a.status in DECIDED_STATUSES]
        last_decided = decided[-1] if decided else None
        if (
            last_decided is not None
            and last_decided.record_checksum == listed[2]
            and last_decided.party_checksum == party.checksum
        ):
            suppressed += 1
            continue
        alert = _open_alert(session, run, party, hit, listed[2], at, last_decided)
        existing.setdefault((party.id, eid), []).append(alert)
        opened.append(alert)
    return suppressed


def existing_alerts(session: Session) -> dict[tuple[str, str], list[Alert]]:
    """Every alert, by (party, listed entity), oldest first."""
    existing: dict[tuple[str, str], list[Alert]] = {}
    for alert in session.scalars(select(Alert).order_by(Alert.id)):
        existing.setdefault((alert.party_id, alert.entity_id), []).append(alert)
    return existing


def finish_run(
    run: ScreeningRun,
    parties: int,
    now_map: dict[str, tuple[str, str, str]],
    changed: set[str] | None,
    opened: list[Alert],
) -> None:
    run.parties_screened = parties
    run.listings_screened = len(now_map) if changed is None else len(changed)
    run.alerts_opened = len(opened)
    run.finished_at = aware(None)


def audit_run(
    session: Session,
    run: ScreeningRun,
    mode: str,
    note: str,
    opened: list[Alert],
    suppressed: int,
    closed: int,
    at: datetime,
) -> None:
    audit.append(
        session,
        actor=run.actor,
        action="screening.run",
        subject=f"run:{run.id}",
        data={
            "mode": mode,
            "as_of": run.as_of.isoformat(),
            "version_key": run.version_key,
            "note": note,
            "alerts_opened": [a.id for a in opened],
            "suppressed": suppressed,
            "closed": closed,
        },
        at=at,
    )


def _open_alert(
    session: Session,
    run: ScreeningRun,
    party: Party,
    hit: Hit,
    record_checksum: str,
    at: datetime,
    previous: Alert | None,
) -> Alert:
    evidence: dict[str, Any] = {
        "hit": hit.to_dict(),
        "programs": hit.programs,
        "version_key": run.version_key,
        "as_of": run.as_of.isoformat(),
        "party": {
            "name": party.name,
            "aliases": party.aliases,
            "kind": party.kind,
            "birth_date": party.birth_date,
            "nationality": party.nationality,
            "country": party.country,
            "id_number": party.id_number,
        },
    }
    if previous is not None:
        evidence["previous"] = {
            "alert": previous.id,
            "status": previous.status,
            "why_again": "the listed record changed"
            if previous.record_checksum != record_checksum
            else "the party's data changed",
        }
    alert = Alert(
        party_id=party.id,
        entity_id=hit.entity_id,
        dataset=hit.dataset,
        source_id=hit.source_id,
        kind="match",
        record_checksum=record_checksum,
        party_checksum=party.checksum,
        score=hit.score,
        matched_name=hit.matched_name,
        explanation=hit.explanation,
        evidence=evidence,
        status="open",
        run_id=run.id,
        opened_at=at,
        updated_at=at,
    )
    session.add(alert)
    session.flush()
    audit.append(
        session,
        actor=run.actor,
        action="alert.open",
        subject=f"alert:{alert.id}",
        data={"party": party.id, "entity": hit.entity_id, "score": hit.score, "run": run.id},
        at=at,
    )
    return alert


def close_ended(
    session: Session,
    run: ScreeningRun,
    now_map: dict[str, tuple[str, str, str]],
    ended: set[str] | None,
    at: datetime,
    opened: list[Alert],
    existing: dict[tuple[str, str], list[Alert]],
    in_book: Callable[[str], bool],
) -> int:
    """Close open match alerts on listings no longer in force; open ``delisted`` alerts for blocks
    (of the parties ``in_book`` says were screened)."""
    closed = 0
    query = select(Alert).where(Alert.status == "open", Alert.kind == "match").with_for_update()
    for alert in session.scalars(query).all():
        if (
            in_book(alert.party_id)
            and alert.entity_id not in now_map
            and (ended is None or alert.entity_id in ended)
        ):
            alert.status = "closed"
            alert.updated_at = at
            alert.evidence = {**alert.evidence, "closed": f"listing no longer in force as of {run.as_of}"}
            closed += 1
            audit.append(
                session,
                actor=run.actor,
                action="alert.close",
                subject=f"alert:{alert.id}",
                data={"run": run.id, "why": alert.evidence["closed"]},
                at=at,
            )
    blocks = session.scalars(
        select(Block).where(
            Block.released_at.is_(None), Block.basis == "listing", Block.entity_id.is_not(None)
        )
    )
    for block in blocks:
        eid = block.entity_id or ""
        if eid in now_map or not in_book(block.party_id):
            continue
        history = existing.get((block.party_id, eid), [])
        if any(a.kind == "delisted" and a.status in OPEN_STATUSES for a in history):
            continue
        alert = Alert(
            party_id=block.party_id,
            entity_id=eid,
            dataset=block.dataset or "",
            source_id=eid,
            kind="delisted",
            record_checksum="",
            party_checksum="",
            score=0.0,
            matched_name=None,
            explanation=f"{eid} is no longer designated as of {run.as_of}: block {block.id} can be released",
            evidence={"block": block.id, "as_of": run.as_of.isoformat(), "version_key": run.version_key},
            status="open",
            run_id=run.id,
            opened_at=at,
            updated_at=at,
        )
        session.add(alert)
        session.flush()
        existing.setdefault((block.party_id, eid), []).append(alert)
        opened.append(alert)
        audit.append(
            session,
            actor=run.actor,
            action="alert.open",
            subject=f"alert:{alert.id}",
            data={"party": block.party_id, "entity": eid, "kind": "delisted", "block": block.id},
            at=at,
        )
    return closed


def counts(session: Session) -> dict[str, int]:
    """Alerts by status."""
    rows = session.execute(select(Alert.status, func.count()).group_by(Alert.status))
    return {str(r[0]): int(r[1]) for r in rows}
