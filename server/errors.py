"""Errors as values a client can act on: ``{"error": {"code", "message", "details"}}``.

Every route documents its error answers with that one shared schema (``ErrorBody``): the statuses
any route may answer are added by ``server/openapi.py``, the ones particular to a route are declared
on it with ``responses=error_responses(404, 409, …)``.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec

from server.db.engine import DatabaseBusy

log = logging.getLogger("haulport")


class ApiError(Exception):
    """An error answered with ``status`` and a stable ``code``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or {}
        self.headers = headers or {}


class ErrorDetail(msgspec.Struct, kw_only=True):
    """What went wrong: ``code`` (stable, snake_case) to act on, ``message`` to show, ``details`` (may be empty)."""

    code: str
    message: str
    details: dict[str, Any]


class ErrorBody(msgspec.Struct, kw_only=True):
    """The body of every 4xx and 5xx answer."""

    error: ErrorDetail


_WHEN = {
    400: "Bad request: a malformed body or parameter (`validation_error`, with `details.errors`) or another "
    "bad input named by `code`",
    401: "Not signed in, or the session token is invalid, expired or revoked",
    403: "Not allowed for this session (`forbidden`, `read_only`, `portal_disabled`, `csrf_failed`, …)",
    404: "Not found (or not visible to this session)",
    405: "Not allowed on this collection",
    409: "Conflict with the current state (see `code`)",
    413: "The request body is too large",
    415: "Unsupported media type (see `code`)",
    422: "Well-formed but breaks a rule (see `code`)",
    429: "Too many requests: retry after `Retry-After` seconds",
    503: "Temporarily unavailable (`busy` database, payments down): retry after `Retry-After` seconds",
}


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """``responses=`` for a route handler: ``statuses`` answered with the shared error body."""
    return {
        status: ResponseSpec(data_container=ErrorBody, description=_WHEN[status], generate_examples=False)
        for status in statuses
    }


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _api_error(_: Request, exc: ApiError) -> Response:
    return Response(body(exc.code, exc.message, exc.details), status_code=exc.status, headers=exc.headers)


def _validation(_: Request, exc: ValidationException) -> Response:
    extra = exc.extra if isinstance(exc.extra, (list, dict)) else None
    return Response(body("validation_error", str(exc.detail), {"errors": extra} if extra else None), status_code=400)


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _http(_: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if status >= 500:
        log.error("server error: %s", exc.detail)
        return Response(body("internal_error", "something went wrong on our side"), status_code=500)
    return Response(
        body(_HTTP_CODES.get(status, "error"), str(exc.detail)),
        status_code=status,
        headers=getattr(exc, "headers", None),
    )


def _busy(_: Request, exc: DatabaseBusy) -> Response:
    return Response(body("busy", "the database is busy; retry shortly"), status_code=503, headers={"Retry-After": "1"})


def _unstorable(request: Request, exc: asyncpg.exceptions.DataError) -> Response:
    """PostgreSQL refused a value (a NUL character in a query parameter, a number out of range): the
    request's fault. Rows are checked before writing (``Store``); this catches what reaches a query."""
    log.warning("database refused a value in %s %s: %s", request.method, request.url.path, exc)
    return Response(body("bad_value", "a value in the request cannot be used (e.g. a NUL character)"), status_code=400)


def _internal(_: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return Response(body("internal_error", "something went wrong on our side"), status_code=500)


EXCEPTION_HANDLERS = {
    ApiError: _api_error,
    ValidationException: _validation,
    NotAuthorizedException: _http,
    PermissionDeniedException: _http,
    NotFoundException: _http,
    MethodNotAllowedException: _http,
    HTTPException: _http,
    DatabaseBusy: _busy,
    asyncpg.exceptions.DataError: _unstorable,
    Exception: _internal,
}
