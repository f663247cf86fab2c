"""A small HTTP client speaking the contract (real HTTP through `requests`, no mocks) and SQL checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
import requests

from cutover_sandbox.core.config import Settings
from cutover_sandbox.server import Sandbox

SETTINGS = Settings()


@dataclass
class Player:
    id: str
    email: str
    phone: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Http:
    """Plain HTTP to one running sandbox: a bearer token and the dialect's idempotency header (KEY_HEADER)."""

    KEY_HEADER = "Idempotency-Key"

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.url = sandbox.url
        self.dsn = sandbox.dsn
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only, whatever proxy the environment names

    def request(self, method: str, path: str, *, token: str | None = None, key: str | None = None,
                headers: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        if key:
            all_headers[self.KEY_HEADER] = key
        return self.http.request(method, self.url + path, headers=all_headers, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)


class Api(Http):
    """The contract's calls, against one running sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__(sandbox)
        self._admin_token: str | None = None

    # -- admin -----------------------------------------------------------------------------------------------
    @property
    def admin(self) -> str:
        if self._admin_token is None:
            creds = {"email": SETTINGS.admin_email, "password": SETTINGS.admin_password}
            r = self.post("/api/v1/auth/login", json=creds)
            assert r.status_code == 200, r.text
            self._admin_token = r.json()["access_token"]
        return self._admin_token

    # -- players ---------------------------------------------------------------------------------------------
    def new_player(self, *, verified: bool = True, kyc: bool = True) -> Player:
        tag = uuid.uuid4().hex[:10]
        email, phone = f"canary-{tag}@example.test", f"+1555{int(tag, 16) % 10**7:07d}"
        r = self.post("/api/v1/auth/player/register", json={"email": email, "password": "canary-password-1",
                                                            "username": f"canary{tag}", "phone": phone,
                                                            "tenant_id": "t1"})
        assert r.status_code == 200, r.text
        player_id = r.json()["player_id"]
        r = self.post("/api/v1/auth/player/login", json={"email": email, "password": "canary-password-1",
                                                         "tenant_id": "t1"})
        assert r.status_code == 200, r.text
        player = Player(player_id, email, phone, r.json()["access_token"])
        assert r.json()["user"]["id"] == player_id
        if verified:
            self.verify(player)
        if kyc:
            r = self.post(f"/api/v1/kyc/documents/{player_id}/review", token=self.admin, json={"status": "approved"})
            assert r.status_code == 200, r.text
        return player

    def verify(self, player: Player) -> None:
        for channel, field, value in (("email", "email", player.email), ("sms", "phone", player.phone)):
            r = self.post(f"/api/v1/verify/{channel}/send", json={field: value})
            assert r.status_code == 200 and r.json()["status"] == "sent", r.text
            r = self.post(f"/api/v1/verify/{channel}/confirm", json={field: value, "code": r.json()["debug_code"]})
            assert r.status_code == 200, r.text

    # -- money -----------------------------------------------------------------------------------------------
    def deposit(self, player: Player, amount: str | int, method: str = "test",
                key: str | None = "auto") -> requests.Response:
        key = uuid.uuid4().hex if key == "auto" else key
        return self.post("/api/v1/player/wallet/deposit", token=player.token, key=key,
                         json={"amount": amount, "method": method})

    def funded_player(self, amount: str = "100.00") -> Player:
        player = self.new_player()
        r = self.deposit(player, amount)
        assert r.status_code == 200 and r.json()["transaction"]["state"] == "completed", r.text
        return player

    def withdraw(self, player: Player, amount: str | int, key: str | None = "auto") -> requests.Response:
        key = uuid.uuid4().hex if key == "auto" else key
        return self.post("/api/v1/player/wallet/withdraw", token=player.token, key=key,
                         json={"amount": amount, "method": "bank_transfer", "address": "DE89370400440532013000"})

    def approved_withdrawal(self, amount: str = "10.00", funded: str = "50.00") -> tuple[str, Player]:
        """A new player funded with `funded` asks to withdraw `amount` and the admin approves: its id and the player."""
        player = self.funded_player(funded)
        tx_id = self.withdraw(player, amount).json()["transaction"]["id"]
        assert self.review(tx_id, "approve").status_code == 200
        return tx_id, player

    def review(self, tx_id: str, action: str) -> requests.Response:
        return self.post(f"/api/v1/finance/withdrawals/{tx_id}/review", token=self.admin,
                         json={"action": action, "reason": "canary"})

    def mark_paid(self, tx_id: str) -> requests.Response:
        return self.post(f"/api/v1/finance/withdrawals/{tx_id}/mark-paid", token=self.admin,
                         json={"reason": "canary"})

    def balance(self, player: Player) -> dict[str, Decimal]:
        r = self.get("/api/v1/player/wallet/balance", token=player.token)
        assert r.status_code == 200, r.text
        return {k: Decimal(str(v)) for k, v in r.json().items() if k.endswith("_real")}

    def tx_state(self, player: Player, tx_id: str) -> str:
        items = self.get("/api/v1/player/wallet/transactions", token=player.token).json()["items"]
        return next(item["state"] for item in items if item["id"] == tx_id)

    def payout_status(self, tx_id: str) -> str:
        r = self.get(f"/api/v1/payouts/status/{tx_id}", token=self.admin)
        assert r.status_code == 200, r.text
        return str(r.json()["status"])

    # -- SQL -------------------------------------------------------------------------------------------------
    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.dsn) as conn:
            return conn.execute(query, params).fetchall()  # type: ignore[arg-type]

    def scalar(self, query: str, *params: Any) -> Any:
        rows = self.sql(query, *params)
        return rows[0][0] if rows else None

    def ledger_violations(self) -> list[str]:
        """The ledger invariants, checked in plain SQL (independently of the sandbox's own code)."""
        found: list[str] = []
        checks = {
            "movement does not sum to zero":
                "SELECT movement_id FROM ledger_entries GROUP BY movement_id HAVING sum(amount) <> 0",
            "available != sum(player_available)":
                """SELECT w.player_id FROM wallets w LEFT JOIN ledger_entries e
                   ON e.player_id = w.player_id AND e.account = 'player_available'
                   GROUP BY w.player_id, w.available_real HAVING w.available_real <> coalesce(sum(e.amount), 0)""",
            "held != sum(player_held)":
                """SELECT w.player_id FROM wallets w LEFT JOIN ledger_entries e
                   ON e.player_id = w.player_id AND e.account = 'player_held'
                   GROUP BY w.player_id, w.held_real HAVING w.held_real <> coalesce(sum(e.amount), 0)""",
            "held != open withdrawals":
                """SELECT w.player_id FROM wallets w LEFT JOIN transactions t
                   ON t.player_id = w.player_id AND t.type = 'withdrawal'
                   AND t.state IN ('requested', 'approved', 'payout_pending', 'payout_failed')
                   GROUP BY w.player_id, w.held_real HAVING w.held_real <> coalesce(sum(t.amount), 0)""",
        }
        for name, query in checks.items():
            if self.sql(query):
                found.append(name)
        return found


def wait_for(predicate: Callable[[], bool], timeout: float = 8.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


# -- webhook signing, written from the contract's formulas (independently of cutover_sandbox.signatures) ----------

def payout_webhook_headers(body: bytes, *, secret: str = SETTINGS.webhook_secret,
                           timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Webhook-Timestamp": ts, "X-Webhook-Signature": signature, "Content-Type": "application/json"}


def stripe_headers(body: bytes, *, secret: str = SETTINGS.stripe_webhook_secret,
                   timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={ts},v1={signature}", "Content-Type": "application/json"}


def stripe_event(tx_id: str, amount_minor: int, event_id: str | None = None) -> bytes:
    event = {"id": event_id or f"evt_{uuid.uuid4().hex}", "type": "checkout.session.completed",
             "data": {"object": {"id": f"cs_test_{uuid.uuid4().hex}", "client_reference_id": tx_id,
                                 "amount_total": amount_minor, "currency": "usd", "payment_status": "paid"}}}
    return json.dumps(event).encode()


def adyen_item(tx_id: str, amount_minor: int, *, psp_reference: str | None = None,
               key_b64: str = SETTINGS.adyen_hmac_key, signature: str | None = "sign") -> dict[str, Any]:
    """One Adyen NotificationRequestItem for the deposit, HMAC-signed ("sign"), with a given signature, or none."""
    item: dict[str, Any] = {
        "pspReference": psp_reference or uuid.uuid4().hex[:16].upper(), "originalReference": "",
        "merchantAccountCode": "SandboxCasinoECOM", "merchantReference": tx_id,
        "amount": {"value": amount_minor, "currency": "USD"}, "eventCode": "AUTHORISATION", "success": "true",
    }
    signed = ":".join(str(v) for v in (item["pspReference"], "", item["merchantAccountCode"], tx_id, amount_minor,
                                       "USD", "AUTHORISATION", "true"))
    if signature == "sign":
        digest = hmac.new(base64.b64decode(key_b64), signed.encode(), hashlib.sha256).digest()
        signature = base64.b64encode(digest).decode()
    if signature is not None:
        item["additionalData"] = {"hmacSignature": signature}
    return item


def adyen_notification(tx_id: str, amount_minor: int, *, psp_reference: str | None = None,
                       key_b64: str = SETTINGS.adyen_hmac_key, signature: str | None = "sign") -> bytes:
    item = adyen_item(tx_id, amount_minor, psp_reference=psp_reference, key_b64=key_b64, signature=signature)
    return json.dumps({"live": "false", "notificationItems": [{"NotificationRequestItem": item}]}).encode()


def payout_event(tx_id: str, status: str = "paid", event_id: str | None = None) -> bytes:
    return json.dumps({"withdraw_tx_id": tx_id, "provider": "mockpsp",
                       "provider_event_id": event_id or f"po_evt_{uuid.uuid4().hex}", "status": status}).encode()


DEFAULT_SETTINGS_QUIET = Settings(psp_delay_seconds=3600)
"""Sandbox settings whose mock PSP waits an hour: tests deliver the PSP's webhooks themselves."""
