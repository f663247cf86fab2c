"""The casino dialect's webhooks: the contract's routes and signatures, with the platform's own rules.

- payout (`POST /api/v1/finance/withdrawals/payout/webhook`): signed as on the contract (`inbound.check_payout`),
  applied strictly (`settlement.apply_result`): a valid `paid` event for a withdrawal already paid answers 500 (the
  settlement guard refuses to take the held money twice; nothing is recorded), a `failed` one for a paid withdrawal
  `409 ILLEGAL_TRANSACTION_STATE_TRANSITION`; a replayed event id `200 {"replay": true}`.
- Adyen (`POST /api/v1/payments/adyen/webhook`): the contract's notification and answer, the HMAC key hex-decoded as
  Adyen issues it (`casino.adyen`); it completes the deposits of the Adyen checkout session.
- Stripe (`POST /api/v1/payments/webhook/stripe`): as on the contract.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import ValidationError

from cutover_sandbox import inbound, settlement
from cutover_sandbox.api.casino import adyen
from cutover_sandbox.api.deps import ContextDep, RawBody, SessionDep
from cutover_sandbox.api.routes import webhooks
from cutover_sandbox.errors import ApiError

log = logging.getLogger("cutover_sandbox.webhooks")

router = APIRouter(tags=["webhooks"])


@router.post("/api/v1/finance/withdrawals/payout/webhook")
def payout_webhook(raw: RawBody, session: SessionDep, ctx: ContextDep,
                   x_webhook_timestamp: Annotated[str | None, Header()] = None,
                   x_webhook_signature: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    inbound.check_payout(ctx, x_webhook_timestamp, x_webhook_signature, raw)
    payload = inbound.json_object(raw)
    try:
        event = webhooks.PayoutEvent.model_validate(payload)
    except ValidationError as exc:
        raise ApiError(422, "INVALID_PAYLOAD", str(exc.errors(include_url=False))) from None
    inbound.verified(event.provider, event.provider_event_id)
    try:
        outcome = settlement.apply_result(session, ctx, event.withdraw_tx_id, event.provider, event.provider_event_id,
                                          event.status, payload)
    except settlement.DoubleSettlement as exc:
        log.error("payout webhook refused by the settlement guard: %s", exc)
        raise ApiError(500, "INTERNAL_ERROR", "internal server error") from None
    session.commit()
    return {"replay": outcome == "replay", "status": outcome}


@router.post("/api/v1/payments/adyen/webhook")
def adyen_webhook(raw: RawBody, session: SessionDep, ctx: ContextDep) -> dict[str, Any]:
    items = webhooks.adyen_items(inbound.json_object(raw))
    inbound.check_adyen(ctx, items, adyen.KEY_ENCODING, adyen.hmac_key(ctx.settings.adyen_hmac_key))
    inbound.apply_adyen(session, ctx, items)
    session.commit()
    return {"status": "[accepted]"}


router.add_api_route("/api/v1/payments/webhook/stripe", webhooks.stripe_webhook, methods=["POST"])
