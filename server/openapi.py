"""What makes ``/schema/openapi.json`` say exactly what the server does (schemathesis checks it).

- ``document_errors``: every route's error answers, with the one shared error body (``ErrorBody``).
  Statuses any route may give are added here; a route declares its own with
  ``responses=error_responses(404, …)`` (``server/errors.py``).
- ``StrictStructSchemaPlugin``: a msgspec Struct with ``forbid_unknown_fields=True`` refuses unknown
  fields, so its schema says ``additionalProperties: false``.
- ``DocumentedAs``: for a value the handler checks itself (a ``dict`` body with its own error codes),
  ``Annotated[dict[str, Any], DocumentedAs(SomeStruct)]`` documents it as ``SomeStruct``
  (``DocumentedAsPlugin``); decoding is unchanged.
- ``strict_json_body`` (the app's ``before_request``): Litestar converts a JSON body to its type in lax
  mode ("1" for 1, 0 for false); a body that is not its type strictly is refused (400) first. Before
  anything decodes it, a JSON body nested deeper than ``MAX_JSON_DEPTH`` is refused (400
  ``validation_error``): decoders recurse, and 20,000 ``[`` would otherwise end in a RecursionError.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from copy import copy
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request

# Litestar's own Struct schema plugin (private module; the public API has no way to extend it).
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import Schema
from litestar.params import BodyKwarg
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

from server.errors import error_responses

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def document_errors(handlers: Iterable[Any]) -> list[Any]:
    """``handlers`` with the error answers any route may give added to their OpenAPI responses:
    400 (bad input), 503 (busy database), 401 and 403 unless public, 413 when there is a body.
    Copies: the module-level handlers stay as declared. Other objects (routers, sockets) pass through."""
    out = []
    for handler in handlers:
        if isinstance(handler, HTTPRouteHandler):
            statuses = [400, 503]
            if not handler.opt.get("public"):
                statuses += [401, 403]
            if handler.http_methods & _BODY_METHODS:
                statuses.append(413)
            handler = copy(handler)
            handler.responses = dict(sorted({**error_responses(*statuses), **(handler.responses or {})}.items()))
        out.append(handler)
    return out


_BOUNDS = (("ge", "minimum"), ("gt", "exclusive_minimum"), ("le", "maximum"), ("lt", "exclusive_maximum"))


def _number_type(field_type: Any) -> Any:
    """The int/float type inside ``Optional``/``UnsetType`` unions and metadata, if any."""
    while isinstance(field_type, msgspec.inspect.Metadata):
        field_type = field_type.type
    if isinstance(field_type, msgspec.inspect.UnionType):
        numbers = [t for t in field_type.types if isinstance(t, (msgspec.inspect.IntType, msgspec.inspect.FloatType))]
        return numbers[0] if len(numbers) == 1 else None
    return field_type if isinstance(field_type, (msgspec.inspect.IntType, msgspec.inspect.FloatType)) else None


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Struct schemas, with ``additionalProperties: false`` for structs that forbid unknown fields,
    and the zero bounds Litestar drops from optional fields (it skips falsy ones: ``ge=0``)."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Any:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if getattr(info, "forbid_unknown_fields", False):
            schema.additional_properties = False
        for field in getattr(info, "fields", ()):
            number = _number_type(field.type)
            prop = (schema.properties or {}).get(field.encode_name)
            if number is None or not isinstance(prop, Schema):
                continue
            for bound, key in _BOUNDS:
                if getattr(number, bound) == 0 and getattr(prop, key) is None:
                    setattr(prop, key, 0)
        return schema


@dataclass(frozen=True)
class DocumentedAs:
    """``Annotated`` marker: document the value as ``schema_type`` (it is decoded as annotated)."""

    schema_type: Any


class DocumentedAsPlugin(OpenAPISchemaPlugin):
    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return False

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return any(isinstance(m, DocumentedAs) for m in field_definition.metadata)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Any:
        marker = next(m for m in field_definition.metadata if isinstance(m, DocumentedAs))
        return schema_creator.for_field_definition(FieldDefinition.from_annotation(marker.schema_type))


def _whole_number(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 2**63 else value


def whole_numbers(value: Any) -> Any:
    """JSON numbers like ``3.0`` as ints (JSON Schema counts them as integers; msgspec would not)."""
    if isinstance(value, float):
        return _whole_number(value)
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value


_decode_json = msgspec.json.Decoder(float_hook=lambda text: _whole_number(float(text))).decode
_BODY_TYPES: dict[Any, Any] = {}  # by handler function: each app has its own copies of the handlers


def _json_body_type(handler: HTTPRouteHandler) -> Any:
    """The type of the handler's JSON ``data`` argument, or None."""
    key = handler.fn
    if key not in _BODY_TYPES:
        field = handler.parsed_fn_signature.parameters.get("data")
        media_type = getattr(field.kwarg_definition, "media_type", RequestEncodingType.JSON) if field else None
        json_body = (
            field is not None
            and media_type == RequestEncodingType.JSON
            and (field.kwarg_definition is None or isinstance(field.kwarg_definition, BodyKwarg))
        )
        _BODY_TYPES[key] = field.annotation if json_body and field is not None else None
    return _BODY_TYPES[key]


MAX_JSON_DEPTH = 32  # the deepest body any route takes is ~6 levels
_STRUCTURE = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')  # strings (skipped whole) and brackets


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body`` (JSON text, maybe malformed) opens more than ``limit`` arrays/objects at once."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for match in _STRUCTURE.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def _is_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return content_type in ("", "application/json", "text/plain") or content_type.endswith("+json")


async def strict_json_body(request: Request) -> None:
    """``before_request``: refuse a JSON body nested too deeply, or not strictly its handler's ``data`` type."""
    body_type = _json_body_type(request.route_handler)
    if body_type is None and not (request.method in _BODY_METHODS and _is_json(request)):
        return
    body = await request.body()
    if too_deep(body):
        raise ValidationException(
            f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep",
            extra=[{"message": f"nested more than {MAX_JSON_DEPTH} levels", "key": "data", "source": "body"}],
        )
    if body_type is None:
        return
    try:
        raw = _decode_json(body) if body else None  # 3.0 as 3, see whole_numbers
    except msgspec.DecodeError:
        return  # Litestar answers it
    if raw is None:
        return
    try:
        msgspec.convert(raw, body_type, strict=True, str_keys=True)
    except msgspec.ValidationError as exc:
        raise ValidationException(
            f"Validation failed for {request.method} {request.url.path}",
            extra=[{"message": str(exc), "key": "data", "source": "body"}],
        ) from None
