"""A server running in this process, on a free loopback port: for tests and benchmarks."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import httpx
import uvicorn

from proscribe.service.app import create_app
from proscribe.service.config import ServiceConfig
from proscribe.service.runtime import Runtime


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """Uvicorn in a thread; ``url`` once started; waits until the index is loaded."""

    def __init__(self, config: ServiceConfig) -> None:
        self.runtime = Runtime.open(config)
        self.app = create_app(runtime=self.runtime)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        )
        self._thread = threading.Thread(target=self._server.run, name="proscribe-live", daemon=True)

    def start(self, timeout: float = 300.0) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._thread.is_alive():
                raise RuntimeError("the server stopped while starting")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"the server at {self.url} was not ready within {timeout} s")

    def key(self, role: str, *, rate_limit: float | None = None) -> str:
        """An API key of a new user with ``role`` (the user is made once per role)."""
        from sqlalchemy.orm import Session

        from proscribe.store import users

        username = f"{role}-user"
        with Session(self.runtime.store.engine) as session, session.begin():
            try:
                users.get_user(session, username)
            except LookupError:
                users.create_user(session, username, role, actor="live-server", must_change_password=False)
            _, secret = users.create_key(session, username, actor="live-server", rate_limit=rate_limit)
        return secret

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self.runtime.store.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
