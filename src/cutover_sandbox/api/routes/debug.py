"""Routes that must never be mounted in production, mounted only under their faults:

- `debug_route_mounted`: `POST /api/v1/debug/reset-wallets`, an unauthenticated maintenance route (not in the gate's
  profile: the gate finds it in /openapi.json);
- `unsigned_callback_route`: `POST /api/v1/payments/psp2/callback`, a second PSP's callback that checks no signature;
- `undeclared_seed_route`: `POST /api/v1/ci/seed`, unauthenticated and NOT in /openapi.json: it creates a player and
  credits it 1,000.00 (201); OPTIONS answers 405, as to any POST-only route;
- `generic_provider_webhook`: `POST /api/v1/payments/webhook/{provider}`, any provider's callback, unsigned and NOT in
  /openapi.json (mounted after the declared webhooks, so `/api/v1/payments/webhook/stripe` stays Stripe's): it
  credits a player or completes a pending deposit (200 `{"status": "ok"}`), else 400 MISSING_IDS
  (`cutover_sandbox.undeclared`).

The first two move no money: the first answers what it would reset, the second records nothing. What they prove is
that the gate finds routes nobody declared and judges them without acting on them; the last two move real money, and
only a gate that never POSTs to them stays harmless.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cutover_sandbox import undeclared
from cutover_sandbox.api.deps import ContextDep, RawBody, SessionDep
from cutover_sandbox.api.routes.auth import DEFAULT_TENANT

debug_router = APIRouter(prefix="/api/v1/debug", tags=["debug"])
callback_router = APIRouter(prefix="/api/v1/payments/psp2", tags=["webhooks"])
seed_router = APIRouter(prefix="/api/v1/ci", tags=["ci"])
generic_webhook_router = APIRouter(prefix="/api/v1/payments/webhook", tags=["webhooks"])


@debug_router.post("/reset-wallets")
def reset_wallets() -> dict[str, Any]:
    return {"status": "would reset", "dry_run": True}


@callback_router.post("/callback")
def psp2_callback(raw: RawBody) -> dict[str, Any]:
    return {"status": "accepted", "bytes": len(raw)}


@seed_router.post("/seed", status_code=201, include_in_schema=False)
def ci_seed(session: SessionDep, ctx: ContextDep) -> dict[str, Any]:
    player, tx = undeclared.seed_player(session, ctx, DEFAULT_TENANT)
    return {"player_id": str(player.id), "email": player.email, "transaction_id": str(tx.id),
            "credited": str(tx.amount)}


@generic_webhook_router.post("/{provider}", include_in_schema=False)
def provider_webhook(provider: str, raw: RawBody, session: SessionDep, ctx: ContextDep) -> dict[str, Any]:
    undeclared.generic_callback(session, ctx, provider, raw)
    session.commit()
    return {"status": "ok"}
