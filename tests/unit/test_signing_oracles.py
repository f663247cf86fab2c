"""The gate's webhook signer (`cutover_gate.target.signing`) judged by the PSPs' OWN verifiers, not by ours.

- Stripe: `stripe.Webhook.construct_event` / `stripe.WebhookSignature.verify_header` (the `stripe` package), given the
  `whsec_...` text the gate signs with, used raw as Stripe issues it;
- Adyen: `Adyen.util.is_valid_hmac_notification` (the `Adyen` package), given a 64-hex-character key as Adyen issues
  it (the library hex-decodes it): the route says `key_encoding = "hex"`;
- `hmac_ts` (CONTRACT §1 payout webhook, no PSP library): an independent check written here with `hmac`/`hashlib`,
  recomputed from the raw body and the timestamp header.

Every route of the default profile and of the alt profile (fixtures/profiles/alt.toml) is forged: each valid event
verifies; each stale (timestamped schemes), wrongly signed (`wrong_secret`) or unsigned one is refused. A forged
event whose key the gate decodes the wrong way would be refused by the library: the false FAIL this guards against.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import stripe
from Adyen import util as adyen_util
from stripe import SignatureVerificationError

from cutover_gate.config.profile_schema import WebhookRoute
from cutover_gate.config.target_profile import dig, load_profile
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.redact import Secret
from cutover_gate.target import signing
from cutover_sandbox import signatures as sandbox_signatures

ROOT = Path(__file__).resolve().parents[2]
PROFILES = {"default": load_profile(None), "alt": load_profile(ROOT / "fixtures" / "profiles" / "alt.toml")}
ROUTES = [(profile, name, route) for profile, loaded in PROFILES.items()
          for name, route in loaded.webhooks.routes.items()]
TOLERANCE = 300

STRIPE_KEY = "whsec_8Kf2mQ7rVt3ZpXw9LbN4cYd6HsJe1Ua0"
"""A Stripe endpoint secret as Stripe issues it: the gate and Stripe's library both use its text raw."""
ADYEN_HEX = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
"""An Adyen HMAC key as Adyen issues it: 64 hexadecimal characters, hex-decoded by Adyen's libraries."""
PAYOUT_KEY = "payout-webhook-secret-3c9e71d2"


def _ids(param: tuple[str, str, WebhookRoute]) -> str:
    return f"{param[0]}-{param[1]}"


def _values(event_id: str | None = None) -> dict[str, Any]:
    values = signing.event_values("7f1c2e9a-tx", Decimal("12.34"), "USD", outcome="paid", provider="cutover-gate",
                                  merchant="CutoverGate", event_id=event_id)
    return {**values, "player_id": "p-1", "player_email": "canary@example.invalid", "tenant": "casino-eu",
            "deposit_id": "", "withdrawal_id": ""}


def _key_for(route: WebhookRoute) -> Secret:
    """The platform's key in the form its PSP issues it, or (base64 routes) the same bytes as base64."""
    if route.scheme == "stripe":
        return Secret(STRIPE_KEY, "stripe key")
    if route.scheme == "adyen":
        if route.key_encoding == "hex":
            return Secret(ADYEN_HEX, "adyen key")
        return Secret(base64.b64encode(bytes.fromhex(ADYEN_HEX)).decode(), "adyen key")
    return Secret(PAYOUT_KEY, "payout key")


def _as_hex(route: WebhookRoute) -> WebhookRoute:
    """The route with its Adyen key given as Adyen issues it (what a profile says with `key_encoding = "hex"`)."""
    return route.model_copy(update={"key_encoding": "hex"})


def _signed_routes(scheme: str) -> list[tuple[str, str, WebhookRoute]]:
    return [r for r in ROUTES if r[2].scheme == scheme]


# -- the official verifiers, as a platform would call them ---------------------------------------------------------

