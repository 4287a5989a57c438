"""One declaration per API route: the Flask rule, its parameters, scopes and response type.

The same declaration registers the view, parses and checks its query parameters, enforces its
OAuth2 scopes and produces its OpenAPI entry, so the document cannot drift from the code.

A domain declares its endpoints in a module it imports from its ``init_app`` (before the shell
registers the blueprint in ``hamkke.api.init_api``)::

    from hamkke.api.registry import Param, api
    from referrals.api import ReferralPage   # a TypedDict; its JSON Schema is generated

    @api.operation(
        "/referrals",
        summary="List referrals of the client's agency",
        tags=("Referrals",),
        scopes=("referrals:read",),
        query=(Param("status", ReferralStatus, "Only referrals in this state."), *PAGE_PARAMS),
        response=ReferralPage,
        errors=(400, 401, 403),
    )
    def list_referrals(call: ApiCall) -> ReferralPage:
        \"\"\"List referrals sent or received by the client's agency.\"\"\"
        ...

A write endpoint declares ``method="POST"`` and ``request_json=SomeTypedDict``; the view then finds
the parsed JSON object in ``call.body`` (400 ``invalid_body`` if it is not an object) and validates
the fields it reads. Bearer routes must name their scopes; path parameters must match the rule.

Response types are ``TypedDict`` classes; a field may carry ``Annotated[T, Doc("…")]`` for its
description. ``schema_of`` turns them into JSON Schema components.
"""

from __future__ import annotations

import enum
import functools
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, Required, TypeVar, Union, get_args, get_origin

from flask import Blueprint, jsonify, make_response, request
from flask.typing import ResponseReturnValue

from hamkke.api.errors import ApiError
from hamkke.web import error_response

Auth = Literal["bearer", "client", "none"]
V = TypeVar("V", bound=Callable[..., Any])

#: ``<converter:name>`` or ``<name>`` in a Flask rule
RULE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@dataclass(frozen=True)
class Doc:
    """Documentation attached to a response field with ``Annotated[T, Doc(...)]``."""

    description: str
    format: str | None = None
    examples: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Param:
    """A query or path parameter: how it is parsed, checked and documented."""

    name: str
    #: ``str``, ``int`` or a ``StrEnum`` subclass
    kind: type
    description: str
    required: bool = False
    default: str | int | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None

    def schema(self) -> dict[str, Any]:
        """Return the parameter's JSON Schema."""
        result: dict[str, Any]
        if isinstance(self.kind, type) and issubclass(self.kind, enum.Enum):
            result = {"type": "string", "enum": [member.value for member in self.kind]}
        elif self.kind is int:
            result = {"type": "integer"}
            if self.minimum is not None:
                result["minimum"] = self.minimum
            if self.maximum is not None:
                result["maximum"] = self.maximum
        else:
            result = {"type": "string"}
            if self.max_length is not None:
                result["maxLength"] = self.max_length
        if self.default is not None:
            result["default"] = self.default
        return result

    def parse(self, raw: str) -> Any:
        """Convert the raw text to the declared type or raise `ApiError` 400 naming the parameter."""
        if isinstance(self.kind, type) and issubclass(self.kind, enum.Enum):
            try:
                return self.kind(raw)
            except ValueError:
                allowed = ", ".join(str(member.value) for member in self.kind)
                raise _bad_parameter(self.name, f"다음 값 중 하나여야 합니다: {allowed}") from None
        if self.kind is int:
            if not re.fullmatch(r"-?\d{1,9}", raw):
                raise _bad_parameter(self.name, "정수여야 합니다.")
            number = int(raw)
            if (self.minimum is not None and number < self.minimum) or (
                self.maximum is not None and number > self.maximum
            ):
                raise _bad_parameter(self.name, f"{self.minimum}~{self.maximum} 사이여야 합니다.")
            return number
        text = raw.strip()
        if "\x00" in text:
            # PostgreSQL text cannot hold NUL; without this check the search failed with a 500.
            raise _bad_parameter(self.name, "허용되지 않는 문자(NUL)가 들어 있습니다.")
        if self.max_length is not None and len(text) > self.max_length:
            raise _bad_parameter(self.name, f"{self.max_length}자 이내여야 합니다.")
        return text


def _bad_parameter(name: str, detail: str) -> ApiError:
    return ApiError(
        400,
        "invalid_parameter",
        f"'{name}' 값이 올바르지 않습니다. {detail}",
        f"The parameter '{name}' is not valid.",
        field=name,
    )


