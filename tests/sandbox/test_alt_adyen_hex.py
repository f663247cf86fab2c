"""The alt dialect's acquirer route (`POST /v2/hooks/acquirer`) verifies the Adyen scheme with the key as Adyen issues
it, 64 hexadecimal characters, hex-decoded: the sandbox's own verifier (`signatures`, `encoding="hex"`) agrees with
Adyen's library (`Adyen.util`, a test-only dependency), and over HTTP a notification Adyen's library signed is
accepted while one signed with the same key text read as base64 (the contract route's reading) is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from Adyen import util as adyen_util

from cutover_sandbox import signatures
from cutover_sandbox.core.config import DEFAULT_ADYEN_HMAC_KEY

from .alt_support import ACQUIRER_HOOK, ALT_SETTINGS_QUIET, AltApi

D = Decimal
JSON = {"Content-Type": "application/json"}
KEYS = (DEFAULT_ADYEN_HMAC_KEY, "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056",
        "0f" * 32)


def _item(ref: str = "", minor: int = 2000, **changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pspReference": uuid.uuid4().hex[:16].upper(), "originalReference": "", "merchantAccountCode": "SandboxECOM",
        "merchantReference": ref or str(uuid.uuid4()), "amount": {"value": minor, "currency": "USD"},
        "eventCode": "AUTHORISATION", "success": "true", "eventDate": "2026-01-01T00:00:00+00:00", "reason": "",
    }
    item.update(changes)
    return item


def adyen_signed(item: dict[str, Any], hex_key: str) -> dict[str, Any]:
    """The item signed by Adyen's own library."""
    return {**item, "additionalData": {"hmacSignature": adyen_util.generate_notification_sig(item, hex_key).decode()}}


def test_the_default_adyen_key_is_what_adyen_issues() -> None:
    assert len(DEFAULT_ADYEN_HMAC_KEY) == 64 and len(binascii.a2b_hex(DEFAULT_ADYEN_HMAC_KEY)) == 32
    assert base64.b64decode(DEFAULT_ADYEN_HMAC_KEY, validate=True)  # the contract's route reads the same text


@pytest.mark.parametrize("key", KEYS, ids=["default", "upper", "lower"])
@pytest.mark.parametrize("item", [
    _item(), _item(success="false"), _item(eventCode="REFUND", originalReference="ORIG123"),
    _item(minor=1, merchantReference="ref:with:colons"), _item(amount={"value": "1234", "currency": "EUR"}),
], ids=["auth", "failed", "refund", "colons", "string-value"])
def test_the_sandboxs_hex_verifier_agrees_with_adyens_library(key: str, item: dict[str, Any]) -> None:
    ours = signatures.adyen_signature(key, item, "hex")
    assert ours == adyen_util.generate_notification_sig(item, key).decode()
    signed = adyen_signed(item, key)
    assert adyen_util.is_valid_hmac_notification(signed, key)
    assert signatures.adyen_signature_valid(key, item, signed["additionalData"]["hmacSignature"], "hex")
    tampered = {**signed, "amount": {**item["amount"], "value": int(item["amount"]["value"]) + 1}}
    assert not adyen_util.is_valid_hmac_notification(tampered, key)
    assert not signatures.adyen_signature_valid(key, tampered, signed["additionalData"]["hmacSignature"], "hex")
    other = "A5" * 32
    assert not adyen_util.is_valid_hmac_notification(adyen_signed(item, other), key)
    assert not signatures.adyen_signature_valid(key, item, adyen_signed(item, other)["additionalData"]["hmacSignature"],
                                                "hex")
    assert not signatures.adyen_signature_valid(key, item, ours)  # the same text read as base64: another key


def test_a_key_that_is_not_hex_verifies_nothing_on_the_hex_route() -> None:
    item = _item()
    with pytest.raises(binascii.Error):
        adyen_util.generate_notification_sig(item, "c2FuZGJveC1hZHllbi1obWFjLWtleS0zMmJ5dGVzISE=")
    assert not signatures.adyen_signature_valid("c2FuZGJveC1hZHllbi1obWFjLWtleS0zMmJ5dGVzISE=", item, "x", "hex")
    assert not signatures.adyen_signature_valid("0F" * 31 + "0", item, "x", "hex")


def _bank_topup(api: AltApi, value: str = "20.00") -> tuple[Any, str]:
    member = api.new_member()
    r = api.topup(member, value, channel="bank")
    assert r.status_code == 200 and r.json()["txn"]["status"] == "AWAITING_PSP", r.text
    return member, r.json()["txn"]["ref"]


def test_a_notification_adyens_library_signed_is_accepted_and_credits_once(quiet_alt_api: AltApi) -> None:
    api = quiet_alt_api
    key = api.sandbox.settings.adyen_hmac_key
    member, ref = _bank_topup(api)
    body = json.dumps({"batch": [adyen_signed(_item(ref, 2000), key)]}).encode()
    r = api.post(ACQUIRER_HOOK, data=body, headers=JSON)
    assert r.status_code == 200 and r.json() == {"ack": True, "replayed": False, "results": ["PROCESSED"]}, r.text
    assert api.post(ACQUIRER_HOOK, data=body, headers=JSON).json()["replayed"] is True
    assert api.funds(member)["free"] == D("20.00")
    assert api.ledger_violations() == []


def test_the_key_text_read_as_base64_is_refused_and_moves_no_money(quiet_alt_api: AltApi) -> None:
    """What the contract's route accepts, signed with the base64 reading of the same key text, is another key on the
    acquirer's route: a platform verifying with Adyen's library refuses it, and so does the alt sandbox."""
    api = quiet_alt_api
    key = api.sandbox.settings.adyen_hmac_key
    member, ref = _bank_topup(api)
    contract_signed = signatures.adyen_sign_item(key, _item(ref, 2000))
    assert not adyen_util.is_valid_hmac_notification(contract_signed, key)
    r = api.post(ACQUIRER_HOOK, data=json.dumps({"batch": [contract_signed]}).encode(), headers=JSON)
    assert r.status_code == 401 and r.json()["code"] == "SIGNATURE_INVALID", r.text
    assert api.status_of(member, ref) == "AWAITING_PSP" and api.funds(member)["free"] == D("0.00")


def test_an_alt_sandbox_whose_key_is_not_hex_refuses_every_notification(make_alt_api: Callable[..., AltApi]) -> None:
    base64_key = "c2FuZGJveC1hZHllbi1obWFjLWtleS0zMmJ5dGVzISE="
    api = make_alt_api(settings=ALT_SETTINGS_QUIET.model_copy(update={"adyen_hmac_key": base64_key}))
    member, ref = _bank_topup(api, "5.00")
    signed = signatures.adyen_sign_item(base64_key, _item(ref, 500))  # signed the only way this key can be read
    r = api.post(ACQUIRER_HOOK, data=json.dumps({"batch": [signed]}).encode(), headers=JSON)
    assert r.status_code == 401 and r.json()["code"] == "SIGNATURE_INVALID", r.text
    assert api.funds(member)["free"] == D("0.00")
