"""The FastAPI application: routers, guards, sessions, limits, docs behind sign-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from proscribe import __version__
from proscribe.service import routes_api, routes_enforcement, routes_session, routes_yente
from proscribe.service.auth import SESSION_SECONDS, Role, allow, check_guarded
from proscribe.service.config import ServiceConfig
from proscribe.service.logs import configure as configure_logs
from proscribe.service.middleware import DOCS_CSP, ServiceMiddleware
from proscribe.service.runtime import Runtime
from proscribe.web import router as web_router
from proscribe.web.pages import page_for_error

#: Swagger UI's and ReDoc's scripts and stylesheets (fastapi-offline's copies)
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"

DESCRIPTION = """Sanctions screening and enforcement. The `/match`, `/search`, `/entities`, `/catalog`
and `/algorithms` endpoints answer as yente does, so yente's clients work unchanged.
Every endpoint but `/healthz`, `/readyz` and `/login` needs an API key
(`Authorization: ApiKey <key>`) or a signed-in session."""


class Problem(BaseModel):
    """Why a request was refused."""

    detail: str


class Unprocessable(BaseModel):
    """A request whose values cannot be used: one line saying why (a name longer than screened,
    an unknown list), or, for a body of the wrong shape, FastAPI's list of what is wrong where."""

    detail: str | list[dict[str, Any]]


#: the refusals any endpoint may give, documented on every one (the contract test checks them)
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "description": text}
    for code, text in (
        (400, "The request cannot be answered as asked"),
        (401, "Not signed in: no API key or session"),
        (403, "Signed in, but the role does not allow this"),
        (404, "No such thing"),
        (409, "Refused in the current state"),
        (413, "The request body is too large"),
        (429, "Too many requests; wait as Retry-After says"),
        (503, "The screening index is loading"),
    )
}
# JSON on every route (pages included: a body of the wrong shape is answered by FastAPI in JSON)
ERRORS[422] = {
    "description": "The request's values cannot be used",
    "content": {"application/json": {"schema": Unprocessable.model_json_schema()}},
}


def create_app(config: ServiceConfig | None = None, runtime: Runtime | None = None) -> FastAPI:
    """The app for ``runtime`` (made from ``config`` when not given; the store is opened now)."""
    runtime = runtime or Runtime.open(config or ServiceConfig.from_env())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.start()
        try:
            yield
        finally:
            runtime.stop()

    app = FastAPI(
        title="proscribe",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        responses=ERRORS,
    )
    app.state.runtime = runtime
    app.include_router(routes_yente.router)
    app.include_router(routes_api.router)
    app.include_router(web_router)  # the workspace's pages; before routes_session so that / is the dashboard
    app.include_router(routes_session.router)
    app.include_router(routes_enforcement.router)

    @app.get("/openapi.json", include_in_schema=False, dependencies=[allow(Role.viewer)])
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    # Swagger UI and ReDoc from the files the fastapi-offline package ships (MIT), served here:
    # the documentation works without the internet and loads nothing from anyone else
    app.mount("/static/docs", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False, dependencies=[allow(Role.viewer)])
    async def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="proscribe API",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="/static/docs/favicon.png",
        )
        page.headers["content-security-policy"] = DOCS_CSP
        return page

    @app.get("/redoc", include_in_schema=False, dependencies=[allow(Role.viewer)])
    async def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url="/openapi.json",
            title="proscribe API",
            redoc_js_url="/static/docs/redoc.standalone.js",
            redoc_favicon_url="/static/docs/favicon.png",
            with_google_fonts=False,
        )
        page.headers["content-security-policy"] = DOCS_CSP
        return page

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # a browser that is not signed in is sent to the sign-in page rather than shown JSON
        if (
            exc.status_code == 401
            and request.method == "GET"
            and "text/html" in request.headers.get("accept", "")
        ):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        # an unknown address typed in a browser: a page saying so (an API path answers JSON)
        page = page_for_error(request, exc.status_code, str(exc.detail))
        if page is not None:
            return page
        return await http_exception_handler(request, exc)

    check_guarded(app)
    app.add_middleware(
        SessionMiddleware,
        secret_key=runtime.secret_key,
        session_cookie="proscribe_session",
        max_age=SESSION_SECONDS,
        same_site="lax",
        https_only=runtime.config.secure_cookies,
    )
    app.add_middleware(ServiceMiddleware, runtime=runtime)
    # outermost: the client's address from X-Forwarded-For only when the connection comes from a
    # proxy named in the settings (servers run with uvicorn's own proxy handling off)
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(runtime.config.trusted_proxies))
    return app


def app_from_env() -> FastAPI:
    """The app of one worker of ``proscribe serve --workers N``: settings from ``PROSCRIBE_*``
    (the command sets them from its options before starting the workers), JSON logs."""
    config = ServiceConfig.from_env()
    configure_logs(config.log_level)
    return create_app(config)
