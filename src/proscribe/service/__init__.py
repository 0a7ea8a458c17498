"""The HTTP service: a yente-compatible API, proscribe's own endpoints, sign-in, limits, metrics.

``create_app(ServiceConfig(...))`` builds the FastAPI app; ``proscribe serve`` runs it on Uvicorn.
"""

from __future__ import annotations

from proscribe.service.app import create_app
from proscribe.service.auth import Principal, Role, allow, public, route_table
from proscribe.service.config import ServiceConfig
from proscribe.service.runtime import Runtime

__all__ = ["Principal", "Role", "Runtime", "ServiceConfig", "allow", "create_app", "public", "route_table"]
