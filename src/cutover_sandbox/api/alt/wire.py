"""How the mock PSP delivers to the alt dialect's webhook routes (`routes/hooks.py`): paths, headers, payloads.

The payout result also carries the platform's service token (`bearer`), which the mock PSP adds at delivery time.
"""

from __future__ import annotations

import json
from typing import Any

from cutover_sandbox import signatures
from cutover_sandbox.api.alt import names
from cutover_sandbox.api.alt.routes.hooks import CARD_SIGNATURE_HEADER, PAYOUT_HEADERS
from cutover_sandbox.core.config import Settings
from cutover_sandbox.psp import Webhook

CARDS_PATH = "/v2/hooks/cards"
ACQUIRER_PATH = "/v2/hooks/acquirer"
PAYOUT_PATH = "/v2/hooks/payout-result"


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


class AltWire:
    def stripe(self, settings: Settings, event: dict[str, Any]) -> Webhook:
        body = _json(event)
        return Webhook(CARDS_PATH, body, {CARD_SIGNATURE_HEADER: signatures.stripe_header(
            settings.stripe_webhook_secret, body), "Content-Type": "application/json"})

    def adyen(self, settings: Settings, item: dict[str, Any]) -> Webhook:
        return Webhook(ACQUIRER_PATH, _json({"batch": [item]}), {"Content-Type": "application/json"})

    def payout(self, settings: Settings, tx_id: str, provider: str, event_id: str, status: str) -> Webhook:
        body = _json({"cashout_ref": tx_id, "psp": provider, "event_id": event_id,
                      "outcome": names.OUTCOMES_OUT[status]})
        return Webhook(PAYOUT_PATH, body, signatures.payout_headers(settings.webhook_secret, body,
                                                                    names=PAYOUT_HEADERS), bearer=True)