@dataclass(frozen=True)
class ApiCall:
    """What a bearer-protected view receives: the calling client, its agency and parsed parameters."""

    # ``agencies.models.ApiClient`` and ``Agency``, from the credential store; typed loosely so the
    # shell does not import a domain.
    client: Any
    agency: Any
    query: Mapping[str, Any]
    path: Mapping[str, Any]
    #: the JSON object sent by routes declared with ``request_json`` (None otherwise)
    body: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Operation:
    """Everything declared about one API route; the OpenAPI document is built from these."""

    endpoint: str
    rule: str
    method: str
    summary: str
    description: str
    tags: tuple[str, ...]
    auth: Auth
    scopes: tuple[str, ...]
    query: tuple[Param, ...]
    path: tuple[Param, ...]
    response: Any
    response_description: str
    request_form: Any
    #: TypedDict of a JSON request body (documented; the view validates the fields it reads)
    request_json: Any
    errors: tuple[int, ...]
    #: "api" for ``{"error": {...}}`` bodies, "oauth" for RFC 6749 §5.2 bodies
    error_style: Literal["api", "oauth"]
    content_type: str = "application/json"


@dataclass
class ApiRegistry:
    """The API's blueprint plus the declarations of every route on it."""

    blueprint: Blueprint
    operations: list[Operation] = field(default_factory=list)
    #: set by ``hamkke.api.oauth2``: returns (client, agency) or raises `ApiError`
    authenticate: Callable[[tuple[str, ...]], tuple[Any, Any]] | None = None

    def operation(
        self,
        rule: str,
        *,
        summary: str,
        tags: Sequence[str],
        method: str = "GET",
        description: str = "",
        auth: Auth = "bearer",
        scopes: Sequence[str] = (),
        query: Sequence[Param] = (),
        path: Sequence[Param] = (),
        response: Any = None,
        response_description: str = "OK",
        request_form: Any = None,
        request_json: Any = None,
        errors: Sequence[int] = (),
        error_style: Literal["api", "oauth"] = "api",
        decorators: Sequence[Callable[[Any], Any]] = (),
        content_type: str = "application/json",
    ) -> Callable[[V], V]:
        """Declare and register an API route (see the module docstring for an example)."""

        def decorator(view: V) -> V:
            declared = tuple(param.name for param in path)
            in_rule = tuple(RULE_ARGUMENT.findall(rule))
            if declared != in_rule:
                raise ValueError(f"{view.__name__}: path parameters {declared} do not match rule {in_rule}")
            if auth == "bearer" and not scopes:
                raise ValueError(f"{view.__name__}: a bearer-protected route must name its scopes")
            operation = Operation(
                endpoint=f"{self.blueprint.name}.{view.__name__}",
                rule=self.blueprint.url_prefix.rstrip("/") + rule if self.blueprint.url_prefix else rule,
                method=method.upper(),
                summary=summary,
                description=description or (view.__doc__ or "").strip(),
                tags=tuple(tags),
                auth=auth,
                scopes=tuple(scopes),
                query=tuple(query),
                path=tuple(path),
                response=response,
                response_description=response_description,
                request_form=request_form,
                request_json=request_json,
                errors=tuple(errors),
                error_style=error_style,
                content_type=content_type,
            )
            handler = self._bearer_handler(operation, view) if auth == "bearer" else view
            for wrap in decorators:
                handler = wrap(handler)
            self.blueprint.add_url_rule(
                rule, endpoint=view.__name__, view_func=handler, methods=[operation.method]
            )
            self.operations.append(operation)
            return view

        return decorator

    def _bearer_handler(self, operation: Operation, view: Callable[[ApiCall], Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def handler(**path_values: Any) -> ResponseReturnValue:
            if self.authenticate is None:
                raise RuntimeError("the OAuth2 resource protector is not set up (hamkke.api.oauth2)")
            client, agency = self.authenticate(operation.scopes)
            query = parse_query(operation.query)
            path_args = {p.name: p.parse(str(path_values[p.name])) for p in operation.path}
            body = _json_body() if operation.request_json is not None else None
            call = ApiCall(client=client, agency=agency, query=query, path=path_args, body=body)
            return jsonify(view(call))

        return handler


def _json_body() -> dict[str, Any]:
    """Return the request's JSON object or raise `ApiError` 400."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(
            400,
            "invalid_body",
            "요청 본문은 JSON 객체여야 합니다 (Content-Type: application/json).",
            "The request body must be a JSON object (Content-Type: application/json).",
        )
    if _holds_nul(body):
        raise ApiError(
            400,
            "invalid_body",
            "요청 본문에 허용되지 않는 문자(NUL, \\u0000)가 들어 있습니다.",
            "The request body contains a NUL character (\\u0000), which is not allowed.",
        )
    return body


def _holds_nul(value: Any) -> bool:
    """Tell whether a parsed JSON value holds a NUL character anywhere (PostgreSQL text cannot store it)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def parse_query(params: Sequence[Param]) -> dict[str, Any]:
    """Parse the request's query string against the declared parameters (unknown or repeated ones: 400)."""
    known = {param.name: param for param in params}
    for name in request.args:
        if name not in known:
            raise ApiError(
                400,
                "unknown_parameter",
                f"알 수 없는 매개변수입니다: '{name[:40]}'",
                f"Unknown parameter '{name[:40]}'.",
                field=name[:40],
            )
        if len(request.args.getlist(name)) > 1:
            raise _bad_parameter(name, "한 번만 보낼 수 있습니다.")
    values: dict[str, Any] = {}
    for param in params:
        raw = request.args.get(param.name)
        # An empty text filter means "no filter"; an empty number or choice is a malformed value (400).
        if raw is None or (raw == "" and param.kind is str):
            if param.required:
                raise _bad_parameter(param.name, "꼭 보내야 합니다.")
            values[param.name] = param.default
            continue
        values[param.name] = param.parse(raw)
    return values


# --- JSON Schema from TypedDicts -----------------------------------------------------------------


class SchemaRegistry:
    """Collects the component schemas referenced while documenting operations."""

    def __init__(self) -> None:
        self.components: dict[str, dict[str, Any]] = {}

    def ref(self, tp: Any) -> dict[str, Any]:
        """Return a ``$ref`` to ``tp`` (a TypedDict), generating its component on first use."""
        name = tp.__name__
        if name not in self.components:
            self.components[name] = {}  # placeholder first: recursive types terminate
            self.components[name] = self._typed_dict(tp)
        return {"$ref": f"#/components/schemas/{name}"}

    def _typed_dict(self, tp: Any) -> dict[str, Any]:
        hints = typing.get_type_hints(tp, include_extras=True)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for key, hint in hints.items():
            properties[key] = self.schema_of(_strip_required(hint))
            # Decided from the resolved hints: with postponed annotations Python 3.11 cannot see
            # NotRequired[...] when it builds ``__required_keys__``.
            marker = get_origin(hint)
            if marker is Required or (marker is not NotRequired and tp.__total__):
                required.append(key)
        schema: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "required": sorted(required),
            "additionalProperties": False,
        }
        if tp.__doc__:
            schema["description"] = " ".join(tp.__doc__.split())
        return schema

    def schema_of(self, tp: Any) -> dict[str, Any]:
        """Return the JSON Schema of a Python type used in a response."""
        origin = get_origin(tp)
        if origin is typing.Annotated:
            base, *extras = get_args(tp)
            schema = dict(self.schema_of(base))
            for extra in extras:
                if isinstance(extra, Doc):
                    schema["description"] = extra.description
                    if extra.format:
                        schema["format"] = extra.format
                    if extra.examples:
                        schema["examples"] = list(extra.examples)
            return schema
        if typing.is_typeddict(tp):
            return self.ref(tp)
        if origin in (Union, types.UnionType):
            members = [arg for arg in get_args(tp) if arg is not type(None)]
            nullable = len(members) < len(get_args(tp))
            if len(members) == 1:
                inner = self.schema_of(members[0])
                if nullable and "type" in inner and "$ref" not in inner:
                    kinds = inner["type"] if isinstance(inner["type"], list) else [inner["type"]]
                    return {**inner, "type": [*kinds, "null"]}
                return {"anyOf": [inner, {"type": "null"}]} if nullable else inner
            variants = [self.schema_of(member) for member in members]
            return {"anyOf": [*variants, {"type": "null"}] if nullable else variants}
        if origin in (list, tuple, Sequence):
            (item,) = get_args(tp)[:1]
            return {"type": "array", "items": self.schema_of(item)}
        if origin is dict:
            return {"type": "object", "additionalProperties": self.schema_of(get_args(tp)[1])}
        if origin is Literal:
            return {"type": "string", "enum": list(get_args(tp))}
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return {"type": "string", "enum": [member.value for member in tp]}
        simple = {str: "string", int: "integer", bool: "boolean", float: "number", type(None): "null"}
        if tp in simple:
            return {"type": simple[tp]}
        if tp is Any or tp is object:
            return {}
        raise TypeError(f"no JSON Schema for {tp!r}")


def _strip_required(hint: Any) -> Any:
    # NotRequired/Required only decide the "required" list; the value type is inside.
    if get_origin(hint) in (NotRequired, Required):
        return get_args(hint)[0]
    return hint


#: the agency API: ``/api/v1`` (bearer tokens only, never cookies; CSRF does not apply)
bp = Blueprint("api", __name__, url_prefix="/api/v1")
api = ApiRegistry(bp)


@bp.errorhandler(ApiError)
def handle_api_error(error: ApiError) -> ResponseReturnValue:
    """Render an API error as JSON with its headers (``WWW-Authenticate`` on 401/403)."""
    response = make_response(
        error_response(
            error.status_code,
            code=error.code,
            message=error.message,
            english=error.english,
            field=error.field,
        )
    )
    response.headers.update(error.headers)
    return response
