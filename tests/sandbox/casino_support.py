"""A small HTTP client speaking the casino dialect (real HTTP through `requests`, no mocks): the contract's client
(`sandbox_support.Api`) with the casino platform's own calls and answers, and its Adyen notifications signed with the
hex key from the formula (independently of cutover_sandbox.signatures and of the casino wire)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from typing import Any

import requests

from cutover_sandbox.core.config import Settings
from cutover_sandbox.server import Sandbox

from .sandbox_support import Api, Player, adyen_item

CASINO_SETTINGS = Settings()
CASINO_SETTINGS_QUIET = Settings(psp_delay_seconds=3600)
"""A casino sandbox whose mock PSP waits an hour: the tests deliver the PSP's webhooks themselves."""

ADYEN_SESSION = "/api/v1/payments/adyen/checkout/session"
ADYEN_HOOK = "/api/v1/payments/adyen/webhook"
PAYOUT_HOOK = "/api/v1/finance/withdrawals/payout/webhook"
JSON = {"Content-Type": "application/json"}


def error(r: requests.Response) -> tuple[int, str]:
    """(status, the nested error code) of a casino error answer; the body holds nothing but `detail`."""
    body = r.json()
    assert set(body) == {"detail"} and set(body["detail"]) == {"error_code", "message"}, r.text
    assert body["detail"]["message"], r.text
    return r.status_code, str(body["detail"]["error_code"])


class CasinoApi(Api):
    """The casino dialect's calls, against one running sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        assert sandbox.dialect == "casino"
        super().__init__(sandbox)

    def verify(self, player: Player) -> None:
        for channel, field, value in (("email", "email", player.email), ("sms", "phone", player.phone)):
            r = self.post(f"/api/v1/verify/{channel}/send", json={field: value})
            assert r.status_code == 200 and r.json()["status"] == "sent", r.text
            r = self.post(f"/api/v1/verify/{channel}/confirm", json={field: value, "code": r.json()["debug_code"]})
            assert r.status_code == 200 and r.json() == {"ok": True}, r.text

    def checkout_session(self, player: Player, amount: str, key: str | None = "auto") -> requests.Response:
        key = uuid.uuid4().hex if key == "auto" else key
        return self.post(ADYEN_SESSION, token=player.token, key=key, json={"amount": amount})

    def payout(self, tx_id: str, key: str | None = "auto", **body: str) -> requests.Response:
        key = uuid.uuid4().hex if key == "auto" else key
        return self.post(f"/api/v1/finance/withdrawals/{tx_id}/payout", token=self.admin, key=key, json=body)

    def ui_approve(self, tx_id: str, token: str | None = None) -> requests.Response:
        return self.post(f"/api/v1/withdrawals/{tx_id}/approve", token=token or self.admin)

    def ui_mark_paid(self, tx_id: str, token: str | None = None) -> requests.Response:
        return self.post(f"/api/v1/withdrawals/{tx_id}/mark-paid", token=token or self.admin)

    def approved(self, amount: str = "10.00", funded: str = "50.00") -> tuple[str, Player]:
        player = self.funded_player(funded)
        r = self.withdraw(player, amount)
        assert r.status_code == 200, r.text
        tx_id = r.json()["transaction"]["id"]
        assert self.review(tx_id, "approve").json()["transaction"]["state"] == "approved"
        return tx_id, player

    def settlements(self, tx_id: str) -> int:
        return int(self.scalar("SELECT count(*) FROM ledger_movements WHERE tx_id = %s::uuid "
                               "AND kind = 'payout_settle'", tx_id))


def hex_signature(item: dict[str, Any], hex_key: str) -> str:
    """Adyen's HMAC over the item's signed fields, the key hex-decoded."""
    amount = item.get("amount") or {}
    fields = (item.get("pspReference"), item.get("originalReference"), item.get("merchantAccountCode"),
              item.get("merchantReference"), amount.get("value"), amount.get("currency"), item.get("eventCode"),
              item.get("success"))
    payload = ":".join("" if value is None else str(value) for value in fields)
    digest = hmac.new(binascii.a2b_hex(hex_key), payload.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def adyen_hex_notification(tx_id: str, amount_minor: int, hex_key: str, *, psp_reference: str | None = None,
                           signature: str | None = "sign") -> bytes:
    """The contract's Adyen notification for the deposit, signed with the hex key ("sign"), a given value, or none."""
    item = adyen_item(tx_id, amount_minor, psp_reference=psp_reference, signature=None)
    if signature == "sign":
        signature = hex_signature(item, hex_key)
    if signature is not None:
        item["additionalData"] = {"hmacSignature": signature}
    return json.dumps({"live": "false", "notificationItems": [{"NotificationRequestItem": item}]}).encode()


def payout_event(tx_id: str, status: str = "paid", event_id: str | None = None) -> bytes:
    return json.dumps({"withdraw_tx_id": tx_id, "provider": "mockpsp",
                       "provider_event_id": event_id or f"po_evt_{uuid.uuid4().hex}", "status": status}).encode()
