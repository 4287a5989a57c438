"""Serve the development provider on loopback in a background thread (tests and `hamkke up`)."""

from __future__ import annotations

import socket
import threading
from dataclasses import replace

from werkzeug.serving import BaseWSGIServer, make_server

from devidp.app import IdpSettings, create_idp_app


class IdpServer:
    """A real HTTP server running the provider; port 0 picks a free port and the issuer follows it."""

    def __init__(self, settings: IdpSettings, *, host: str = "127.0.0.1", port: int = 0) -> None:
        if port == 0:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind((host, 0))
                port = int(sock.getsockname()[1])
        self.host = host
        self.port = port
        self.settings = replace(settings, issuer=f"http://{host}:{port}")
        self.app = create_idp_app(self.settings)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The issuer URL (also the base of every endpoint)."""
        return self.settings.issuer

    def start(self) -> IdpServer:
        """Start serving in a daemon thread."""
        self._server = make_server(self.host, self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="devidp", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
