"""The alt dialect's routers combined, and its app set-up (error shape, metrics labels, registration limit).
Which routers are mounted depends on the active faults, as on the default dialect (`cutover_sandbox.api.main`)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from cutover_sandbox.api.alt import errors
from cutover_sandbox.api.alt.routes import backoffice, cashouts, hooks, me, members, metrics, payouts, status, unsafe
from cutover_sandbox.core.config import Settings
from cutover_sandbox.faults import Faults
from cutover_sandbox.ratelimit import SlidingWindow

METRIC_LABELS = metrics.LABELS


def api_router(faults: Faults) -> APIRouter:
    router = APIRouter()
    for module in (status, metrics, backoffice, members, me, hooks, cashouts):
        if module is metrics and faults.active("metrics_missing"):  # FAULT: no metrics for alerting
            continue
        router.include_router(module.router)
    if not faults.active("payouts_router_missing"):  # FAULT (when active): the router is not mounted
        router.include_router(payouts.router)
    if faults.active("bootstrap_endpoint_open"):  # FAULT: an unauthenticated operator bootstrap endpoint
        router.include_router(unsafe.bootstrap_router)
    if faults.active("debug_route_mounted"):  # FAULT: an undeclared maintenance route
        router.include_router(unsafe.debug_router)
    if faults.active("unsigned_callback_route"):  # FAULT: an undeclared callback that checks no signature
        router.include_router(unsafe.callback_router)
    if faults.active("undeclared_seed_route"):  # FAULT: an open seed route that credits money, not in OpenAPI
        router.include_router(unsafe.seed_router)
    if faults.active("generic_provider_webhook"):  # FAULT: any provider's unsigned callback
        router.include_router(unsafe.generic_webhook_router)
    if faults.active("webhook_shape_first"):  # FAULT: a healthy callback that judges its payload before its signature
        router.include_router(hooks.paypal_router)
    if faults.active("password_reset_routes"):  # FAULT: no defect, the password-reset routes real platforms have
        router.include_router(members.password_reset_router)
    return router


def install(app: FastAPI, settings: Settings) -> None:
    """The alt error shape and the registration rate limit, on `app`."""
    errors.install(app)
    app.state.register_limit = SlidingWindow(settings.register_rate_limit, settings.register_rate_window_seconds)
