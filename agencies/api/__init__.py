"""The agency side of the API: the directory endpoints, their shapes and the API clients' credentials.

The framework (registry, OAuth2 server, OpenAPI) lives in ``hamkke.api``; `register_endpoints`
declares this domain's part of it from ``agencies.init_app``.
"""

from __future__ import annotations


def register_endpoints() -> None:
    """Declare the directory routes and hand the OAuth2 server the API clients' credential store."""
    # function-level: importing these declares operations on the API registry (routes here, the token
    # endpoints in hamkke.api.oauth2); that belongs to init_app, not to every `import agencies.<module>`.
    from agencies.api import clients, routes  # noqa: F401 -- importing declares the routes
    from hamkke.api.oauth2 import use_credential_store

    use_credential_store(clients.STORE)
