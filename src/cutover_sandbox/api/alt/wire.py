"""How the mock PSP delivers to the alt dialect's webhook routes (`routes/hooks.py`): paths, headers, payloads.

The payout result also carries the platform's service token (`bearer`), which the mock PSP adds at delivery time.
The acquirer's items are signed again with the key hex-decoded (`hooks.ACQUIRER_KEY_ENCODING`), as Adyen signs.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from cutover_sandbox import signatures
from cutover_sandbox.api.alt import names
from cutover_sandbox.api.alt.routes.hooks import ACQUIRER_KEY_ENCODING, CARD_SIGNATURE_HEADER, PAYOUT_HEADERS
from cutover_sandbox.core.config import Settings
from cutover_sandbox.psp import Webhook

CARDS_PATH = "/v2/hooks/cards"
ACQUIRER_PATH = "/v2/hooks/acquirer"
PAYOUT_PATH = "/v2/hooks/payout-result"

log = logging.getLogger("cutover_sandbox.psp")


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


class AltWire:
    def stripe(self, settings: Settings, event: dict[str, Any]) -> Webhook:
        body = _json(event)
        return Webhook(CARDS_PATH, body, {CARD_SIGNATURE_HEADER: signatures.stripe_header(
            settings.stripe_webhook_secret, body), "Content-Type": "application/json"})

    def adyen(self, settings: Settings, item: dict[str, Any]) -> Webhook:
        """`item` comes signed the contract's way (base64 key): signed again as the acquirer's route verifies it."""
        try:
            signed = signatures.adyen_sign_item(settings.adyen_hmac_key, item, ACQUIRER_KEY_ENCODING)
        except ValueError:
            log.warning("CUTOVER_ADYEN_HMAC_KEY is not hex, as the alt dialect's acquirer needs: its notification "
                        "goes unsigned and is refused")
            signed = {**item, "additionalData": {k: v for k, v in (item.get("additionalData") or {}).items()
                                                 if k != "hmacSignature"}}
        return Webhook(ACQUIRER_PATH, _json({"batch": [signed]}), {"Content-Type": "application/json"})

    def payout(self, settings: Settings, tx_id: str, provider: str, event_id: str, status: str) -> Webhook:
        body = _json({"cashout_ref": tx_id, "psp": provider, "event_id": event_id,
                      "outcome": names.OUTCOMES_OUT[status]})
        return Webhook(PAYOUT_PATH, body, signatures.payout_headers(settings.webhook_secret, body,
                                                                    names=PAYOUT_HEADERS), bearer=True)
