"""Rendering the workspace's pages: the Jinja2 templates, the layout's context, messages, errors.

Every page is rendered on the server from ``web/templates`` (autoescaped), with what the layout
needs: who is signed in, the CSRF token for its forms, the messages left by the last action,
and the decisions waiting for a second person (each page says what is pending whose approval).

``PageRoute`` makes refusals readable in a browser: a 403, 404 or 409 raised while a page or a
form is handled (by the role check, the CSRF check or the handler) is shown as a page with the
reason, keeping its status code; API clients asking for JSON still get JSON. A 401 is left to
the app, which sends a browser to the sign-in page.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path, PurePath
from typing import Any

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from followthemoney import model
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe import __version__
from proscribe.enforcement.ledger import minor_unit
from proscribe.labels import countries, country_name, explanation, prop_label, say, say_field
from proscribe.service.auth import Principal, Role
from proscribe.store.casework import Decision
from proscribe.web.csrf import csrf_token

TEMPLATES = Path(__file__).parent / "templates"
FLASH_KEY = "flash"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.do"],
)


def money(amount: Decimal | str | None, currency: str = "") -> str:
    """``EUR 8,300.50``: grouped, to the currency's minor unit (Decimal throughout)."""
    if amount is None:
        return ""
    value = Decimal(amount)
    places = minor_unit(currency) if currency else 2
    text = f"{value:,.{places}f}"
    return f"{currency} {text}".strip()


def when(value: datetime | date | str | None) -> str:
    """A datetime as ``2026-11-26 14:05 UTC``; a date as ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def same_person(actor: str | None, username: str) -> bool:
    """Whether an actor recorded on a decision is this user (signed in, or through one of their keys).

    The audit trail names a key's caller ``alice (key prs_1a2b)``: the four-eyes rule must see
    that as alice too, or she could decide with a key and approve in the browser.
    """
    if not actor:
        return False
    return actor == username or actor.startswith(f"{username} (key ")


def percent(rate: Decimal) -> str:
    """An annual rate as ``4%`` or ``2.25%`` (Decimal, trailing zeros dropped)."""
    text = f"{Decimal(rate) * 100:f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def source_file(source: str | None) -> str:
    """Where a party came from, as a person needs it: the file's name, never the server's folders."""
    if not source:
        return "source not recorded"
    name = PurePath(source.replace("\\", "/")).name
    return f"imported from {name}" if name != source or source.endswith(".csv") else f"source: {source}"


#: a party's role on an account (book.ROLES), as the customer page names it
ACCOUNT_ROLES = {
    "holder": "Holder",
    "joint_holder": "Joint holder",
    "beneficial_owner": "Beneficial owner",
    "director": "Director",
    "signatory": "Signatory",
    "power_of_attorney": "Power of attorney",
}


def account_role(role: str) -> str:
    """``beneficial_owner`` -> ``Beneficial owner``."""
    return ACCOUNT_ROLES.get(role, role.replace("_", " ").capitalize())


def share(value: Decimal | str | None) -> str:
    """A share as written: 35, not the column's 35.0000."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


def schema_label(schema: str) -> str:
    """A FollowTheMoney schema by the model's label (``LegalEntity`` as ``Legal entity``)."""
    found = model.get(schema)
    return str(found.label) if found is not None else schema


env.filters["money"] = money
env.filters["account_role"] = account_role
env.filters["country"] = country_name
env.filters["countries"] = countries
env.filters["say"] = say
env.filters["explain"] = explanation
#: ``{{ value|say_field(key) }}``: a named value in words (a country field by name)
env.filters["say_field"] = lambda value, key: say_field(str(key), value)
env.filters["share"] = share
env.filters["source"] = source_file
env.filters["schema_label"] = schema_label
env.filters["prop_label"] = prop_label
env.filters["percent"] = percent
env.filters["when"] = when
env.globals["version"] = __version__
env.globals["same_person"] = same_person
env.globals["Role"] = Role