def stripe_accepts(route: WebhookRoute, forged: signing.Forged, secret: str = STRIPE_KEY) -> bool:
    header = forged.headers.get(route.signature_header)
    try:
        event = stripe.Webhook.construct_event(forged.body, header, secret, tolerance=TOLERANCE)
    except SignatureVerificationError:
        verdict = False
    else:
        assert event["id"] == forged.event_id
        verdict = True
    try:  # the lower-level call must say the same
        stripe.WebhookSignature.verify_header(forged.body.decode(), header, secret, TOLERANCE)
    except SignatureVerificationError:
        assert verdict is False
    else:
        assert verdict is True
    return verdict


def adyen_item(route: WebhookRoute, forged: signing.Forged) -> dict[str, Any]:
    item = dig(json.loads(forged.body), route.item_path)
    assert isinstance(item, dict)
    return item


def adyen_accepts(route: WebhookRoute, forged: signing.Forged, hex_key: str = ADYEN_HEX) -> bool:
    """Adyen's verdict on the forged notification: the whole body when it has Adyen's own shape (the library finds
    `notificationItems[0].NotificationRequestItem` itself), else the profile's item."""
    payload = json.loads(forged.body)
    subject = payload if "notificationItems" in payload else adyen_item(route, forged)
    try:
        return bool(adyen_util.is_valid_hmac_notification(subject, hex_key))
    except (KeyError, ValueError):  # no hmacSignature to verify: the library refuses by raising
        return False


def hmac_ts_accepts(route: WebhookRoute, forged: signing.Forged, secret: str = PAYOUT_KEY) -> bool:
    """CONTRACT §1's payout scheme, written here from the formula: hex HMAC-SHA256 of "<ts>.<raw body>" under the
    key's UTF-8 bytes, the timestamp within ±300 s."""
    stamp, signature = forged.headers.get(route.timestamp_header), forged.headers.get(route.signature_header)
    if not stamp or not signature or not stamp.isdigit():
        return False
    expected = hmac.new(secret.encode("utf-8"), stamp.encode("ascii") + b"." + forged.body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), signature) and abs(time.time() - int(stamp)) <= TOLERANCE


def accepts(route: WebhookRoute, forged: signing.Forged) -> bool:
    if route.scheme == "stripe":
        return stripe_accepts(route, forged)
    if route.scheme == "adyen":
        return adyen_accepts(route, forged)
    return hmac_ts_accepts(route, forged)


def test_every_scheme_the_gate_signs_is_covered_on_both_profiles() -> None:
    assert {(p, r.scheme) for p, _, r in ROUTES} >= {(p, s) for p in PROFILES for s in ("hmac_ts", "stripe", "adyen")}
    alt_adyen = PROFILES["alt"].webhooks.routes["adyen"]
    assert signing.key_encoding(alt_adyen) == "hex"
    assert signing.key_encoding(PROFILES["default"].webhooks.routes["adyen"]) == "base64"  # CONTRACT §1
    assert {signing.key_encoding(r) for _, _, r in ROUTES if r.scheme != "adyen"} == {"raw"}


# -- valid events verify ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", [r for r in ROUTES if r[2].scheme != "none"], ids=_ids)
def test_a_valid_event_the_gate_forges_verifies_with_the_psps_own_verifier(case: tuple[str, str, WebhookRoute]) -> None:
    _, name, route = case
    if route.scheme == "adyen" and route.key_encoding != "hex":
        route = _as_hex(route)  # Adyen's library only takes the key as Adyen issues it
    forged = signing.forge(name, route, _values(), _key_for(route))
    assert accepts(route, forged), f"{name}: the PSP's own verifier refused the gate's valid event"


@pytest.mark.parametrize("case", _signed_routes("adyen"), ids=_ids)
def test_a_base64_adyen_route_signs_with_the_same_key_bytes_adyen_verifies(case: tuple[str, str, WebhookRoute]) -> None:
    """key_encoding "base64" (CONTRACT §1's default): the base64 text of the key Adyen issued in hex signs exactly
    what Adyen's library accepts for the hex text. The hex text itself read as base64 (what the gate did before
    `key_encoding`) is another key: Adyen's library refuses it, the false FAIL `key_encoding = "hex"` cures."""
    _, name, route = case
    route = route.model_copy(update={"key_encoding": "base64"})
    key_b64 = base64.b64encode(bytes.fromhex(ADYEN_HEX)).decode()
    assert adyen_accepts(route, signing.forge(name, route, _values(), Secret(key_b64, "adyen key")), ADYEN_HEX)
    misread = signing.forge(name, route, _values(), Secret(ADYEN_HEX, "adyen key"))  # valid base64 text, too
    assert not adyen_accepts(route, misread, ADYEN_HEX)


