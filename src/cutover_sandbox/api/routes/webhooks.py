"""PSP and payout webhooks, each with its provider's signature scheme (checked and applied by
`cutover_sandbox.inbound`): the routes only read the contract's headers and payload wrappers.

`paypal_router` (mounted under the fault `webhook_shape_first`, undeclared and not in /openapi.json) is a healthy
PayPal-like callback that judges the body's shape before its signature (`cutover_sandbox.undeclared.check_paypal`):
400 INVALID_PAYLOAD, then 401 WEBHOOK_SIGNATURE_MISSING / WEBHOOK_SIGNATURE_INVALID; it never moves money.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, ValidationError

from cutover_sandbox import inbound, undeclared, withdrawals
from cutover_sandbox.api.deps import ContextDep, RawBody, SessionDep
from cutover_sandbox.errors import ApiError

router = APIRouter(tags=["webhooks"])
paypal_router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


class PayoutEvent(BaseModel):
    withdraw_tx_id: uuid.UUID
    provider: str
    provider_event_id: str
    status: withdrawals.PayoutStatus


def adyen_items(payload: dict[str, Any]) -> list[dict[str, Any]]:
    entries = payload.get("notificationItems")
    items = [entry.get("NotificationRequestItem") if isinstance(entry, dict) else None
             for entry in (entries if isinstance(entries, list) else [])]
    valid = [item for item in items if isinstance(item, dict)]
    if not valid or len(valid) != len(items):
        raise ApiError(400, "INVALID_PAYLOAD", "no notificationItems")
    return valid


@router.post("/api/v1/finance/withdrawals/payout/webhook")
def payout_webhook(raw: RawBody, session: SessionDep, ctx: ContextDep,
                   x_webhook_timestamp: Annotated[str | None, Header()] = None,
                   x_webhook_signature: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    inbound.check_payout(ctx, x_webhook_timestamp, x_webhook_signature, raw)
    payload = inbound.json_object(raw)
    try:
        event = PayoutEvent.model_validate(payload)
    except ValidationError as exc:
        raise ApiError(422, "INVALID_PAYLOAD", str(exc.errors(include_url=False))) from None
    inbound.verified(event.provider, event.provider_event_id)
    outcome = withdrawals.apply_payout_result(session, ctx, event.withdraw_tx_id, event.provider,
                                              event.provider_event_id, event.status, payload)
    session.commit()
    if outcome == "replay":
        return {"replay": True, "status": "replay"}
    return {"replay": False, "status": outcome}


@router.post("/api/v1/payments/adyen/webhook")
def adyen_webhook(raw: RawBody, session: SessionDep, ctx: ContextDep) -> dict[str, Any]:
    items = adyen_items(inbound.json_object(raw))
    inbound.check_adyen(ctx, items)
    inbound.apply_adyen(session, ctx, items)
    session.commit()
    return {"status": "[accepted]"}


@router.post("/api/v1/payments/webhook/stripe")
def stripe_webhook(raw: RawBody, session: SessionDep, ctx: ContextDep,
                   stripe_signature: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    inbound.check_stripe(ctx, stripe_signature, raw)
    outcome = inbound.apply_stripe(session, ctx, inbound.json_object(raw))
    session.commit()
    if outcome == "replay":
        return {"status": "idempotent_skip"}
    return {"status": outcome}


@paypal_router.post("/paypal", include_in_schema=False)
def paypal_webhook(raw: RawBody, paypal_transmission_sig: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    undeclared.check_paypal(raw, paypal_transmission_sig)
