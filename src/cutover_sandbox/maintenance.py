"""The maintenance page (runbook B.1 "enable the maintenance page / block ingress", rollback steps 1 and 5).

While the flag file exists (`cutover-sandbox serve --maintenance-flag FILE`, or `CUTOVER_SANDBOX_MAINTENANCE_FLAG`),
the player-facing routes answer `503 {"error_code": "MAINTENANCE", ...}` with `Retry-After`, as an ingress maintenance
page would; the deployer's routes (health, readiness, version, admin, finance, metrics, PSP webhooks) keep answering,
so the smoke can run inside the window. The file is checked on every request: `touch` opens the window, `rm` reopens
traffic. No route controls it, so nothing on the API can switch a platform into or out of maintenance. A dialect whose
errors are nested (casino) answers the same page as `{"detail": {"error_code": "MAINTENANCE", "message": ...}}`.
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

PUBLIC_PREFIXES = ("/api/v1/player/", "/api/v1/auth/player/", "/api/v1/verify/", "/api/v1/payments/adyen/checkout/")
ERROR_CODE = "MAINTENANCE"
MESSAGE = "Scheduled maintenance: the platform is being upgraded. Please try again shortly."
RETRY_AFTER_S = 60


class MaintenanceMiddleware:
    def __init__(self, app: ASGIApp, flag: Path, nested: bool = False) -> None:
        self.app = app
        self.flag = flag
        error = {"error_code": ERROR_CODE, "message": MESSAGE}
        self.body: dict[str, object] = {"detail": error} if nested else dict(error)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope["path"]).startswith(PUBLIC_PREFIXES) and self.flag.exists():
            page = JSONResponse(self.body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})
            await page(scope, receive, send)
            return
        await self.app(scope, receive, send)
