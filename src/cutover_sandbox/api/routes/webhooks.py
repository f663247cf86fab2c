"""PSP and payout webhooks, each with its provider's signature scheme (see `cutover_sandbox.signatures`).

An event is recorded in `webhook_events` under (provider, provider event id) and applied once; a replay answers
the provider's replay shape and moves nothing. Nothing unsigned or wrongly signed ever reaches the ledger.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, ValidationError

from cutover_sandbox import payments, signatures, withdrawals
from cutover_sandbox.api.deps import ContextDep, RawBody, SessionDep
from cutover_sandbox.core.context import AppContext
from cutover_sandbox.errors import ApiError

log = logging.getLogger("cutover_sandbox.webhooks")
router = APIRouter(tags=["webhooks"])


class PayoutEvent(BaseModel):
    withdraw_tx_id: uuid.UUID
    provider: str
    provider_event_id: str
    status: withdrawals.PayoutStatus


def _missing(status_code: int = 400) -> ApiError:
    return ApiError(status_code, "WEBHOOK_SIGNATURE_MISSING", "the webhook signature is missing")


def _invalid(status_code: int = 401) -> ApiError:
    return ApiError(status_code, "WEBHOOK_SIGNATURE_INVALID", "the webhook signature is invalid")


def _stale(status_code: int = 401) -> ApiError:
    return ApiError(status_code, "WEBHOOK_TIMESTAMP_INVALID", "the webhook timestamp is outside the tolerance")


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(raw)
    except ValueError:
        raise ApiError(400, "INVALID_PAYLOAD", "the body is not JSON") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "INVALID_PAYLOAD", "the body is not a JSON object")
    return payload


def _adyen_items(payload: dict[str, Any]) -> list[dict[str, Any]]:
    entries = payload.get("notificationItems")
    items = [entry.get("NotificationRequestItem") if isinstance(entry, dict) else None
             for entry in (entries if isinstance(entries, list) else [])]
    valid = [item for item in items if isinstance(item, dict)]
    if not valid or len(valid) != len(items):
        raise ApiError(400, "INVALID_PAYLOAD", "no notificationItems")
    return valid


def _check_timestamp(ctx: AppContext, timestamp: str | None) -> bool:
    if ctx.faults.active("webhook_accepts_stale_timestamp"):  # FAULT: any age is accepted
        return False
    if ctx.faults.active("webhook_accepts_bad_signature") and not timestamp:  # FAULT: unsigned requests pass
        return False
    return True


def _verified(provider: str, event_id: str) -> None:
    log.info("Signature Verified provider=%s event=%s", provider, event_id)


@router.post("/api/v1/finance/withdrawals/payout/webhook")
def payout_webhook(raw: RawBody, session: SessionDep, ctx: ContextDep,
                   x_webhook_timestamp: Annotated[str | None, Header()] = None,
                   x_webhook_signature: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    settings, faults = ctx.settings, ctx.faults
    if not faults.active("webhook_accepts_bad_signature"):  # FAULT (when active): no signature check at all
        if not x_webhook_timestamp or not x_webhook_signature:
            raise _missing(400)
        if not signatures.payout_signature_valid(settings.webhook_secret, x_webhook_timestamp, raw,
                                                 x_webhook_signature):
            raise _invalid(401)
    if _check_timestamp(ctx, x_webhook_timestamp) and not signatures.timestamp_fresh(
            x_webhook_timestamp or "", settings.webhook_tolerance_seconds):
        raise _stale(401)
    try:
        event = PayoutEvent.model_validate(_json_object(raw))
    except ValidationError as exc:
        raise ApiError(422, "INVALID_PAYLOAD", str(exc.errors(include_url=False))) from None
    _verified(event.provider, event.provider_event_id)
    outcome = withdrawals.apply_payout_result(session, ctx, event.withdraw_tx_id, event.provider,
                                              event.provider_event_id, event.status, _json_object(raw))
    session.commit()
    if outcome == "replay":
        return {"replay": True, "status": "replay"}
    return {"replay": False, "status": outcome}


@router.post("/api/v1/payments/adyen/webhook")
def adyen_webhook(raw: RawBody, session: SessionDep, ctx: ContextDep) -> dict[str, Any]:
    settings, faults = ctx.settings, ctx.faults
    payload = _json_object(raw)
    items = _adyen_items(payload)
    for item in items:
        signature = (item.get("additionalData") or {}).get("hmacSignature")
        if faults.active("webhook_accepts_bad_signature"):  # FAULT: signatures are not checked
            continue
        if not signature:
            raise _missing(401)
        if not signatures.adyen_signature_valid(settings.adyen_hmac_key, item, str(signature)):
            raise _invalid(401)
    for item in items:
        event_id = f"{item.get('pspReference')}:{item.get('eventCode')}"
        _verified("adyen", event_id)
        if item.get("eventCode") != "AUTHORISATION":
            payments.record_event(session, "adyen", event_id, None, item, "ignored")
            continue
        amount = item.get("amount") or {}
        payments.complete_deposit(
            session, ctx, "adyen", event_id, str(item.get("merchantReference")),
            amount_minor=int(amount["value"]) if "value" in amount else None, currency=amount.get("currency"),
            success=str(item.get("success")).lower() == "true", raw=item,
            provider_ref=str(item.get("pspReference")))
    session.commit()
    return {"status": "[accepted]"}


@router.post("/api/v1/payments/webhook/stripe")
def stripe_webhook(raw: RawBody, session: SessionDep, ctx: ContextDep,
                   stripe_signature: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    settings, faults = ctx.settings, ctx.faults
    timestamp, sigs = signatures.parse_stripe_header(stripe_signature or "")
    if not faults.active("webhook_accepts_bad_signature"):  # FAULT (when active): no signature check at all
        if not timestamp or not sigs:
            raise _missing(400)
        if not signatures.stripe_signature_valid(settings.stripe_webhook_secret, timestamp, raw, sigs):
            raise _invalid(400)
    if _check_timestamp(ctx, timestamp) and not signatures.timestamp_fresh(timestamp or "",
                                                                            settings.webhook_tolerance_seconds):
        raise _stale(400)
    event = _json_object(raw)
    event_id, event_type = str(event.get("id") or ""), str(event.get("type") or "")
    if not event_id:
        raise ApiError(400, "INVALID_PAYLOAD", "the event has no id")
    _verified("stripe", event_id)
    obj = (event.get("data") or {}).get("object") or {}
    if event_type not in ("checkout.session.completed", "checkout.session.async_payment_failed"):
        if payments.record_event(session, "stripe", event_id, None, event, "ignored") is None:
            return {"status": "idempotent_skip"}
        session.commit()
        return {"status": "ignored"}
    outcome = payments.complete_deposit(
        session, ctx, "stripe", event_id, str(obj.get("client_reference_id")),
        amount_minor=int(obj["amount_total"]) if obj.get("amount_total") is not None else None,
        currency=obj.get("currency"), success=event_type == "checkout.session.completed", raw=event,
        provider_ref=obj.get("id"))
    session.commit()
    return {"status": "idempotent_skip" if outcome == "replay" else outcome}
