"""Routes that must never be mounted in production, mounted only under their faults:

- `debug_route_mounted`: `POST /api/v1/debug/reset-wallets`, an unauthenticated maintenance route (not in the gate's
  profile: the gate finds it in /openapi.json);
- `unsigned_callback_route`: `POST /api/v1/payments/psp2/callback`, a second PSP's callback that checks no signature.

Neither moves money: the first answers what it would reset, the second records nothing. What they prove is that the
gate finds routes nobody declared and judges them without acting on them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cutover_sandbox.api.deps import RawBody

debug_router = APIRouter(prefix="/api/v1/debug", tags=["debug"])
callback_router = APIRouter(prefix="/api/v1/payments/psp2", tags=["webhooks"])


@debug_router.post("/reset-wallets")
def reset_wallets() -> dict[str, Any]:
    return {"status": "would reset", "dry_run": True}


@callback_router.post("/callback")
def psp2_callback(raw: RawBody) -> dict[str, Any]:
    return {"status": "accepted", "bytes": len(raw)}
