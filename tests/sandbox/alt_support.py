"""A small HTTP client speaking the alt dialect (real HTTP through `requests`, no mocks), its SQL views, and its
webhooks signed from the formulas (independently of cutover_sandbox.signatures and of the alt wire)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
import requests

from cutover_sandbox.core.config import Settings
from cutover_sandbox.server import Sandbox

from .sandbox_support import Http, adyen_item

SETTINGS = Settings()
TENANT = "casino-eu"
PASSWORD = "member-password-1"

PAYOUT_HOOK = "/v2/hooks/payout-result"
CARDS_HOOK = "/v2/hooks/cards"
ACQUIRER_HOOK = "/v2/hooks/acquirer"
OPEN_CASHOUT = ("PENDING_REVIEW", "APPROVED", "DISPATCHED", "DISPATCH_FAILED")

ALT_SETTINGS = Settings(register_rate_limit=10_000)
"""A shared alt sandbox registers many members: no registration limit to speak of."""
ALT_SETTINGS_QUIET = Settings(register_rate_limit=10_000, psp_delay_seconds=3600)
"""... and one whose mock PSP waits an hour: the tests deliver the PSP's webhooks themselves."""


@dataclass
class Member:
    uid: str
    mail: str
    mobile: str
    token: str


class AltApi(Http):
    """The alt dialect's calls, against one running sandbox."""

    KEY_HEADER = "X-Request-Id"

    def __init__(self, sandbox: Sandbox) -> None:
        assert sandbox.dialect == "alt"
        super().__init__(sandbox)
        self._operator: str | None = None

    # -- back office -----------------------------------------------------------------------------------------
    @property
    def operator(self) -> str:
        if self._operator is None:
            r = self.post("/v2/backoffice/sessions", json={"login": SETTINGS.admin_email,
                                                           "secret": SETTINGS.admin_password})
            assert r.status_code == 200, r.text
            assert r.json()["session"]["kind"] == "Bearer"
            self._operator = r.json()["session"]["token"]
        return self._operator

    # -- members ---------------------------------------------------------------------------------------------
    def register(self, mail: str, mobile: str, tenant: str = TENANT) -> requests.Response:
        return self.post("/v2/members", json={"mail": mail, "pass": PASSWORD, "handle": mail.split("@")[0],
                                              "mobile": mobile, "tenant": tenant})

    def new_member(self, *, verified: bool = True) -> Member:
        tag = uuid.uuid4().hex[:10]
        mail, mobile = f"member-{tag}@example.test", f"+4477{int(tag, 16) % 10**8:08d}"
        r = self.register(mail, mobile)
        assert r.status_code == 201, r.text
        uid = r.json()["member"]["uid"]
        r = self.post("/v2/members/sessions", json={"mail": mail, "pass": PASSWORD, "tenant": TENANT})
        assert r.status_code == 200, r.text
        assert r.json()["member"]["uid"] == uid
        member = Member(uid, mail, mobile, r.json()["session"]["token"])
        if verified:
            self.verify(member)
        return member

    def verify(self, member: Member, code: str = SETTINGS.verify_code) -> None:
        for channel, target in (("email", member.mail), ("sms", member.mobile)):
            r = self.post("/v2/members/verify", json={"channel": channel, "target": target})
            assert r.status_code == 202 and code not in r.text, r.text
            r = self.post("/v2/members/verify/confirm", json={"channel": channel, "target": target, "code": code})
            assert r.status_code == 200 and r.json()["verified"] is True, r.text

    # -- money -----------------------------------------------------------------------------------------------
    def topup(self, member: Member, value: str, channel: str = "instant",
              key: str | None = "auto") -> requests.Response:
        key = uuid.uuid4().hex if key == "auto" else key
        return self.post("/v2/me/topups", token=member.token, key=key, json={"value": value, "channel": channel})

    def funded_member(self, value: str = "100.00") -> Member:
        member = self.new_member()
        r = self.topup(member, value)
        assert r.status_code == 200 and r.json()["txn"]["status"] == "SETTLED", r.text
        return member

    def cashout(self, member: Member, value: str, key: str | None = "auto") -> requests.Response:
        key = uuid.uuid4().hex if key == "auto" else key
        return self.post("/v2/me/cashouts", token=member.token, key=key,
                         json={"value": value, "channel": "bank_transfer", "destination": "GB29NWBK60161331926819"})

    def decide(self, ref: str, verdict: str) -> requests.Response:
        return self.post(f"/v2/backoffice/cashouts/{ref}/decision", token=self.operator,
                         json={"verdict": verdict, "note": "canary"})

    def settle(self, ref: str) -> requests.Response:
        return self.post(f"/v2/backoffice/cashouts/{ref}/settle", token=self.operator, json={"note": "canary"})

    def dispatch(self, ref: str, key: str | None = "auto", **body: str) -> requests.Response:
        key = uuid.uuid4().hex if key == "auto" else key
        return self.post(f"/v2/backoffice/cashouts/{ref}/dispatch", token=self.operator, key=key, json=body)

    def accepted_cashout(self, value: str = "10.00", funded: str = "50.00") -> tuple[str, Member]:
        member = self.funded_member(funded)
        ref = self.cashout(member, value).json()["txn"]["ref"]
        assert self.decide(ref, "ACCEPT").json()["txn"]["status"] == "APPROVED"
        return ref, member

    def funds(self, member: Member) -> dict[str, Decimal]:
        r = self.get("/v2/me/funds", token=member.token)
        assert r.status_code == 200, r.text
        return {k: Decimal(v) for k, v in r.json()["funds"].items() if k in ("free", "locked", "total")}

    def status_of(self, member: Member, ref: str) -> str:
        entries = self.get("/v2/me/activity", token=member.token).json()["entries"]
        return str(next(entry["status"] for entry in entries if entry["ref"] == ref))

    def phase(self, ref: str) -> str:
        r = self.get(f"/v2/payouts/{ref}", token=self.operator)
        assert r.status_code == 200, r.text
        return str(r.json()["payout"]["phase"])

    # -- SQL (the alt views) ---------------------------------------------------------------------------------
    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.dsn) as conn:
            return conn.execute(query, params).fetchall()  # type: ignore[arg-type]

    def execute(self, statement: str, *params: Any) -> None:
        with psycopg.connect(self.dsn) as conn:
            conn.execute(statement, params)  # type: ignore[arg-type]

    def scalar(self, query: str, *params: Any) -> Any:
        rows = self.sql(query, *params)
        return rows[0][0] if rows else None

    def ledger_violations(self) -> list[str]:
        """The ledger invariants, written in alt SQL over the alt views only."""
        checks = {
            "batch does not sum to zero": "SELECT batch FROM alt.postings GROUP BY batch HAVING sum(delta) <> 0",
            "free != sum(FREE)":
                """SELECT a.owner FROM alt.accounts a LEFT JOIN alt.postings p
                   ON p.owner = a.owner AND p.account = 'FREE'
                   GROUP BY a.owner, a.free HAVING a.free <> coalesce(sum(p.delta), 0)""",
            "locked != sum(LOCKED)":
                """SELECT a.owner FROM alt.accounts a LEFT JOIN alt.postings p
                   ON p.owner = a.owner AND p.account = 'LOCKED'
                   GROUP BY a.owner, a.locked HAVING a.locked <> coalesce(sum(p.delta), 0)""",
            "locked != open cashouts":
                f"""SELECT a.owner FROM alt.accounts a LEFT JOIN alt.txns t
                   ON t.member = a.owner AND t.kind = 'CASHOUT' AND t.status IN {OPEN_CASHOUT}
                   GROUP BY a.owner, a.locked HAVING a.locked <> coalesce(sum(t.sum), 0)""",
        }
        return [name for name, query in checks.items() if self.sql(query)]


