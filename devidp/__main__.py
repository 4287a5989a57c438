"""``python -m devidp``: run the development OIDC provider (refuses production mode).

Every option can also come from the environment: ``HAMKKE_DEVIDP_HOST``, ``HAMKKE_DEVIDP_PORT``,
``HAMKKE_DEVIDP_ISSUER``, ``HAMKKE_DEVIDP_CLIENT_ID``, ``HAMKKE_DEVIDP_CLIENT_SECRET``, and the
repeatable ``HAMKKE_DEVIDP_REDIRECT_URI`` / ``HAMKKE_DEVIDP_POST_LOGOUT_REDIRECT_URI`` (several URIs
separated by spaces). Options on the command line win over the environment.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from collections.abc import Mapping
from urllib.parse import urlsplit

from devidp.app import PRODUCTION_REFUSAL, IdpClient, IdpSettings, is_production
from devidp.server import IdpServer

DEFAULT_CLIENT_ID = "hamkke-dev"
DEFAULT_CLIENT_SECRET = "hamkke-dev-secret"  # noqa: S105 -- development provider only
DEFAULT_REDIRECT_URI = "http://127.0.0.1:5000/auth/callback"
DEFAULT_POST_LOGOUT_REDIRECT_URI = "http://127.0.0.1:5000/"


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    """Return the option parser, with defaults taken from ``HAMKKE_DEVIDP_*`` in ``env``."""
    parser = argparse.ArgumentParser(
        prog="python -m devidp", description="함께 개발용 OIDC 인증 서버 / Hamkke development OIDC provider"
    )
    parser.add_argument("--host", default=env.get("HAMKKE_DEVIDP_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env.get("HAMKKE_DEVIDP_PORT", "5001")))
    parser.add_argument(
        "--issuer",
        default=env.get("HAMKKE_DEVIDP_ISSUER") or None,
        help="public issuer URL if it differs from http://HOST:PORT (e.g. when bound to 0.0.0.0)",
    )
    parser.add_argument("--client-id", default=env.get("HAMKKE_DEVIDP_CLIENT_ID", DEFAULT_CLIENT_ID))
    parser.add_argument(
        "--client-secret", default=env.get("HAMKKE_DEVIDP_CLIENT_SECRET", DEFAULT_CLIENT_SECRET)
    )
    # No list default: argparse would append the command line's URIs to it instead of replacing it.
    parser.add_argument("--redirect-uri", action="append", dest="redirect_uris")
    parser.add_argument("--post-logout-redirect-uri", action="append", dest="post_logout_redirect_uris")
    return parser


def settings_from(argv: list[str] | None, env: Mapping[str, str]) -> tuple[argparse.Namespace, IdpSettings]:
    """Parse the options and return them with the provider settings they describe."""
    args = build_parser(env).parse_args(argv)
    redirect_uris = args.redirect_uris or env.get("HAMKKE_DEVIDP_REDIRECT_URI", "").split()
    logout_uris = (
        args.post_logout_redirect_uris or env.get("HAMKKE_DEVIDP_POST_LOGOUT_REDIRECT_URI", "").split()
    )
    client = IdpClient(
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uris=tuple(redirect_uris or [DEFAULT_REDIRECT_URI]),
        post_logout_redirect_uris=tuple(logout_uris or [DEFAULT_POST_LOGOUT_REDIRECT_URI]),
    )
    # IdpServer replaces the issuer with the bound URL unless --issuer gives one.
    return args, IdpSettings(issuer=args.issuer or "", clients=(client,))


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    """Parse the options, start the provider and serve until interrupted."""
    env = os.environ
    if is_production(env):
        print(PRODUCTION_REFUSAL, file=sys.stderr)
        return 2
    args, settings = settings_from(argv, env)
    issuer = args.issuer or f"http://{args.host}:{args.port}"
    if issuer.startswith("http://") and not _is_loopback(issuer):
        # Authlib accepts plain HTTP only on loopback. This process is nothing but the development
        # provider, so allowing it here cannot weaken another app's checks.
        os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
    server = IdpServer(settings, host=args.host, port=args.port, issuer=args.issuer)
    server.start()
    print(f"개발용 인증 서버 / development provider: {server.url}", flush=True)
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
