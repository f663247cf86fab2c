"""The gate's own PSP impersonator: builds and signs webhooks exactly as CONTRACT §1 says.

Written independently of any platform's verifier on purpose: a signer shared with the thing under test would let one
bug agree with itself. Secrets come in as `Secret` and never leave this module in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from cutover_gate.core.redact import Secret

ADYEN_FIELDS = ("pspReference", "originalReference", "merchantAccountCode", "merchantReference", "value", "currency",
                "eventCode", "success")
STALE_S = 600
"""A timestamp this old is outside any sane ±300 s tolerance."""


@dataclass
class Forged:
    """A webhook ready to send: route key, raw body, headers, and the provider event id it carries."""

    route: str
    body: bytes = field(repr=False)
    headers: dict[str, str] = field(repr=False)
    event_id: str = ""


def _hex_hmac(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def minor_units(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def payout_event(tx_id: str, status: str, provider: str, event_id: str | None = None) -> tuple[bytes, str]:
    event_id = event_id or f"evt_gate_{uuid.uuid4().hex}"
    body = {"withdraw_tx_id": tx_id, "provider": provider, "provider_event_id": event_id, "status": status}
    return json.dumps(body, separators=(",", ":")).encode(), event_id


def _timestamped(body: bytes, secret: Secret, ts: int | None) -> tuple[int, str]:
    """(timestamp, hex HMAC-SHA256 of "<timestamp>." + body): the payout and the Stripe scheme alike."""
    stamp = int(time.time()) if ts is None else ts
    return stamp, _hex_hmac(secret.reveal().encode(), f"{stamp}.".encode() + body)


def sign_payout(body: bytes, secret: Secret | None, *, ts: int | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        stamp, sig = _timestamped(body, secret, ts)
        headers.update({"X-Webhook-Timestamp": str(stamp), "X-Webhook-Signature": sig})
    return headers


def stripe_event(tx_id: str, amount: Decimal, currency: str, event_id: str | None = None) -> tuple[bytes, str]:
    event_id = event_id or f"evt_gate_{uuid.uuid4().hex[:24]}"
    body = {"id": event_id, "object": "event", "type": "checkout.session.completed", "created": int(time.time()),
            "data": {"object": {"id": f"cs_gate_{uuid.uuid4().hex[:24]}", "object": "checkout.session",
                                "client_reference_id": tx_id, "amount_total": minor_units(amount),
                                "currency": currency.lower(), "payment_status": "paid", "status": "complete"}}}
    return json.dumps(body, separators=(",", ":")).encode(), event_id


def sign_stripe(body: bytes, secret: Secret | None, *, ts: int | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        stamp, sig = _timestamped(body, secret, ts)
        headers["Stripe-Signature"] = f"t={stamp},v1={sig}"
    return headers


def adyen_item(tx_id: str, amount: Decimal, currency: str, merchant: str, psp_reference: str | None = None
               ) -> dict[str, object]:
    return {"additionalData": {}, "amount": {"currency": currency.upper(), "value": minor_units(amount)},
            "eventCode": "AUTHORISATION", "eventDate": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            "merchantAccountCode": merchant, "merchantReference": tx_id, "originalReference": "",
            "pspReference": psp_reference or f"{uuid.uuid4().int % 10**16:016d}", "reason": "", "success": "true"}


def adyen_signature(item: dict[str, object], key_b64: Secret) -> str:
    amount = item.get("amount") or {}
    assert isinstance(amount, dict)
    values = {**item, "value": amount.get("value", ""), "currency": amount.get("currency", "")}
    payload = ":".join("" if values.get(f) is None else str(values.get(f)) for f in ADYEN_FIELDS)
    digest = hmac.new(base64.b64decode(key_b64.reveal()), payload.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def adyen_body(item: dict[str, object], key_b64: Secret | None) -> bytes:
    signed = dict(item)
    if key_b64 is not None:
        signed["additionalData"] = {**dict(item.get("additionalData") or {}),  # type: ignore[call-overload]
                                    "hmacSignature": adyen_signature(item, key_b64)}
    payload = {"live": "false", "notificationItems": [{"NotificationRequestItem": signed}]}
    return json.dumps(payload, separators=(",", ":")).encode()


def wrong_secret(secret: Secret) -> Secret:
    """A secret of the same shape that is not the platform's: what an attacker without the key would sign with."""
    raw = secret.reveal()
    if raw.endswith("=") or len(raw) % 4 == 0:
        try:
            decoded = base64.b64decode(raw, validate=True)
            return Secret(base64.b64encode(bytes(b ^ 0x5A for b in decoded)).decode(), "wrong secret")
        except ValueError:
            pass
    return Secret("x" + raw[::-1], "wrong secret")
