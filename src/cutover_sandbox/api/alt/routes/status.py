"""alt: health, readiness (database + schema at head), build (the deployed release)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cutover_sandbox import __version__, migrate
from cutover_sandbox.api.deps import ContextDep, FaultsDep, SettingsDep
from cutover_sandbox.api.routes.health import reported_sha
from cutover_sandbox.fault_seeds import BURST_HEADER

router = APIRouter(prefix="/status", tags=["status"])

SCHEMA_STATES = {"ok": "current", "behind": "behind", "failed": "failed"}


@router.get("/health", response_model=None)
def health(settings: SettingsDep, faults: FaultsDep, request: Request) -> dict[str, Any] | JSONResponse:
    if faults.active("error_burst_before_round") and request.headers.get(BURST_HEADER):  # FAULT: the burst's 503s
        return JSONResponse({"state": "DOWN"}, status_code=503)
    state = "UP"
    if faults.active("health_unhealthy"):  # FAULT
        state = "DEGRADED"
    return {"state": state, "env": settings.environment}


@router.get("/ready")
def ready(ctx: ContextDep) -> JSONResponse:
    try:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        migrations = migrate.status(ctx.engine)
    except SQLAlchemyError:
        body = {"ready": False, "checks": {"db": "down", "schema": "unknown"},
                "schema": {"applied": None, "expected": migrate.head()}}
        return JSONResponse(body, status_code=503)
    current = migrations.state == "ok"
    body = {"ready": current, "checks": {"db": "up", "schema": SCHEMA_STATES[migrations.state]},
            "schema": {"applied": migrations.db, "expected": migrations.head}}
    return JSONResponse(body, status_code=200 if current else 503)


@router.get("/build")
def build(ctx: ContextDep) -> dict[str, Any]:
    commit = ctx.settings.sandbox_git_sha
    if ctx.faults.active("release_sha_mismatch"):  # FAULT: a different build is deployed
        commit = reported_sha(commit)
    return {"commit": commit, "built_at": ctx.started_at.isoformat().replace("+00:00", "Z"), "release": __version__,
            "env": ctx.settings.environment}
