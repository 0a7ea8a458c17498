"""The analyst workspace: server-rendered pages over the enforcement layer, for a browser.

``router`` holds every page; ``create_app`` includes it. Pages read with the viewer role; forms
act with the role the JSON API asks for the same action (an analyst proposes, an approver
approves, an admin configures), each carrying the session's CSRF token. No page needs a
JavaScript build: forms post and the server redirects; charts are inline SVG.
"""

from __future__ import annotations

from fastapi import APIRouter

from proscribe.web import routes_admin, routes_cases, routes_desk, routes_money, routes_work

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
router.include_router(routes_cases.router)
router.include_router(routes_money.router)
router.include_router(routes_desk.router)
router.include_router(routes_work.router)
router.include_router(routes_admin.router)