# -- webhook signing, from the formulas ----------------------------------------------------------------------------

def payout_result(ref: str, outcome: str = "SUCCESS", event_id: str | None = None, psp: str = "mockpsp") -> bytes:
    return json.dumps({"cashout_ref": ref, "psp": psp, "event_id": event_id or f"po_evt_{uuid.uuid4().hex}",
                       "outcome": outcome}).encode()


def payout_headers(body: bytes, *, secret: str = SETTINGS.webhook_secret, timestamp: int | None = None,
                   bearer: str | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {"X-Sig-Timestamp": ts, "X-Sig": signature, "Content-Type": "application/json"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    return headers


def card_event(ref: str, amount_minor: int, event_id: str | None = None) -> bytes:
    event = {"id": event_id or f"evt_{uuid.uuid4().hex}", "type": "checkout.session.completed",
             "data": {"object": {"id": f"cs_{uuid.uuid4().hex}", "client_reference_id": ref,
                                 "amount_total": amount_minor, "currency": "usd", "payment_status": "paid"}}}
    return json.dumps(event).encode()


def card_headers(body: bytes, *, secret: str = SETTINGS.stripe_webhook_secret,
                 timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Card-Signature": f"t={ts},v1={signature}", "Content-Type": "application/json"}


def acquirer_batch(ref: str, amount_minor: int, *, psp_reference: str | None = None,
                   key_hex: str = SETTINGS.adyen_hmac_key, key_b64: str | None = None,
                   signature: str | None = "sign") -> bytes:
    """One acquirer notification. Signed ("sign") as the acquirer verifies: the key hex-decoded, as Adyen issues it;
    with `key_b64`, the contract's reading of a key instead (another key, for this route)."""
    hexed = signature == "sign" and key_b64 is None
    item = adyen_item(ref, amount_minor, psp_reference=psp_reference, key_b64=key_b64 or SETTINGS.adyen_hmac_key,
                      signature=None if hexed else signature)
    if hexed:
        signed = ":".join(str(v) for v in (item["pspReference"], "", item["merchantAccountCode"], ref, amount_minor,
                                           "USD", "AUTHORISATION", "true"))
        digest = hmac.new(bytes.fromhex(key_hex), signed.encode(), hashlib.sha256).digest()
        item["additionalData"] = {"hmacSignature": base64.b64encode(digest).decode()}
    return json.dumps({"batch": [item]}).encode()
