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
    for extra in fault_routers(faults):
        router.include_router(extra)
    return router


def fault_routers(faults: Faults) -> list[APIRouter]:
    """The routers only a fault mounts, on the contract's paths (the casino dialect's too), to be included after the
    platform's own (so a declared route, e.g. Stripe's webhook, wins over a catch-all of the same shape)."""
    routers: list[APIRouter] = []
    if faults.active("bootstrap_endpoint_open"):  # FAULT: an unauthenticated admin bootstrap endpoint
        routers.append(bootstrap.router)
    if faults.active("debug_route_mounted"):  # FAULT: an undeclared maintenance route
        routers.append(debug.debug_router)
    if faults.active("unsigned_callback_route"):  # FAULT: an undeclared callback that checks no signature
        routers.append(debug.callback_router)
    if faults.active("undeclared_seed_route"):  # FAULT: an open seed route that credits money, not in OpenAPI
        routers.append(debug.seed_router)
    if faults.active("generic_provider_webhook"):  # FAULT: any provider's unsigned callback (after the declared ones)
        routers.append(debug.generic_webhook_router)
    if faults.active("webhook_shape_first"):  # FAULT: a healthy callback that judges its payload before its signature
        routers.append(webhooks.paypal_router)
    if faults.active("password_reset_routes"):  # FAULT: no defect, the password-reset routes real platforms have
        routers.append(auth.password_reset_router)
    return routers
