"""The canary player and the reads the money loop repeats: balances, deposit state, withdrawal state."""

from __future__ import annotations

import secrets as pysecrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cutover_gate.checks.declared import Write
from cutover_gate.checks.sessions import (
    CANARY_LOGIN,
    KYC_REVIEW,
    REGISTER,
    REGISTERED_LOGIN,
    VERIFY_CONFIRM,
    VERIFY_SEND,
)
from cutover_gate.config.cutover_file import CanaryFile
from cutover_gate.config.settings import GateSettings
from cutover_gate.core.clock import utcnow
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import Secret
from cutover_gate.target.client import Response, TargetClient, beside, poll, to_decimal


@dataclass
class CanaryPlayer:
    player_id: str
    email: str
    token: Secret
    kyc_status: str


@dataclass(frozen=True)
class Balance:
    available: Decimal
    held: Decimal

    def change_to(self, after: Balance) -> str:
        """How the balances moved: "available +1.00 (4.00 -> 5.00)", or "" when nothing moved."""
        moved = self.moved_to(after)
        return moved.text() if moved is not None else ""

    def moved_to(self, after: Balance) -> Reason | None:
        """`change_to` as a catalogue message, None when nothing moved."""
        parts = [Reason.of(N_("%(balance)s %(change)s (%(before)s -> %(after)s)"), balance=name,
                           change=f"{new - old:+.2f}", before=old, after=new)
                 for name, old, new in ((Reason.of(N_("available")), self.available, after.available),
                                        (Reason.of(N_("held")), self.held, after.held)) if new != old]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else Reason.of(N_("%(listed)s, %(part)s"), listed=parts[0], part=parts[1])


Read = tuple[str, Callable[[], Any]]
"""A read of the platform under its `TargetClient.fresh` key: asked now, or taken from a read started ahead."""


def _balance_read(target: TargetClient, token: Secret) -> Read:
    def read() -> Balance:
        resp = target.call("wallet_balance", player=token).ok(N_("wallet balance"))
        return Balance(available=to_decimal(resp.answer("available"), N_("available balance")),
                       held=to_decimal(resp.answer("held"), N_("held balance")))
    return f"wallet_balance:{id(token)}", read


def balance(target: TargetClient, token: Secret) -> Balance:
    """The player's balances; read again only when the gate wrote something since the last read (TargetClient.fresh).
    """
    found: Balance = target.fresh(*_balance_read(target, token))
    return found


def balance_showing(target: TargetClient, token: Secret, expected: Balance) -> Balance:
    """The player's balances after a write whose completion a poll saw (`with_balance_beside`): the balances read
    beside the poll's last state read when they are exactly `expected`, else read again now. Never for a write that
    should move nothing: an early read equal to the balances before it proves nothing."""
    key, read = _balance_read(target, token)
    found: Balance = target.showing(key, read, lambda seen: seen == expected)
    return found


def with_balance_beside(target: TargetClient, token: Secret, read_state: Callable[[], str]) -> Callable[[], str]:
    """`read_state` for a poll, with the player's balances asked beside each state read: one round trip for the state
    that shows a write done and the balances that judge it (`balance_showing`)."""
    key, read = _balance_read(target, token)

    def both() -> str:
        target.ahead(beside(key), read)
        return read_state()
    return both


def _state_read(target: TargetClient, admin: Secret, tx_id: str) -> Read:
    return f"payout_status:{tx_id}", lambda: str(target.call("payout_status", admin=admin, tx_id=tx_id).ok(
        Reason.of(N_("payout status of %(tx)s"), tx=tx_id)).answer("state"))


def withdrawal_state(target: TargetClient, admin: Secret, tx_id: str) -> str:
    state: str = target.fresh(*_state_read(target, admin, tx_id))
    return state


