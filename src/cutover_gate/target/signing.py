"""The gate's own PSP impersonator: builds a webhook route's event from its profile template and signs it with its
scheme, as a PSP would (CONTRACT §1 for the default routes).

- `hmac_ts`: hex HMAC-SHA256 of "<ts>.<raw body>" in the route's signature header, the Unix time in its timestamp
  header;
- `stripe`: the `t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<raw body>">` header;
- `adyen`: base64 HMAC-SHA256 (the key base64-decoded) over the item's signed fields joined by ":", written into the
  item at the route's signature path;
- `none`: no signature.

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
from typing import Any

from cutover_gate.config.profile_schema import WebhookRoute
from cutover_gate.config.target_profile import dig
from cutover_gate.core.redact import Secret
from cutover_gate.target.calls import fill

STALE_S = 600
"""A timestamp this old is outside any sane ±300 s tolerance."""
TIMESTAMPED = frozenset({"hmac_ts", "stripe"})


@dataclass
class Forged:
    """A webhook ready to send: its route, raw body, headers, and the event id it carries."""

    route: str
    body: bytes = field(repr=False)
    headers: dict[str, str] = field(repr=False)
    event_id: str = ""


def minor_units(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def event_values(tx_id: str, amount: Decimal, currency: str, *, outcome: str, provider: str, merchant: str,
                 event_id: str | None = None) -> dict[str, Any]:
    """What a route's payload template may name (profile_schema.WEBHOOK_PLACEHOLDERS)."""
    now = int(time.time())
    return {"tx_id": tx_id, "event_id": event_id or f"{uuid.uuid4().int % 10**16:016d}", "outcome": outcome,
            "provider": provider, "amount": f"{amount:.2f}", "amount_minor": minor_units(amount),
            "currency": currency, "currency_lower": currency.lower(), "currency_upper": currency.upper(),
            "merchant": merchant, "now": now, "now_iso": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now)),
            "nonce": uuid.uuid4().hex[:24]}


def _hex_hmac(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def encode(payload: Any) -> bytes:
    """A payload as a PSP sends it: compact JSON."""
    return json.dumps(payload, separators=(",", ":")).encode()


def sign(name: str, route: WebhookRoute, body: bytes, secret: Secret | None, ts: int | None = None) -> Forged:
    """Headers for `body` under the route's scheme (none without a secret); `ts` overrides the signing time."""
    headers = {"Content-Type": "application/json"}
    event_id = ""
    if secret is not None and route.scheme in TIMESTAMPED:
        stamp = int(time.time()) if ts is None else ts
        signature = _hex_hmac(secret.reveal().encode(), f"{stamp}.".encode() + body)
        if route.scheme == "hmac_ts":
            headers.update({route.timestamp_header: str(stamp), route.signature_header: signature})
        else:
            headers[route.signature_header] = f"t={stamp},v1={signature}"
    return Forged(name, body, headers, event_id)


def forge(name: str, route: WebhookRoute, values: dict[str, Any], secret: Secret | None, *,
          ts: int | None = None) -> Forged:
    """The route's event for `values`, signed with `secret` (unsigned when None)."""
    payload = fill(route.payload, values, f"webhook route '{name}'")
    if route.scheme == "adyen" and secret is not None:
        item = dig(payload, route.item_path)
        message = ":".join("" if (v := _maybe(item, f)) is None else str(v) for f in route.signed_fields)
        digest = hmac.new(base64.b64decode(secret.reveal()), message.encode(), hashlib.sha256).digest()
        *parents, last = route.signature_path.split(".")
        target = item
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = base64.b64encode(digest).decode()
    forged = sign(name, route, encode(payload), secret, ts)
    forged.event_id = str(values["event_id"])
    return forged


def _maybe(item: Any, where: str) -> Any:
    try:
        return dig(item, where)
    except KeyError:
        return None


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
