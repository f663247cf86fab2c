"""Inbound PSP events: check a webhook's signature the way its provider signs, then apply it exactly once.

Shared by every dialect's webhook routes, which differ only in paths, header names and payload wrappers (errors carry
the default codes). An event is recorded in `webhook_events` under (provider, provider event id) and applied once;
a replay moves nothing. Nothing unsigned or wrongly signed ever reaches the ledger.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy.orm import Session

from cutover_sandbox import payments, signatures
from cutover_sandbox.core.context import AppContext
from cutover_sandbox.errors import ApiError
from cutover_sandbox.payments import EventOutcome

log = logging.getLogger("cutover_sandbox.webhooks")

STRIPE_DEPOSIT_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_failed")


def missing(status_code: int = 400) -> ApiError:
    return ApiError(status_code, "WEBHOOK_SIGNATURE_MISSING", "the webhook signature is missing")


def invalid(status_code: int = 401) -> ApiError:
    return ApiError(status_code, "WEBHOOK_SIGNATURE_INVALID", "the webhook signature is invalid")


def stale(status_code: int = 401) -> ApiError:
    return ApiError(status_code, "WEBHOOK_TIMESTAMP_INVALID", "the webhook timestamp is outside the tolerance")


def json_object(raw: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(raw)
    except ValueError:
        raise ApiError(400, "INVALID_PAYLOAD", "the body is not JSON") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "INVALID_PAYLOAD", "the body is not a JSON object")
    return payload


def verified(provider: str, event_id: str) -> None:
    log.info("Signature Verified provider=%s event=%s", provider, event_id)


def _check_timestamp(ctx: AppContext, timestamp: str | None) -> bool:
    if ctx.faults.active("webhook_accepts_stale_timestamp"):  # FAULT: any age is accepted
        return False
    if ctx.faults.active("webhook_accepts_bad_signature") and not timestamp:  # FAULT: unsigned requests pass
        return False
    return True


def check_payout(ctx: AppContext, timestamp: str | None, signature: str | None, raw: bytes) -> None:
    """`hex(HMAC_SHA256(secret, "<ts>." + raw))` within the tolerance: 400 missing, 401 invalid or stale."""
    settings, faults = ctx.settings, ctx.faults
    if not faults.active("webhook_accepts_bad_signature"):  # FAULT (when active): no signature check at all
        if not timestamp or not signature:
            raise missing(400)
        if not signatures.payout_signature_valid(settings.webhook_secret, timestamp, raw, signature):
            raise invalid(401)
    if _check_timestamp(ctx, timestamp) and not signatures.timestamp_fresh(timestamp or "",
                                                                            settings.webhook_tolerance_seconds):
        raise stale(401)


def check_stripe(ctx: AppContext, header: str | None, raw: bytes) -> None:
    """A Stripe-scheme `t=<ts>,v1=<hex>` header within the tolerance: 400 when missing, wrong or stale."""
    settings, faults = ctx.settings, ctx.faults
    timestamp, sigs = signatures.parse_stripe_header(header or "")
    if not faults.active("webhook_accepts_bad_signature"):  # FAULT (when active): no signature check at all
        if not timestamp or not sigs:
            raise missing(400)
        if not signatures.stripe_signature_valid(settings.stripe_webhook_secret, timestamp, raw, sigs):
            raise invalid(400)
    if _check_timestamp(ctx, timestamp) and not signatures.timestamp_fresh(timestamp or "",
                                                                            settings.webhook_tolerance_seconds):
        raise stale(400)


def check_adyen(ctx: AppContext, items: list[dict[str, Any]], encoding: signatures.KeyEncoding = "base64",
                key: str | None = None) -> None:
    """Every item's `additionalData.hmacSignature` (Adyen scheme): 401 when one is missing or wrong. The HMAC key is
    `key` (default: the settings' `adyen_hmac_key`), its text read as `encoding` (the contract's route: base64)."""
    hmac_key = ctx.settings.adyen_hmac_key if key is None else key
    for item in items:
        signature = (item.get("additionalData") or {}).get("hmacSignature")
        if ctx.faults.active("webhook_accepts_bad_signature"):  # FAULT: signatures are not checked
            continue
        if not signature:
            raise missing(401)
        if not signatures.adyen_signature_valid(hmac_key, item, str(signature), encoding):
            raise invalid(401)


def apply_adyen(session: Session, ctx: AppContext, items: list[dict[str, Any]]) -> list[EventOutcome]:
    """Apply verified Adyen notification items: an `AUTHORISATION` credits the deposit `merchantReference` once.
    The outcome of each item, in order."""
    outcomes: list[EventOutcome] = []
    for item in items:
        event_id = f"{item.get('pspReference')}:{item.get('eventCode')}"
        verified("adyen", event_id)
        if item.get("eventCode") != "AUTHORISATION":
            fresh = payments.record_event(session, "adyen", event_id, None, item, "ignored")
            outcomes.append("ignored" if fresh else "replay")
            continue
        amount = item.get("amount") or {}
        outcomes.append(payments.complete_deposit(
            session, ctx, "adyen", event_id, str(item.get("merchantReference")),
            amount_minor=int(amount["value"]) if "value" in amount else None, currency=amount.get("currency"),
            success=str(item.get("success")).lower() == "true", raw=item,
            provider_ref=str(item.get("pspReference"))))
    return outcomes


def apply_stripe(session: Session, ctx: AppContext, event: dict[str, Any]) -> EventOutcome:
    """Apply a verified Stripe event: a checkout session completed (or failed) settles the deposit
    `client_reference_id` once; other event types are recorded and ignored."""
    event_id, event_type = str(event.get("id") or ""), str(event.get("type") or "")
    if not event_id:
        raise ApiError(400, "INVALID_PAYLOAD", "the event has no id")
    verified("stripe", event_id)
    obj = (event.get("data") or {}).get("object") or {}
    if event_type not in STRIPE_DEPOSIT_EVENTS:
        return "replay" if payments.record_event(session, "stripe", event_id, None, event, "ignored") is None \
            else "ignored"
    return payments.complete_deposit(
        session, ctx, "stripe", event_id, str(obj.get("client_reference_id")),
        amount_minor=int(obj["amount_total"]) if obj.get("amount_total") is not None else None,
        currency=obj.get("currency"), success=event_type == STRIPE_DEPOSIT_EVENTS[0], raw=event,
        provider_ref=obj.get("id"))
