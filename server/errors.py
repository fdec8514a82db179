"""Errors as values a client can act on: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException, ValidationException
from litestar.exceptions import PermissionDeniedException, MethodNotAllowedException

from server.db.engine import DatabaseBusy

log = logging.getLogger("haulport")


class ApiError(Exception):
    """An error answered with ``status`` and a stable ``code``."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or {}
        self.headers = headers or {}


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _api_error(_: Request, exc: ApiError) -> Response:
    return Response(body(exc.code, exc.message, exc.details), status_code=exc.status, headers=exc.headers)


def _validation(_: Request, exc: ValidationException) -> Response:
    extra = exc.extra if isinstance(exc.extra, (list, dict)) else None
    return Response(body("validation_error", str(exc.detail), {"errors": extra} if extra else None), status_code=400)


_HTTP_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type", 429: "rate_limited"}


def _http(_: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if status >= 500:
        log.error("server error: %s", exc.detail)
        return Response(body("internal_error", "something went wrong on our side"), status_code=500)
    return Response(body(_HTTP_CODES.get(status, "error"), str(exc.detail)), status_code=status,
                    headers=getattr(exc, "headers", None))


def _busy(_: Request, exc: DatabaseBusy) -> Response:
    return Response(body("busy", "the database is busy; retry shortly"), status_code=503, headers={"Retry-After": "1"})


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
    Exception: _internal,
}
