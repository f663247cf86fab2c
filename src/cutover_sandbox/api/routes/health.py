"""Health, readiness (database + migrations at head), version (the deployed release)."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cutover_sandbox import __version__, migrate
from cutover_sandbox.api.deps import ContextDep, FaultsDep, SettingsDep
from cutover_sandbox.fault_seeds import BURST_HEADER

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", response_model=None)
def health(settings: SettingsDep, faults: FaultsDep, request: Request) -> dict[str, Any] | JSONResponse:
    if faults.active("error_burst_before_round") and request.headers.get(BURST_HEADER):  # FAULT: the burst's 503s
        return JSONResponse({"status": "unavailable"}, status_code=503)
    status = "healthy"
    if faults.active("health_unhealthy"):  # FAULT
        status = "degraded"
    return {"status": status, "environment": settings.environment}


@router.get("/readiness")
def readiness(ctx: ContextDep) -> JSONResponse:
    try:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        database = "connected"
        migrations = migrate.status(ctx.engine)
    except SQLAlchemyError:
        body = {"status": "not_ready", "dependencies": {"database": "disconnected", "migrations": "unknown"},
                "alembic": {"db": None, "head": migrate.head()}}
        return JSONResponse(body, status_code=503)
    ready = migrations.state == "ok"
    body = {
        "status": "ready" if ready else "not_ready",
        "dependencies": {"database": database, "migrations": migrations.state},
        "alembic": {"db": migrations.db, "head": migrations.head},
    }
    return JSONResponse(body, status_code=200 if ready else 503)


def reported_sha(git_sha: str) -> str:
    return hashlib.sha1(f"not-{git_sha}".encode()).hexdigest()  # any other 40-hex value


@router.get("/version")
def version(ctx: ContextDep) -> dict[str, Any]:
    git_sha = ctx.settings.sandbox_git_sha
    if ctx.faults.active("release_sha_mismatch"):  # FAULT: a different build is deployed
        git_sha = reported_sha(git_sha)
    return {"service": "backend", "version": __version__, "git_sha": git_sha,
            "build_time": ctx.started_at.isoformat().replace("+00:00", "Z"), "environment": ctx.settings.environment}
