"""alt: the PSPs' webhooks. Same signature schemes as the contract (checked and applied by
`cutover_sandbox.inbound`), other paths, header names and payloads:

- `POST /v2/hooks/payout-result`: `Authorization: Bearer <admin token>` AND `X-Sig-Timestamp` + `X-Sig`
  (hex HMAC-SHA256 of "<ts>.<raw body>" with the payout secret); `{"cashout_ref","psp","event_id","outcome"}`
  with outcome `SUCCESS` | `FAILURE`. No bearer: 401 before the signature is even read.
- `POST /v2/hooks/cards`: the card PSP (Stripe scheme) with `X-Card-Signature: t=<ts>,v1=<hex>`; a Stripe event.
- `POST /v2/hooks/acquirer`: the acquirer (Adyen scheme, `additionalData.hmacSignature` per item) as
  `{"batch": [<NotificationRequestItem>, ...]}`. Unlike the contract's route, its HMAC key
  (`CUTOVER_ADYEN_HMAC_KEY`) is what Adyen issues, 64 hexadecimal characters, and is hex-decoded as Adyen's own
  libraries do (`ACQUIRER_KEY_ENCODING`); a key that is not hex verifies nothing, so every item is refused.

A replayed event answers 200 `{"ack": true, "replayed": true, ...}` and moves nothing.

`paypal_router` (mounted under the fault `webhook_shape_first`, undeclared and not in /openapi.json):
`POST /v2/webhooks/paypal`, a healthy PayPal-like callback that judges the body's shape before its
`PAYPAL-TRANSMISSION-SIG` (`cutover_sandbox.undeclared.check_paypal`): 400 `MALFORMED_PAYLOAD`, then 401
`SIGNATURE_MISSING` / `SIGNATURE_INVALID`; it never moves money.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from pydantic import BaseModel, ValidationError

from cutover_sandbox import inbound, signatures, undeclared, withdrawals
from cutover_sandbox.api.alt import names
from cutover_sandbox.api.deps import ContextDep, CurrentAdmin, RawBody, SessionDep
from cutover_sandbox.core.context import AppContext
from cutover_sandbox.errors import ApiError

router = APIRouter(prefix="/v2/hooks", tags=["webhooks"])
paypal_router = APIRouter(prefix="/v2/webhooks", tags=["webhooks"])

PAYOUT_HEADERS = ("X-Sig-Timestamp", "X-Sig")
CARD_SIGNATURE_HEADER = "X-Card-Signature"
ACQUIRER_KEY_ENCODING: signatures.KeyEncoding = "hex"
"""The acquirer's HMAC key is hex, as Adyen issues it (the contract's route reads it as base64)."""


class PayoutResult(BaseModel):
    cashout_ref: uuid.UUID
    psp: str
    event_id: str
    outcome: Literal["SUCCESS", "FAILURE"]


def _answer(outcome: str) -> dict[str, Any]:
    return {"ack": True, "replayed": outcome == "replay", "result": outcome.upper()}


def _batch(payload: dict[str, Any]) -> list[dict[str, Any]]:
    entries = payload.get("batch")
    items = entries if isinstance(entries, list) else []
    if not items or not all(isinstance(item, dict) for item in items):
        raise ApiError(400, "INVALID_PAYLOAD", "no batch of notification items")
    return items


def _check_acquirer(ctx: AppContext, items: list[dict[str, Any]]) -> None:
    """`inbound.check_adyen` with the key hex-decoded: 401 when an item's signature is missing or wrong."""
    for item in items:
        signature = (item.get("additionalData") or {}).get("hmacSignature")
        if ctx.faults.active("webhook_accepts_bad_signature"):  # FAULT: signatures are not checked
            continue
        if not signature:
            raise inbound.missing(401)
        if not signatures.adyen_signature_valid(ctx.settings.adyen_hmac_key, item, str(signature),
                                                ACQUIRER_KEY_ENCODING):
            raise inbound.invalid(401)


@router.post("/payout-result")
def payout_result(raw: RawBody, session: SessionDep, ctx: ContextDep, _service: CurrentAdmin,
                  x_sig_timestamp: Annotated[str | None, Header()] = None,
                  x_sig: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    inbound.check_payout(ctx, x_sig_timestamp, x_sig, raw)
    payload = inbound.json_object(raw)
    try:
        event = PayoutResult.model_validate(payload)
    except ValidationError as exc:
        raise ApiError(422, "INVALID_PAYLOAD", str(exc.errors(include_url=False))) from None
    inbound.verified(event.psp, event.event_id)
    outcome = withdrawals.apply_payout_result(session, ctx, event.cashout_ref, event.psp, event.event_id,
                                              names.OUTCOMES[event.outcome], payload)
    session.commit()
    return _answer(outcome)


@router.post("/cards")
def cards(raw: RawBody, session: SessionDep, ctx: ContextDep,
          x_card_signature: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    inbound.check_stripe(ctx, x_card_signature, raw)
    outcome = inbound.apply_stripe(session, ctx, inbound.json_object(raw))
    session.commit()
    return _answer(outcome)


@router.post("/acquirer")
def acquirer(raw: RawBody, session: SessionDep, ctx: ContextDep) -> dict[str, Any]:
    items = _batch(inbound.json_object(raw))
    _check_acquirer(ctx, items)
    outcomes = inbound.apply_adyen(session, ctx, items)
    session.commit()
    return {"ack": True, "replayed": all(outcome == "replay" for outcome in outcomes),
            "results": [outcome.upper() for outcome in outcomes]}


@paypal_router.post("/paypal", include_in_schema=False)
def paypal(raw: RawBody, paypal_transmission_sig: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    undeclared.check_paypal(raw, paypal_transmission_sig)
