"""The FastAPI application for one sandbox: the dialect's routers and error shape, CORS, metrics."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.types import Receive, Scope, Send

from cutover_sandbox import __version__, dialects
from cutover_sandbox.api.alt import main as alt
from cutover_sandbox.api.casino import main as casino
from cutover_sandbox.api.main import api_router
from cutover_sandbox.core.context import AppContext
from cutover_sandbox.errors import ApiError
from cutover_sandbox.maintenance import MaintenanceMiddleware
from cutover_sandbox.metrics import MetricsMiddleware, Registry

log = logging.getLogger("cutover_sandbox.app")

APP_SHELL = ('<!doctype html>\n<html><head><meta charset="utf-8"><title>Casino</title></head>'
             '<body><div id="root">app shell</div><script src="/static/app.js"></script></body></html>\n')
"""What a single-page-app host answers to every path it does not know (the fault `catch_all_200`)."""


async def app_shell(scope: Scope, receive: Receive, send: Send) -> None:
    """The router's default (no route matched): 200 with the app shell, whatever the method."""
    await HTMLResponse(APP_SHELL)(scope, receive, send)


def create_app(ctx: AppContext) -> FastAPI:
    # /openapi.json is served as FastAPI serves it unless disabled: the gate reads it to find undeclared routes
    openapi_url: str | None = "/openapi.json"
    if ctx.faults.active("openapi_hidden"):  # FAULT: no defect, production often serves no OpenAPI document
        openapi_url = None
    app = FastAPI(title="cutover sandbox (reference payments platform)", version=__version__, docs_url=None,
                  redoc_url=None, openapi_url=openapi_url)
    app.state.ctx = ctx
    if ctx.dialect == dialects.ALT:
        app.state.metrics = Registry(alt.METRIC_LABELS)
        app.include_router(alt.api_router(ctx.faults))
        alt.install(app, ctx.settings)
    elif ctx.dialect == dialects.CASINO:
        app.state.metrics = Registry()
        app.include_router(casino.api_router(ctx.faults))
        casino.install(app)
    else:
        app.state.metrics = Registry()
        app.include_router(api_router(ctx.faults))
        _contract_errors(app)
    if ctx.faults.active("catch_all_200"):  # FAULT: a path no route matches answers 200 with an HTML app shell
        app.router.default = app_shell  # the router's "no route matched" only: 405s and the routes' own 404s stay

    if ctx.settings.sandbox_maintenance_flag:  # innermost: CORS and metrics see the maintenance answers too
        app.add_middleware(MaintenanceMiddleware, flag=Path(ctx.settings.sandbox_maintenance_flag),
                           nested=ctx.dialect == dialects.CASINO)

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
