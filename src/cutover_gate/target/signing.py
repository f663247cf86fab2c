"""The gate's own PSP impersonator: builds a webhook route's event from its profile template and signs it with its
scheme, as a PSP would (CONTRACT §1 for the default routes).

- `hmac_ts`: hex HMAC-SHA256 of "<ts>.<raw body>" in the route's signature header, the Unix time in its timestamp
  header;
- `stripe`: the `t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<raw body>">` header;
- `adyen`: base64 HMAC-SHA256 over the item's signed fields joined by ":", written into the item at the route's
  signature path;
- `none`: no signature.

The secret's text becomes the HMAC key by the route's `key_encoding` (`key_bytes`): "hex" (Adyen issues its HMAC key
as 64 hex characters and its own libraries hex-decode it), "base64", or "raw" (its UTF-8 bytes); unset, the scheme's
default (`DEFAULT_KEY_ENCODING`: adyen base64 as CONTRACT §1 says, hmac_ts and stripe raw). A secret that does not
decode under its encoding is a `CheckFailed` naming the route and the encoding, never the key.

Written independently of any platform's verifier on purpose: a signer shared with the thing under test would let one
bug agree with itself. Secrets come in as `Secret` and never leave this module in clear.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from cutover_gate.config.profile_schema import WebhookRoute
from cutover_gate.config.target_profile import dig
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import Secret
from cutover_gate.target.calls import fill

STALE_S = 600
"""A timestamp this old is outside any sane ±300 s tolerance."""
TIMESTAMPED = frozenset({"hmac_ts", "stripe"})
KeyEncoding = Literal["hex", "base64", "raw"]
DEFAULT_KEY_ENCODING: dict[str, KeyEncoding] = {"adyen": "base64", "hmac_ts": "raw", "stripe": "raw", "none": "raw"}
"""How a scheme turns its secret's text into the HMAC key when the route says nothing (CONTRACT §1)."""
_SHAPE = {"hex": Reason.of(N_("an even number of hexadecimal digits")),
          "base64": Reason.of(N_("standard base64 (A-Z a-z 0-9 + /, padded with =)")), "raw": Reason.of(N_("text"))}


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


def key_encoding(route: WebhookRoute) -> KeyEncoding:
    """The route's key encoding, or its scheme's default."""
    return route.key_encoding or DEFAULT_KEY_ENCODING[route.scheme]


def _decode(text: str, encoding: KeyEncoding) -> bytes:
    """ValueError (never quoting `text`) when it is not of `encoding`."""
    if encoding == "hex":
        return binascii.unhexlify(text)  # as Adyen's libraries do: no blanks, no 0x, an even count
    if encoding == "base64":
        return base64.b64decode(text, validate=True)
    return text.encode()


def key_bytes(name: str, route: WebhookRoute, secret: Secret) -> bytes:
    """The HMAC key the route's secret stands for; CheckFailed naming the route and the encoding when it does not
    decode (the key itself is never quoted)."""
    encoding = key_encoding(route)
    try:
        return _decode(secret.reveal(), encoding)
    except ValueError:  # binascii.Error, or text that is not ASCII
        how: str | Reason = "key_encoding" if route.key_encoding else \
            Reason.of(N_("the %(scheme)s scheme's default key_encoding"), scheme=route.scheme)
        raise CheckFailed(N_("the %(name)s webhook route's secret (%(secret)s) is not %(shape)s, as its %(how)s "
                             "\"%(encoding)s\" needs: give the key as the PSP issued it, or set the route's "
                             "key_encoding"), name=name, secret=secret.name, shape=_SHAPE[encoding], how=how,
                          encoding=encoding) from None


def sign(name: str, route: WebhookRoute, body: bytes, secret: Secret | None, ts: int | None = None) -> Forged:
    """Headers for `body` under the route's scheme (none without a secret); `ts` overrides the signing time."""
    headers = {"Content-Type": "application/json"}
    event_id = ""
    if secret is not None and route.scheme in TIMESTAMPED:
        stamp = int(time.time()) if ts is None else ts
        signature = _hex_hmac(key_bytes(name, route, secret), f"{stamp}.".encode() + body)
        if route.scheme == "hmac_ts":
            headers.update({route.timestamp_header: str(stamp), route.signature_header: signature})
        else:
            headers[route.signature_header] = f"t={stamp},v1={signature}"
    return Forged(name, body, headers, event_id)


def forge(name: str, route: WebhookRoute, values: dict[str, Any], secret: Secret | None, *,
          ts: int | None = None) -> Forged:
    """The route's event for `values`, signed with `secret` (unsigned when None)."""
    payload = fill(route.payload, values, Reason.of(N_("webhook route '%(name)s'"), name=name))
    if route.scheme == "adyen" and secret is not None:
        key = key_bytes(name, route, secret)
        item = dig(payload, route.item_path)
        message = ":".join("" if (v := _maybe(item, f)) is None else str(v) for f in route.signed_fields)
        digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
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


_PSP_PREFIX = re.compile(r"[a-z]{2,8}_")
"""A PSP's key prefix (`whsec_`), kept by `wrong_secret`."""
_ROTATE = {**{c: chr((ord(c) - 48 + 5) % 10 + 48) for c in "0123456789"},
           **{c: chr((ord(c) - 97 + 13) % 26 + 97) for c in "abcdefghijklmnopqrstuvwxyz"},
           **{c: chr((ord(c) - 65 + 13) % 26 + 65) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}}


def wrong_secret(name: str, route: WebhookRoute, secret: Secret) -> Secret:
    """A key of the same encoding and shape that is not the platform's: what an attacker without the key would sign
    with. hex gives hex of the same length (and case), base64 gives base64 of the same length, raw gives text of the
    same length and PSP prefix (`whsec_...` stays `whsec_...`)."""
    encoding = key_encoding(route)
    key = key_bytes(name, route, secret)  # the platform's own key must decode, or nothing can be forged
    text = secret.reveal()
    if encoding != "raw":
        flipped = bytes(b ^ 0x5A for b in key) or bytes(32)
        if encoding == "hex":
            wrong = flipped.hex()
            return Secret(wrong.upper() if text.isupper() else wrong, "wrong secret")
        return Secret(base64.b64encode(flipped).decode(), "wrong secret")
    prefix = match.group() if (match := _PSP_PREFIX.match(text)) else ""
    rest = text[len(prefix):]
    rotated = "".join(_ROTATE.get(c, c) for c in rest)
    if rotated == rest:  # nothing to rotate: still a wrong key of the same kind
        rotated = "x" + rest[::-1]
    return Secret(prefix + rotated, "wrong secret")
