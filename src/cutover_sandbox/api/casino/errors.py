"""The casino dialect's error shape: every error answer is `{"detail": {"error_code": CODE, "message": TEXT}}`, with
the contract's HTTP status and codes, except where the casino platform names its own (`conflict_code`: deposit and
withdraw each have their idempotency-conflict code). What the router answers itself is nested the same way: an
unknown path `404 NOT_FOUND`, a method a route does not serve `405 METHOD_NOT_ALLOWED` (with its `Allow`), a request
that fails validation `422 VALIDATION_ERROR` (the message lists each field's problem), anything unexpected
`500 INTERNAL_ERROR`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from cutover_sandbox.errors import ApiError, idempotency_conflict

log = logging.getLogger("cutover_sandbox.app")

HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
CONTRACT_CONFLICT = idempotency_conflict().error_code
DEPOSIT_CONFLICT = "DEPOSIT_IDEMPOTENCY_CONFLICT"
WITHDRAW_CONFLICT = "WITHDRAW_IDEMPOTENCY_CONFLICT"


def error_response(status_code: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    if status_code == 401:
        headers = {"WWW-Authenticate": "Bearer", **(headers or {})}
    return JSONResponse({"detail": {"error_code": code, "message": message}}, status_code=status_code,
                        headers=headers)


@contextmanager
def conflict_code(code: str) -> Iterator[None]:
    """Within: the contract's idempotency conflict (409) is answered with `code`, the casino platform's own."""
    try:
        yield
    except ApiError as exc:
        if exc.error_code != CONTRACT_CONFLICT:
            raise
        raise ApiError(409, code, exc.message) from None


def _field_problems(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is invalid"


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status_code, exc.error_code, exc.message, exc.headers)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, f"HTTP_{exc.status_code}")
        return error_response(exc.status_code, code, str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "VALIDATION_ERROR", _field_problems(exc))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error: %s", exc.__class__.__name__)  # the server logs the traceback
        return error_response(500, "INTERNAL_ERROR", "internal server error")
