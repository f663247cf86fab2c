"""The casino dialect's routers combined, and its app set-up (the nested error shape). The contract's routers where
the casino platform does not differ; which ones are mounted depends on the active faults, as on the default dialect
(`cutover_sandbox.api.main`, whose fault-only routers are mounted here too)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from cutover_sandbox.api.casino import errors
from cutover_sandbox.api.casino.routes import backoffice, finance, verify, wallet, webhooks
from cutover_sandbox.api.main import fault_routers
from cutover_sandbox.api.routes import admin, auth, health, kyc, metrics
from cutover_sandbox.faults import Faults


def api_router(faults: Faults) -> APIRouter:
    router = APIRouter()
    routers = [health.router, metrics.router, auth.router, admin.router, kyc.router, verify.router, wallet.router,
               wallet.adyen_router, webhooks.router, finance.router, backoffice.router]
    for module_router in routers:
        if module_router is metrics.router and faults.active("metrics_missing"):  # FAULT: no /metrics for alerting
            continue
        router.include_router(module_router)
    if not faults.active("payouts_router_missing"):  # FAULT (when active): the router is not mounted
        router.include_router(finance.payouts_router)
    for extra in fault_routers(faults):
        router.include_router(extra)
    return router


def install(app: FastAPI) -> None:
    """The casino error shape, on `app`."""
    errors.install(app)
