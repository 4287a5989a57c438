"""Serve the development provider over real HTTP in a background thread (tests and ``python -m devidp``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from types import TracebackType
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from devidp.app import IdpSettings, create_idp_app


def base_url(host: str, port: int) -> str:
    """Return ``http://host:port``, bracketing an IPv6 address."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class IdpServer:
    """A real HTTP server running the provider; port 0 picks a free port and the issuer follows it.

    The socket is bound when the server is constructed, so the port is known (and held) before
    the app is built with its issuer; ``start`` then serves it in a daemon thread.
    """

    def __init__(
        self, settings: IdpSettings, *, host: str = "127.0.0.1", port: int = 0, issuer: str | None = None
    ) -> None:
        self.host = host
        self._thread: threading.Thread | None = None
        self._server: BaseWSGIServer = make_server(host, port, self._dispatch, threaded=True)
        self.port = int(self._server.server_port)
        self.settings = replace(settings, issuer=(issuer or base_url(host, self.port)).rstrip("/"))
        try:
            self.app: Flask = create_idp_app(self.settings)
        except BaseException:
            self._server.server_close()  # e.g. refused in production: do not leak the bound socket
            raise

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # Bound before the app exists (the app needs the port for its issuer); requests are only
        # served after start(), when it does.
        return self.app(environ, start_response)

    @property
    def url(self) -> str:
        """The issuer URL (also the base of every endpoint)."""
        return self.settings.issuer

    def start(self) -> IdpServer:
        """Start serving in a daemon thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, name="devidp", daemon=True)
            self._thread.start()
        return self

    def wait(self) -> None:
        """Block until the server stops (used by ``python -m devidp``)."""
        if self._thread is not None:
            self._thread.join()

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> IdpServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