@dataclass(frozen=True)
class Pending:
    """The decisions waiting for a second person, as the signed-in user sees them."""

    total: int
    mine: int  # decided by this user: someone else must approve
    for_me: int  # this user may approve or reject them

    @property
    def others(self) -> int:
        return self.total - self.mine


def pending_for(session: Session, who: Principal) -> Pending:
    deciders = list(session.scalars(select(Decision.decided_by).where(Decision.status == "pending")))
    mine = sum(1 for d in deciders if same_person(d, who.username))
    for_me = len(deciders) - mine if who.role >= Role.approver else 0
    return Pending(total=len(deciders), mine=mine, for_me=for_me)


def flash(request: Request, text: str, kind: str = "ok") -> None:
    """A message for the next page this browser shows (after a redirect)."""
    messages = list(request.session.get(FLASH_KEY, []))
    messages.append({"text": text, "kind": kind})
    request.session[FLASH_KEY] = messages[-5:]


def render(
    request: Request,
    template: str,
    who: Principal | None,
    session: Session | None = None,
    *,
    status_code: int = 200,
    error: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page in the layout; ``error`` is shown at the top (role=alert)."""
    messages = list(request.session.pop(FLASH_KEY, [])) if "session" in request.scope else []
    if error:
        messages.append({"text": error, "kind": "error"})
    pending = pending_for(session, who) if session is not None and who is not None else None
    html = env.get_template(template).render(
        request=request,
        who=who,
        path=request.url.path,
        csrf=csrf_token(request) if "session" in request.scope else "",
        messages=messages,
        pending=pending,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    """After a form: see the result with a GET (a reload does not post again)."""
    return RedirectResponse(url, status_code=303)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept or (request.method == "POST" and "application/json" not in accept)


#: paths whose answers are JSON for every client (the API, yente's endpoints, the probes)
API_PREFIXES = (
    "/api/",
    "/match",
    "/search",
    "/entities",
    "/catalog",
    "/algorithms",
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/updatez",
    "/statement",
)


def page_for_error(request: Request, code: int, detail: str) -> HTMLResponse | None:
    """An unknown address (404) or a refused method (405) asked for by a browser, outside the
    API's paths, as a page; ``None`` for anything else (the API's JSON answer stands)."""
    path = request.url.path
    if (
        code not in (404, 405)
        or path.startswith(API_PREFIXES)
        or "text/html" not in request.headers.get("accept", "")
    ):
        return None
    text = f"there is no page at {path}" if code == 404 else f"{path} does not answer {request.method}"
    return render(request, "error.html", None, status_code=code, detail=text, code=code)


def invalid_input(exc: RequestValidationError) -> str:
    """What of an address was not valid, in a line: ``alert id 'abc': not a whole number``."""
    parts = []
    for error in exc.errors():
        name = str((error.get("loc") or ("value",))[-1]).replace("_", " ")
        given = error.get("input")
        what = {"int_parsing": "not a whole number", "bool_parsing": "not yes or no (true or false)"}.get(
            str(error.get("type")), str(error.get("msg", "not valid")).lower()
        )
        parts.append(f"{name} {given!r}: {what}" if isinstance(given, str) else f"{name}: {what}")
    return "; ".join(parts) or "the address is not valid"


def _error_page(request: Request, code: int, detail: str) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    who = principal if isinstance(principal, Principal) else None
    return render(
        request,
        "error.html",
        who,
        status_code=code,
        detail=detail,
        code=code,
        password_change=bool(who and who.must_change_password),
    )


class PageRoute(APIRoute):
    """An APIRoute whose refusals (403, 404, 409, 400) are pages for a browser."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except HTTPException as exc:
                if exc.status_code in (401, 429) or not _wants_html(request):
                    raise
                return _error_page(request, exc.status_code, str(exc.detail))
            except RequestValidationError as exc:  # /ui/alerts/abc: a page, not FastAPI's JSON
                if not _wants_html(request):
                    raise
                return _error_page(request, 422, invalid_input(exc))

        return handler