def _admin_wallet_read(target: TargetClient, admin: Secret, player_id: str) -> Read:
    def read() -> Balance:
        resp = target.call("admin_player_wallet", admin=admin, player_id=player_id)
        resp.ok(N_("admin view of the canary wallet"))
        return Balance(available=to_decimal(resp.answer("available"), N_("admin wallet available")),
                       held=to_decimal(resp.answer("held"), N_("admin wallet held")))
    return f"admin_wallet:{player_id}", read


def admin_wallet(target: TargetClient, admin: Secret, player_id: str) -> Balance:
    """The admin's view of a player's balances."""
    found: Balance = target.fresh(*_admin_wallet_read(target, admin, player_id))
    return found


def look_after(target: TargetClient, token: Secret, admin: Secret, tx_id: str, player_id: str) -> None:
    """After a write that settles a withdrawal in its answer: the reads that judge it (its state, the player's
    balances and the admin's view) start at once, one round trip for all; the steps take them through
    `withdrawal_state`, `balance` and `admin_wallet` while the gate has written nothing since."""
    for key, read in (_state_read(target, admin, tx_id), _balance_read(target, token),
                      _admin_wallet_read(target, admin, player_id)):
        target.ahead(key, read)


def tenant_of(target: TargetClient, settings: GateSettings) -> str:
    """The canary's tenant: the cutover file's, else the platform's of the profile; none is a FAIL naming where."""
    tenant = settings.canary.tenant_id or str(target.profile.value("canary", "tenant_id") or "")
    if not tenant:
        raise CheckFailed(N_("no tenant for the canary: set [canary] tenant_id in the cutover file"))
    return tenant


def _tenant_refused(target: TargetClient, resp: Response, tenant: str, what: str | Reason) -> None:
    """An answer that says the tenant does not exist is a FAIL naming the tenant, not a bare status."""
    if 400 <= resp.status < 500 and resp.error_code(target.profile) == target.profile.value("errors",
                                                                                           "unknown_tenant"):
        raise CheckFailed(N_("%(what)s: the target has no tenant '%(tenant)s' (%(answer)s); set [canary] tenant_id in "
                             "the cutover file to one of the platform's tenants"), what=Reason.label(what),
                          tenant=tenant, answer=resp.describe())


def _login(target: TargetClient, email: str, password: Secret, tenant: str, write: Write) -> tuple[str, Secret]:
    resp = write.send(target, email=email, password=password.reveal(), tenant=tenant)
    what = Reason.of(N_("canary login for %(email)s"), email=email)
    _tenant_refused(target, resp, tenant, what)
    resp.ok(what)
    return str(resp.answer("player_id")), Secret(str(resp.answer("token")), "canary access token")


def _verify(target: TargetClient, settings: GateSettings, channel: str, address: str) -> None:
    flow = target.profile.flows.verification
    spec = flow.channels[channel]
    sent = VERIFY_SEND.send(target, slots={"send": spec.send}, address=address, channel=channel
                            ).ok(Reason.of(N_("%(channel)s verification send"), channel=channel))
    if flow.mode == "fixed":
        if settings.verify_code is None:
            raise CheckFailed(N_("the platform verifies with a fixed staging code: set CUTOVER_VERIFY_CODE"))
        code = settings.verify_code.reveal()
    else:
        try:
            code = str(sent.answer("code"))
        except CheckFailed:
            raise CheckFailed(N_("the target does not expose the %(channel)s verification code; provision the canary "
                                 "beforehand and give CUTOVER_CANARY_EMAIL / CUTOVER_CANARY_PASSWORD"),
                              channel=channel) from None
    VERIFY_CONFIRM.send(target, slots={"confirm": spec.confirm}, address=address, channel=channel, code=code
                        ).ok(Reason.of(N_("%(channel)s verification confirm"), channel=channel))


