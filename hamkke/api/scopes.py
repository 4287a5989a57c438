"""The OAuth2 scopes of the agency API: one place, read by the token endpoint, the UI and OpenAPI."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """One scope an agency admin can grant to an API client."""

    name: str
    #: shown to the agency admin
    label: str
    #: shown in the OpenAPI document
    description: str


SCOPES: tuple[Scope, ...] = (
    Scope(
        "directory:read", "기관·서비스 목록 읽기", "Read the network directory: agencies, services, regions."
    ),
    Scope("referrals:read", "의뢰 읽기", "Read referrals sent or received by the client's agency."),
    Scope("referrals:write", "의뢰 보내기·회신하기", "Send referrals and answer referrals received."),
    Scope("conferences:read", "통합사례회의 읽기", "Read conferences the client's agency takes part in."),
)

SCOPE_NAMES = frozenset(scope.name for scope in SCOPES)
SCOPES_BY_NAME = {scope.name: scope for scope in SCOPES}
