"""The canary player and the reads the money loop repeats: balances, deposit state, withdrawal state."""

from __future__ import annotations

import secrets as pysecrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cutover_gate.config.cutover_file import CanaryFile
from cutover_gate.config.settings import GateSettings
from cutover_gate.config.target_profile import Profile, dig
from cutover_gate.core.clock import utcnow
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.redact import Secret
from cutover_gate.target.client import Response, TargetClient, poll, to_decimal


@dataclass
class CanaryPlayer:
    player_id: str
    email: str
    token: Secret
    kyc_status: str


@dataclass
class Balance:
    available: Decimal
    held: Decimal


def wire(p: Profile, **fields: Any) -> dict[str, Any]:
    """A request body with the platform's field names: `wire(p, amount="10.00")` is `{p's name for amount: "10.00"}`."""
    return {str(p.value("requests", key)): value for key, value in fields.items()}


def review_body(p: Profile, action: str, reason: str) -> dict[str, Any]:
    """The withdrawal review body: `action` is a key of the profile's [actions] ("approve" or "reject")."""
    return wire(p, review_action=p.value("actions", action), reason=reason)


def tx_field(p: Profile, resp: Response, key: str) -> str:
    """A field of the transaction an answer carries (`[fields] transaction`, then `[fields] <key>` inside it)."""
    return str(resp.field(f"{p.field('transaction')}.{p.field(key)}"))


def balance(target: TargetClient, token: Secret) -> Balance:
    p = target.profile
    resp = target.get(p.path("wallet_balance"), token=token)
    resp.expect(200, what="wallet balance")
    return Balance(available=to_decimal(resp.field(p.field("available")), "available balance"),
                   held=to_decimal(resp.field(p.field("held")), "held balance"))


def _login(target: TargetClient, email: str, password: Secret, tenant: str) -> tuple[str, Secret]:
    p = target.profile
    body = wire(p, email=email, password=password.reveal(), tenant_id=tenant)
    resp = target.post(p.path("player_login"), json=body)
    resp.expect(200, what=f"canary login for {email}")
    token = resp.field(p.field("token"))
    return str(resp.field(p.field("login_user_id"))), Secret(str(token), "canary access token")


def _verify(target: TargetClient, channel: str, address_key: str, address: str) -> None:
    p = target.profile
    sent = target.post(p.path(f"verify_{channel}_send"), json=wire(p, **{address_key: address}))
    sent.expect(200, what=f"{channel} verification send")
    try:
        code = str(sent.field(p.field("verify_debug_code")))
    except CheckFailed:
        raise CheckFailed(f"the target does not expose the {channel} verification code; provision the canary "
                          "beforehand and give CUTOVER_CANARY_EMAIL / CUTOVER_CANARY_PASSWORD") from None
    confirm = target.post(p.path(f"verify_{channel}_confirm"), json=wire(p, **{address_key: address, "code": code}))
    confirm.expect(200, what=f"{channel} verification confirm")


def provision_canary(target: TargetClient, settings: GateSettings, admin: Secret) -> CanaryPlayer:
    """Pre-provisioned credentials when given (required in prod); otherwise register one through the API."""
    p = target.profile
    cfg = settings.canary
    tenant = cfg.tenant_id or str(p.value("canary", "tenant_id"))
    if cfg.email and settings.canary_password is not None:
        player_id, token = _login(target, cfg.email, settings.canary_password, tenant)
        return CanaryPlayer(player_id, cfg.email, token, "pre-provisioned")
    if settings.env_name == "prod":
        raise CheckFailed("prod cutover: no canary registration in production; give the pre-provisioned canary "
                          "with CUTOVER_CANARY_EMAIL and CUTOVER_CANARY_PASSWORD")
    stamp = utcnow().strftime("%Y%m%d%H%M%S")
    nonce = pysecrets.token_hex(3)
    email = f"canary+{stamp}{nonce}@{p.value('canary', 'email_domain')}"
    password = Secret("Cv!" + pysecrets.token_urlsafe(18), "canary password")
    phone = "+90555" + f"{pysecrets.randbelow(10**7):07d}"
    reg = target.post(p.path("player_register"), json=wire(p, email=email, password=password.reveal(),
                                                             username=f"canary{stamp}{nonce}", phone=phone,
                                                             tenant_id=tenant))
    reg.expect(200, 201, what="canary registration")
    _verify(target, "email", "email", email)
    _verify(target, "sms", "phone", phone)
    player_id, token = _login(target, email, password, tenant)
    review = target.post(p.path("kyc_review", player_id=player_id), token=admin,
                         json=dict(p.value("canary", "kyc_review_body")))
    review.expect(200, what="canary KYC review (manual admin override)")
    return CanaryPlayer(player_id, email, token, "verified (manual admin override)")


def deposit_state(target: TargetClient, token: Secret, tx_id: str) -> str:
    p = target.profile
    resp = target.get(p.path("wallet_transactions"), token=token)
    resp.expect(200, what="wallet transactions")
    for item in resp.field(p.field("list_items")):
        try:
            if str(dig(item, p.field("tx_id"))) == tx_id:
                return str(dig(item, p.field("tx_state")))
        except KeyError as exc:
            raise CheckFailed(f"wallet transactions: {exc.args[0]} in an item") from None
    return "missing"


def wait_for_deposit(target: TargetClient, token: Secret, tx_id: str, cfg: CanaryFile) -> str:
    p = target.profile
    return poll(lambda: deposit_state(target, token, tx_id), done=[p.state("deposit_completed")],
                failed=p.states("deposit_failed"), deadline_s=cfg.poll_deadline_s, interval_s=cfg.poll_interval_s,
                what=f"deposit {tx_id}")


def withdrawal_state(target: TargetClient, admin: Secret, tx_id: str) -> str:
    p = target.profile
    resp = target.get(p.path("payout_status", tx_id=tx_id), token=admin)
    resp.expect(200, what=f"payout status of {tx_id}")
    return str(resp.field(p.field("payout_status_state")))


@dataclass
class Footprint:
    """What the gate caused on the platform, for the canary report's last section: every deposit and withdrawal it
    created and every webhook it sent, each with its subject and the answer."""

    deposits: list[dict[str, str]] = field(default_factory=list)
    withdrawals: list[dict[str, str]] = field(default_factory=list)
    webhooks: list[dict[str, str]] = field(default_factory=list)

    def deposit(self, tx_id: str, amount: Decimal, method: str, by: str) -> None:
        self.deposits.append({"tx_id": tx_id, "amount": f"{amount:.2f}", "method": method, "by": by})

    def withdrawal(self, tx_id: str, amount: Decimal, by: str) -> None:
        self.withdrawals.append({"tx_id": tx_id, "amount": f"{amount:.2f}", "by": by})

    def webhook(self, route: str, subject: str, kind: str, status: int | None) -> None:
        self.webhooks.append({"route": route, "subject": subject, "kind": kind,
                              "answer": str(status) if status is not None else "no answer"})
