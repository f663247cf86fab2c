"""The alt dialect's error shape, `{"code": ..., "detail": ...}`, installed on its app.

Domain errors carry the default codes; they are translated here (`names.ERRORS`), so the alt API never shows a
default code or state name. Request validation is `422 {"code": "VALIDATION_FAILED", "detail": [...]}`; what the
router answers itself (an unknown path, a method a route does not serve) is `{"code": "NOT_FOUND" | ..., "detail"}`
with the router's status and headers (`Allow` of a 405).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from cutover_sandbox.api.alt import names
from cutover_sandbox.errors import ApiError, IllegalTransition

log = logging.getLogger("cutover_sandbox.app")

HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def error_response(status_code: int, code: str, detail: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    if status_code == 401:
        headers = {"WWW-Authenticate": "Bearer", **(headers or {})}
    return JSONResponse({"code": code, "detail": detail}, status_code=status_code, headers=headers)


def _detail(exc: ApiError) -> tuple[str, str]:
    code, detail = names.error(exc.error_code, exc.message)
    if isinstance(exc, IllegalTransition):
        action = names.ACTIONS.get(exc.action, exc.action)
        detail = f"cannot {action} a cashout in status {names.tx_status('withdrawal', exc.state)}"
    return code, detail


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        code, detail = _detail(exc)
        return error_response(exc.status_code, code, detail, exc.headers)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, f"HTTP_{exc.status_code}")
        return error_response(exc.status_code, code, exc.detail, dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{key: value for key, value in error.items() if key in ("loc", "msg", "type")}
                  for error in exc.errors()]
        return error_response(422, names.VALIDATION_FAILED, jsonable_encoder(errors))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error: %s", exc.__class__.__name__)  # the server logs the traceback
        return error_response(500, "INTERNAL", "internal server error")