# -- refused: stale, wrongly signed, unsigned ------------------------------------------------------------------------

@pytest.mark.parametrize("case", [r for r in ROUTES if r[2].scheme in signing.TIMESTAMPED], ids=_ids)
def test_a_stale_event_is_refused_by_the_psps_own_verifier(case: tuple[str, str, WebhookRoute]) -> None:
    _, name, route = case
    key = _key_for(route)
    assert accepts(route, signing.forge(name, route, _values(), key, ts=int(time.time()) - TOLERANCE + 30))
    stale = signing.forge(name, route, _values(), key, ts=int(time.time()) - signing.STALE_S)
    assert not accepts(route, stale), f"{name}: a timestamp {signing.STALE_S} s old was accepted"


@pytest.mark.parametrize("case", [r for r in ROUTES if r[2].scheme != "none"], ids=_ids)
def test_an_event_signed_with_the_wrong_secret_is_refused(case: tuple[str, str, WebhookRoute]) -> None:
    _, name, route = case
    if route.scheme == "adyen" and route.key_encoding != "hex":
        route = _as_hex(route)
    key = _key_for(route)
    wrong = signing.wrong_secret(name, route, key)
    assert wrong.reveal() != key.reveal()
    forged = signing.forge(name, route, _values(), wrong)
    assert forged.headers.keys() == signing.forge(name, route, _values(), key).headers.keys()
    assert not accepts(route, forged), f"{name}: an event signed with the wrong secret was accepted"


@pytest.mark.parametrize("case", [r for r in ROUTES if r[2].scheme != "none"], ids=_ids)
def test_an_unsigned_event_is_refused(case: tuple[str, str, WebhookRoute]) -> None:
    _, name, route = case
    if route.scheme == "adyen" and route.key_encoding != "hex":
        route = _as_hex(route)
    forged = signing.forge(name, route, _values(), None)
    assert route.signature_header not in forged.headers
    if route.scheme == "adyen":
        assert "hmacSignature" not in json.dumps(adyen_item(route, forged))
    assert not accepts(route, forged), f"{name}: an unsigned event was accepted"


# -- the wrong secret keeps the key's encoding and shape ---------------------------------------------------------------

def _route(scheme: str, encoding: str | None) -> WebhookRoute:
    base = next(r for _, _, r in ROUTES if r.scheme == scheme)
    return base.model_copy(update={"key_encoding": encoding})


def test_the_wrong_secret_of_a_hex_key_is_hex_of_the_same_length_and_case() -> None:
    for key in (ADYEN_HEX, ADYEN_HEX.lower()):
        wrong = signing.wrong_secret("adyen", _route("adyen", "hex"), Secret(key, "k")).reveal()
        assert len(wrong) == len(key) and re.fullmatch(r"[0-9A-F]+" if key.isupper() else r"[0-9a-f]+", wrong)
        assert bytes.fromhex(wrong) != bytes.fromhex(key)


def test_the_wrong_secret_of_a_base64_key_is_base64_of_the_same_length() -> None:
    key = base64.b64encode(bytes.fromhex(ADYEN_HEX)).decode()
    wrong = signing.wrong_secret("adyen", _route("adyen", None), Secret(key, "k")).reveal()
    assert len(wrong) == len(key)
    assert len(base64.b64decode(wrong, validate=True)) == 32 and wrong != key


def test_the_wrong_secret_of_a_hex_key_that_is_also_base64_stays_hex() -> None:
    """64 hex characters are valid base64 too: the encoding, not the key's look, decides the wrong key's shape."""
    wrong = signing.wrong_secret("adyen", _route("adyen", "hex"), Secret(ADYEN_HEX, "k")).reveal()
    binascii.unhexlify(wrong)


