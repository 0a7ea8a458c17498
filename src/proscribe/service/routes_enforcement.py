"""Enforcement endpoints under ``/api``: customers, alerts, decisions, accounts, payments, travel, reports.

The routes live in modules by area, gathered here into the one router ``create_app`` registers:

- ``routes_casework``: customers (CSV import, list, show), ``/rescreen``, alerts, four-eyes
  decisions, blocks and their release;
- ``routes_money``: accounts and the blocked-property ledger, payment screening and the held queue;
- ``routes_oversight``: traveller checks and family, reports, the jurisdiction policy, the audit trail.

Each route declares who may call it with one dependency (``allow(Role.x)``): viewers read,
analysts screen and propose decisions, approvers approve or reject them and file reports, admins
configure. Each enforcement call appends its own audit record naming the person, in the same
transaction as the change; the service's middleware adds one record per mutating request.
A route without ``allow(...)`` or ``public()`` stops the app from starting; a new route appears
in ``route_table(app)`` and so in the authorization-matrix tests at once.
"""

from __future__ import annotations

from fastapi import APIRouter

from proscribe.service import routes_casework, routes_money, routes_oversight

#: the routes carry their whole path (no router prefix): the path a route object holds is then the
#: one clients call, which is what the middleware labels metrics and audit records with
router = APIRouter(tags=["enforcement"])
router.include_router(routes_casework.router)
router.include_router(routes_money.router)
router.include_router(routes_oversight.router)