def provision_canary(target: TargetClient, settings: GateSettings, admin: Secret) -> CanaryPlayer:
    """Pre-provisioned credentials when given (required in prod); otherwise register one through the API."""
    p = target.profile
    cfg = settings.canary
    tenant = tenant_of(target, settings)
    if cfg.email and settings.canary_password is not None:
        player_id, token = _login(target, cfg.email, settings.canary_password, tenant, CANARY_LOGIN)
        return CanaryPlayer(player_id, cfg.email, token, "pre-provisioned")
    if settings.env_name == "prod":
        raise CheckFailed(N_("prod cutover: no canary registration in production; give the pre-provisioned canary "
                             "with CUTOVER_CANARY_EMAIL and CUTOVER_CANARY_PASSWORD"))
    flows = p.flows
    if flows.verification.mode == "none":
        raise CheckFailed(N_("the profile registers no canary (flows.verification.mode = none): give the "
                             "pre-provisioned canary with CUTOVER_CANARY_EMAIL and CUTOVER_CANARY_PASSWORD"))
    stamp = utcnow().strftime("%Y%m%d%H%M%S")
    nonce = pysecrets.token_hex(3)
    email = f"canary+{stamp}{nonce}@{p.value('canary', 'email_domain')}"
    password = Secret("Cv!" + pysecrets.token_urlsafe(18), "canary password")
    phone = "+90555" + f"{pysecrets.randbelow(10**7):07d}"
    reg = REGISTER.send(target, email=email, password=password.reveal(), username=f"canary{stamp}{nonce}",
                        phone=phone, tenant=tenant)
    _tenant_refused(target, reg, tenant, N_("canary registration"))
    reg.ok(N_("canary registration"))
    addresses = {"email": email, "phone": phone}
    for channel, spec in flows.verification.channels.items():
        _verify(target, settings, channel, addresses[spec.address])
    player_id, token = _login(target, email, password, tenant, REGISTERED_LOGIN)
    if flows.kyc.mode == "none":
        return CanaryPlayer(player_id, email, token, "verified")
    KYC_REVIEW.send(target, admin=admin, player_id=player_id).ok(N_("canary KYC review (manual admin override)"))
    return CanaryPlayer(player_id, email, token, "verified (manual admin override)")


def deposit_state(target: TargetClient, token: Secret, tx_id: str) -> str:
    return deposit_states(target, token, [tx_id])[tx_id]


def deposit_states(target: TargetClient, token: Secret, tx_ids: list[str]) -> dict[str, str]:
    """The states of the player's transactions `tx_ids` from one read of the list ("missing" when not listed)."""
    resp = target.call("wallet_transactions", player=token).ok(N_("wallet transactions"))
    found = dict.fromkeys(tx_ids, "missing")
    for item in resp.items():
        try:
            tx_id = str(resp.item(item, "tx_id"))
            if tx_id in found:
                found[tx_id] = str(resp.item(item, "state"))
        except KeyError as exc:
            raise CheckFailed(N_("wallet transactions: %(missing)s in an item"), missing=exc.args[0]) from None
    return found


def wait_for_deposit(target: TargetClient, token: Secret, tx_id: str, cfg: CanaryFile, *,
                     balance_beside: bool = False) -> str:
    """The deposit's state once completed; with `balance_beside`, the balances asked beside each state read, for
    `balance_showing`."""
    p = target.profile

    def state() -> str:
        return deposit_state(target, token, tx_id)

    return poll(with_balance_beside(target, token, state) if balance_beside else state,
                done=[p.state("deposit_completed")],
                failed=p.states("deposit_failed"), deadline_s=cfg.poll_deadline_s, interval_s=cfg.poll_interval_s,
                what=Reason.of(N_("deposit %(tx)s"), tx=tx_id))


def completion_of(target: TargetClient, method: str) -> str:
    """How a deposit of `method` completes on this platform (flows.deposit.methods): webhook, sync or poll."""
    found = target.profile.flows.deposit.methods.get(method)
    if found is None:
        raise CheckFailed(N_("the profile does not say how a '%(method)s' deposit completes (flows.deposit.methods)"),
                          method=method)
    return found


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
