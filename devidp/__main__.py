"""``python -m devidp``: run the development OIDC provider (refuses production mode)."""

from __future__ import annotations

import argparse
import os
import sys

from devidp.app import IdpClient, IdpSettings
from devidp.server import IdpServer


def main(argv: list[str] | None = None) -> int:
    """Parse the options, start the provider and serve until interrupted."""
    env = os.environ
    parser = argparse.ArgumentParser(prog="python -m devidp", description="Hamkke development OIDC provider")
    parser.add_argument("--host", default=env.get("HAMKKE_DEVIDP_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env.get("HAMKKE_DEVIDP_PORT", "5001")))
    parser.add_argument("--client-id", default=env.get("HAMKKE_DEVIDP_CLIENT_ID", "hamkke-dev"))
    parser.add_argument(
        "--client-secret", default=env.get("HAMKKE_DEVIDP_CLIENT_SECRET", "hamkke-dev-secret")
    )
    parser.add_argument(
        "--redirect-uri", action="append", default=[u for u in [env.get("HAMKKE_DEVIDP_REDIRECT_URI")] if u]
    )
    parser.add_argument(
        "--post-logout-redirect-uri",
        action="append",
        default=[u for u in [env.get("HAMKKE_DEVIDP_POST_LOGOUT_REDIRECT_URI")] if u],
    )
    args = parser.parse_args(argv)
    if env.get("HAMKKE_ENV") == "production":
        print(
            "개발용 인증 서버는 운영 모드에서 쓸 수 없습니다 / refused in production mode",
            file=sys.stderr,
        )
        return 2
    client = IdpClient(
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uris=tuple(args.redirect_uri or ["http://127.0.0.1:5000/auth/callback"]),
        post_logout_redirect_uris=tuple(args.post_logout_redirect_uri or ["http://127.0.0.1:5000/"]),
    )
    server = IdpServer(IdpSettings(issuer="", clients=(client,)), host=args.host, port=args.port).start()
    print(f"개발용 인증 서버 / development provider: {server.url}", flush=True)
    try:
        assert server._thread is not None  # noqa: S101 -- set by start()
        server._thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
