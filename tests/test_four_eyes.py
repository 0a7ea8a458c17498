"""Four eyes that cannot be defeated from the inside (issue 13 item 2).

The second person must be someone else in fact, not only in name: not the author under a key,
not someone whose credentials the author set recently (or who set the author's), and the review
cannot be dated before the decision it reviews. The rules are this tool's internal controls
(docs/security.md); the four-eyes principle itself is the institution's policy, not a rule of law.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import decisions
from proscribe.enforcement.alerts import rescreen
from proscribe.enforcement.book import import_book
from proscribe.enforcement.errors import FourEyesError
from proscribe.store import Store, users
from proscribe.store.casework import Alert

BOOK = Path(__file__).parent / "fixtures" / "book"
IN_2020 = datetime(2020, 10, 1, 14, 0, tzinfo=UTC)


@pytest.fixture()
def bank(registry_db_url: str, tmp_path: Path) -> Iterator[Store]:
    """The fixture book screened in 2020: alerts to decide on."""
    store = Store.open(registry_db_url)
    with Session(store.engine) as s, s.begin():
        import_book(
            s,
            parties=BOOK / "parties.csv",
            accounts=BOOK / "accounts.csv",
            roles=BOOK / "roles.csv",
            ownership=BOOK / "ownership.csv",
            actor="loader",
            at=datetime(2020, 9, 1, tzinfo=UTC),
        )
    rescreen(store, mode="full", actor="screening-job", at=IN_2020, cache_dir=tmp_path / "idx")
    with Session(store.engine) as s, s.begin():
        for name, role in (("ada", "admin"), ("ann", "analyst"), ("pat", "approver"), ("quinn", "approver")):
            users.create_user(s, name, role, actor="setup", password="a long enough password")
    yield store
    store.close()


def _decide(store: Store, actor: str, at: datetime | None = None) -> int:
    with Session(store.engine) as s, s.begin():
        alert = s.scalars(select(Alert).where(Alert.status == "open").order_by(Alert.id)).first()
        assert alert is not None
        return decisions.decide(
            s, alert_id=alert.id, outcome="false_positive", reason="other person", actor=actor, at=at
        ).id


def _approve(store: Store, decision_id: int, actor: str, at: datetime | None = None) -> None:
    with Session(store.engine) as s, s.begin():
        decisions.approve(s, decision_id=decision_id, actor=actor, at=at)


def test_a_review_cannot_be_dated_before_the_decision(bank: Store) -> None:
    """An approval (or a rejection) dated before the decision it reviews is refused."""
    decision = _decide(bank, "ann", at=IN_2020)
    with pytest.raises(FourEyesError, match="a review cannot be dated before it"):
        _approve(bank, decision, "pat", at=IN_2020 - timedelta(days=1))
    with pytest.raises(FourEyesError, match="cannot be dated before"), Session(bank.engine) as s, s.begin():
        decisions.reject(s, decision_id=decision, actor="pat", note="no", at=IN_2020 - timedelta(seconds=1))
    _approve(bank, decision, "pat", at=IN_2020)  # the same moment is not before


def test_the_author_under_a_key_is_still_the_author(bank: Store) -> None:
    decision = _decide(bank, "ann")
    with pytest.raises(FourEyesError, match="a second person"):
        _approve(bank, decision, "ann (key 1a2b3c4d)")


def test_an_admin_who_reset_a_password_is_not_the_second_person(bank: Store) -> None:
    """The attack: an admin resets an approver's password, signs in as them, approves their own
    decision. For 30 days after a reset the two cannot review each other's work, either way."""
    with Session(bank.engine) as s, s.begin():
        users.reset_password(s, "pat", actor="ada (key 0badc0de)")
    mine = _decide(bank, "ada")
    with pytest.raises(FourEyesError, match=r"pat and ada are not independent.*user\.reset_password"):
        _approve(bank, mine, "pat")
    with Session(bank.engine) as s, s.begin():  # someone independent sends it back: the alert reopens
        decisions.reject(s, decision_id=mine, actor="quinn", note="look again")
    # the other way round: the admin reviewing the work of the user whose password they reset
    theirs = _decide(bank, "pat")
    with pytest.raises(FourEyesError, match="ada and pat are not independent") as refused:
        _approve(bank, theirs, "ada")
    assert "for 30 days after that, another person must review it" in str(refused.value)
    # 30 days on, the reset no longer links them
    _approve(bank, theirs, "ada", at=datetime.now(UTC) + timedelta(days=31))


def test_an_admin_cannot_approve_with_an_account_they_made(bank: Store) -> None:
    with Session(bank.engine) as s, s.begin():
        users.create_user(s, "ada-two", "approver", actor="ada")
    decision = _decide(bank, "ada")
    with pytest.raises(FourEyesError, match=r"user\.create"):
        _approve(bank, decision, "ada-two")


def test_a_key_made_for_someone_else_links_them_and_ones_own_does_not(bank: Store) -> None:
    with Session(bank.engine) as s, s.begin():
        users.create_key(s, "quinn", actor="quinn")  # one's own key: no link to anyone
        users.create_key(s, "pat", actor="ada")  # a key made for pat by ada
    mine = _decide(bank, "ada")
    with pytest.raises(FourEyesError, match=r"key\.create"):
        _approve(bank, mine, "pat")
    _approve(bank, mine, "quinn")


def test_a_disabled_user_cannot_sign_in_nor_use_keys_nor_disable_themselves(bank: Store) -> None:
    with Session(bank.engine) as s, s.begin():
        _, key = users.create_key(s, "ann", actor="ann")
        token = users.start_session(s, "ann", lifetime=timedelta(hours=8))
        assert users.find_key(s, key) is not None
        with pytest.raises(Exception, match="cannot disable their own account"):
            users.set_disabled(s, "ada", True, actor="ada (key 0badc0de)")
        users.set_disabled(s, "ann", True, actor="ada")
    with Session(bank.engine) as s:
        assert users.find_key(s, key) is None
        assert users.authenticate(s, "ann", "a long enough password") is None
        assert not users.live_session(s, token, "ann")  # their sessions ended with it
    with Session(bank.engine) as s, pytest.raises(Exception, match="ann is disabled: enable the user first"):
        users.create_key(s, "ann", actor="ada")  # no new key for a disabled user either
