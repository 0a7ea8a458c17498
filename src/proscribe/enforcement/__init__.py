"""Enforcement: what an institution must do once a designated person is found.

The Python API is a set of small modules; functions that change anything take an open SQLAlchemy
session and work inside the caller's transaction (each appends its own audit record in it)::

    from sqlalchemy.orm import Session
    from proscribe.store import Store
    from proscribe.enforcement import alerts, book, decisions, ledger, payments, reports, travel

    store = Store.open("sqlite:///bank.db")
    with Session(store.engine) as s, s.begin():
        book.import_book(s, parties=Path("parties.csv"), accounts=Path("accounts.csv"),
                         roles=Path("roles.csv"), ownership=Path("ownership.csv"), actor="onboarding")
    run = alerts.rescreen(store, mode="delta", actor="screening-job")        # opens alerts
    with Session(store.engine) as s, s.begin():
        d = decisions.decide(s, alert_id=run.alert_ids[0], outcome="true_match",
                             reason="same person", actor="alice")
    with Session(store.engine) as s, s.begin():
        decisions.approve(s, decision_id=d.id, actor="bob")   # blocks, freezes, reports due
    payments.screen_payments(store, Path("payments.fin"), actor="gateway")
    with Session(store.engine) as s:
        print(reports.due(s))

Modules: ``book`` (customers CSV), ``alerts`` (screening the book), ``decisions`` (four eyes),
``blocking`` and ``ownership`` (blocks, the 50 percent rule), ``ledger`` (blocked funds),
``payments`` (pacs.008 / MT103), ``travel`` (entry), ``reports`` and ``deadlines`` (what is owed to
the regulator, and when), ``licenses``, ``policy`` (jurisdiction), ``audit`` (the hash chain).
See docs/enforcement.md and examples/icc_bank/run.py.
"""
