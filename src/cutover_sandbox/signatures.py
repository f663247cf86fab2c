"""The three webhook signature schemes (CONTRACT §1, Webhooks): sign and verify, shared by routes and the mock PSP.

- payout: `X-Webhook-Timestamp: <unix s>`, `X-Webhook-Signature: hex(HMAC_SHA256(secret, "<ts>." + raw_body))`
- Adyen: `additionalData.hmacSignature` = base64(HMAC_SHA256(decode(key),
  "pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success")), the
  key base64-decoded on the contract's route (CONTRACT §1); a dialect may hex-decode it instead, the way Adyen issues
  its HMAC key (64 hexadecimal characters) and its own libraries read it (`encoding="hex"`).
- Stripe: `Stripe-Signature: t=<ts>,v1=<hex HMAC_SHA256(secret, "<ts>." + raw_body)>`
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any, Literal

KeyEncoding = Literal["base64", "hex"]
"""How an Adyen HMAC key's text becomes its bytes: base64 (CONTRACT §1) or hex (as Adyen issues it)."""

ADYEN_SIGNED_FIELDS = ("pspReference", "originalReference", "merchantAccountCode", "merchantReference", "value",
                       "currency", "eventCode", "success")


def _hmac_hex(secret: bytes, message: bytes) -> str:
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def now() -> int:
    return int(time.time())


def timestamp_fresh(timestamp: str | int, tolerance: int) -> bool:
    try:
        return abs(now() - int(timestamp)) <= tolerance
    except (TypeError, ValueError):
        return False


# -- payout webhook -----------------------------------------------------------------------------------------------

def payout_signature(secret: str, timestamp: str | int, body: bytes) -> str:
    return _hmac_hex(secret.encode(), f"{timestamp}.".encode() + body)


def payout_headers(secret: str, body: bytes, timestamp: int | None = None, *,
                   names: tuple[str, str] = ("X-Webhook-Timestamp", "X-Webhook-Signature")) -> dict[str, str]:
    """The signed headers; `names` = (timestamp header, signature header), the contract's unless a dialect differs."""
    ts = now() if timestamp is None else timestamp
    return {names[0]: str(ts), names[1]: payout_signature(secret, ts, body), "Content-Type": "application/json"}


def payout_signature_valid(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(payout_signature(secret, timestamp, body), signature.strip().lower())


# -- Adyen ---------------------------------------------------------------------------------------------------------

def adyen_payload(item: Mapping[str, Any]) -> str:
    amount = item.get("amount") or {}
    values = {**item, "value": amount.get("value", ""), "currency": amount.get("currency", "")}
    return ":".join("" if values.get(name) is None else str(values.get(name)) for name in ADYEN_SIGNED_FIELDS)


def adyen_key(hmac_key: str, encoding: KeyEncoding = "base64") -> bytes:
    """The key's bytes; ValueError (binascii.Error) when its text is not of `encoding`. Hex is read strictly, as
    Adyen's libraries do (`binascii.a2b_hex`: an even count of hex digits, nothing else)."""
    return binascii.a2b_hex(hmac_key) if encoding == "hex" else base64.b64decode(hmac_key)


def adyen_signature(hmac_key: str, item: Mapping[str, Any], encoding: KeyEncoding = "base64") -> str:
    digest = hmac.new(adyen_key(hmac_key, encoding), adyen_payload(item).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def adyen_signature_valid(hmac_key: str, item: Mapping[str, Any], signature: str,
                          encoding: KeyEncoding = "base64") -> bool:
    """Whether `signature` is the item's; False too when the key does not decode (nothing can be verified)."""
    try:
        expected = adyen_signature(hmac_key, item, encoding)
    except ValueError:  # binascii.Error, or a key that is not ASCII
        return False
    return hmac.compare_digest(expected.encode(), signature.encode())


def adyen_sign_item(hmac_key: str, item: dict[str, Any], encoding: KeyEncoding = "base64") -> dict[str, Any]:
    """The item with `additionalData.hmacSignature` set."""
    signed = {**item, "additionalData": {**(item.get("additionalData") or {})}}
    signed["additionalData"]["hmacSignature"] = adyen_signature(hmac_key, item, encoding)
    return signed


# -- Stripe --------------------------------------------------------------------------------------------------------

def stripe_signature(secret: str, timestamp: str | int, body: bytes) -> str:
    return _hmac_hex(secret.encode(), f"{timestamp}.".encode() + body)


def stripe_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    ts = now() if timestamp is None else timestamp
    return f"t={ts},v1={stripe_signature(secret, ts, body)}"


def parse_stripe_header(header: str) -> tuple[str | None, list[str]]:
    """(timestamp, [v1 signatures]) from a `Stripe-Signature` header."""
    timestamp: str | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1" and value:
            signatures.append(value)
    return timestamp, signatures


def stripe_signature_valid(secret: str, timestamp: str, body: bytes, signatures: list[str]) -> bool:
    expected = stripe_signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, sig) for sig in signatures)
