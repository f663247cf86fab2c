"""The FastAPI application for one sandbox: the dialect's routers and error shape, CORS, metrics."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from cutover_sandbox import __version__, dialects
from cutover_sandbox.api.alt import main as alt
from cutover_sandbox.api.main import api_router
from cutover_sandbox.core.context import AppContext
from cutover_sandbox.errors import ApiError
from cutover_sandbox.maintenance import MaintenanceMiddleware
from cutover_sandbox.metrics import MetricsMiddleware, Registry

log = logging.getLogger("cutover_sandbox.app")


def create_app(ctx: AppContext) -> FastAPI:
    # /openapi.json is served as FastAPI serves it unless disabled: the gate reads it to find undeclared routes
    app = FastAPI(title="cutover sandbox (reference payments platform)", version=__version__, docs_url=None,
                  redoc_url=None)
    app.state.ctx = ctx
    if ctx.dialect == dialects.ALT:
        app.state.metrics = Registry(alt.METRIC_LABELS)
        app.include_router(alt.api_router(ctx.faults))
        alt.install(app, ctx.settings)
    else:
        app.state.metrics = Registry()
        app.include_router(api_router(ctx.faults))
        _contract_errors(app)

    if ctx.settings.sandbox_maintenance_flag:  # innermost: CORS and metrics see the maintenance answers too
        app.add_middleware(MaintenanceMiddleware, flag=Path(ctx.settings.sandbox_maintenance_flag))

    origins = list(ctx.settings.cors_origins)
    credentials = True
    if ctx.faults.active("cors_wildcard"):  # FAULT: any origin may call the API
        origins, credentials = ["*"], False
    app.add_middleware(CORSMiddleware, allow_origins=origins, allow_credentials=credentials,
                       allow_methods=["*"], allow_headers=["*"])
    app.add_middleware(MetricsMiddleware, registry=app.state.metrics)
    return app


def _contract_errors(app: FastAPI) -> None:
    """CONTRACT §1's error shape: `{"error_code": ..., "message": ...}`."""

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if exc.headers:
            headers = {**(headers or {}), **exc.headers}
        return JSONResponse({"error_code": exc.error_code, "message": exc.message}, status_code=exc.status_code,
                            headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error: %s", exc.__class__.__name__)  # the server logs the traceback
        return JSONResponse({"error_code": "INTERNAL_ERROR", "message": "internal server error"}, status_code=500)