@pytest.mark.parametrize("scheme", ["stripe", "hmac_ts"])
def test_the_wrong_secret_of_a_raw_key_is_raw_text_of_the_same_length_and_prefix(scheme: str) -> None:
    key = STRIPE_KEY if scheme == "stripe" else PAYOUT_KEY
    wrong = signing.wrong_secret(scheme, _route(scheme, None), Secret(key, "k")).reveal()
    assert len(wrong) == len(key) and wrong != key
    if scheme == "stripe":
        assert wrong.startswith("whsec_")


# -- a key that does not decode under its encoding -------------------------------------------------------------------

@pytest.mark.parametrize(("encoding", "bad"), [
    ("hex", "not-a-hex-key-" + "Z" * 50),
    ("hex", ADYEN_HEX[:-1]),                    # an odd count of digits
    ("base64", "not base64 at all!"),
], ids=["hex-not-hex", "hex-odd-count", "base64-not-base64"])
def test_a_key_that_does_not_decode_is_a_clear_check_failed_that_never_quotes_it(encoding: str, bad: str) -> None:
    route = _route("adyen", encoding)
    secret = Secret(bad, "CUTOVER_ADYEN_HMAC_KEY")
    for attempt in (lambda: signing.forge("acquirer", route, _values(), secret),
                    lambda: signing.wrong_secret("acquirer", route, secret)):
        with pytest.raises(CheckFailed) as caught:
            attempt()
        message = str(caught.value)
        assert "acquirer" in message and f'"{encoding}"' in message and "CUTOVER_ADYEN_HMAC_KEY" in message
        assert bad not in message and bad[:8] not in message


def test_a_hex_key_encoding_on_a_timestamped_route_is_honoured() -> None:
    route = _route("hmac_ts", "hex")
    forged = signing.forge("payout", route, _values(), Secret(ADYEN_HEX, "k"))
    stamp = forged.headers[route.timestamp_header]
    expected = hmac.new(bytes.fromhex(ADYEN_HEX), f"{stamp}.".encode() + forged.body, hashlib.sha256).hexdigest()
    assert forged.headers[route.signature_header] == expected
    with pytest.raises(CheckFailed, match='"hex"'):
        signing.forge("payout", route, _values(), Secret(PAYOUT_KEY, "CUTOVER_WEBHOOK_SECRET"))


# -- the sandbox's verifiers: the contract's base64 route as today, the alt acquirer's hex route as Adyen's -------

def test_a_base64_adyen_route_round_trips_with_the_sandboxs_contract_verifier() -> None:
    route = PROFILES["default"].webhooks.routes["adyen"]
    assert route.key_encoding is None  # CONTRACT §1: base64 by default
    key = "c2FuZGJveC1hZHllbi1obWFjLWtleS0zMmJ5dGVzISE="
    forged = signing.forge("adyen", route, _values(), Secret(key, "k"))
    item = adyen_item(route, forged)
    assert sandbox_signatures.adyen_signature_valid(key, item, item["additionalData"]["hmacSignature"])
    wrong = signing.forge("adyen", route, _values(), signing.wrong_secret("adyen", route, Secret(key, "k")))
    witem = adyen_item(route, wrong)
    assert not sandbox_signatures.adyen_signature_valid(key, witem, witem["additionalData"]["hmacSignature"])


def test_the_alt_acquirer_route_round_trips_with_the_sandboxs_hex_verifier() -> None:
    route = PROFILES["alt"].webhooks.routes["adyen"]
    forged = signing.forge("adyen", route, _values(), Secret(ADYEN_HEX, "k"))
    item = adyen_item(route, forged)
    signature = item["additionalData"]["hmacSignature"]
    assert sandbox_signatures.adyen_signature_valid(ADYEN_HEX, item, signature, "hex")
    assert not sandbox_signatures.adyen_signature_valid(ADYEN_HEX, item, signature)  # read as base64: another key
