"""All routers, combined. Which ones are mounted depends on the active faults."""

from __future__ import annotations

from fastapi import APIRouter

from cutover_sandbox.api.routes import (
    admin,
    auth,
    bootstrap,
    debug,
    finance,
    health,
    kyc,
    metrics,
    payouts,
    verify,
    wallet,
    webhooks,
)
from cutover_sandbox.faults import Faults


def api_router(faults: Faults) -> APIRouter:
    router = APIRouter()
    for module in (health, metrics, auth, admin, kyc, verify, wallet, webhooks, finance):
        if module is metrics and faults.active("metrics_missing"):  # FAULT: no /metrics for alerting
            continue
        router.include_router(module.router)
    if not faults.active("payouts_router_missing"):  # FAULT (when active): the router is not mounted
        router.include_router(payouts.router)
    if faults.active("bootstrap_endpoint_open"):  # FAULT: an unauthenticated admin bootstrap endpoint
        router.include_router(bootstrap.router)
    if faults.active("debug_route_mounted"):  # FAULT: an undeclared maintenance route
        router.include_router(debug.debug_router)
    if faults.active("unsigned_callback_route"):  # FAULT: an undeclared callback that checks no signature
        router.include_router(debug.callback_router)
    return router
