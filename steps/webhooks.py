"""T-0 webhook kit (checklist section 4, CONTRACT §1 Webhooks): the signature and timestamp probes of every route.

The gate acts as the PSP: it builds each webhook route's event from the profile ([webhooks.routes.*]: the call,
the signature scheme, the payload template, the variable holding the secret) and signs it as a PSP would. Every
route must refuse an unsigned event, one signed with a wrong secret and (where the scheme carries a time) a stale
one, and none may move money. steps/webhook_replay.py proves valid events take effect once and replays none.

Every probe uses the run's canary. The negative probes always target transactions that are already completed (the
canary's completed deposit for a deposit route, its paid withdrawal for a payout route), so a faulty platform can
move only the canary's own money. In staging and the sandbox, when the money loop has not run, the kit funds the
canary itself through a validly signed event first.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal

import pytest
from pytest_bdd import given, then, when

from cutover_gate.checks import kit as declared
from cutover_gate.checks import unsigned
from cutover_gate.checks.canary import Balance, CanaryPlayer, balance, deposit_state, tenant_of
from cutover_gate.checks.declared import Amounts, Write
from cutover_gate.config.cutover_file import KitBudget
from cutover_gate.config.profile_schema import WebhookRoute
from cutover_gate.core.catalogue import ROW_SECURITY_INCIDENT, T0_WEBHOOK_CLASSIFICATION
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.core.redact import Secret
from cutover_gate.evidence.recording import Evidence, skip
from cutover_gate.fixtures import Gate
from cutover_gate.target import signing
from cutover_gate.target.client import Response, TargetClient, poll
from steps.ahead import READ_CONCURRENCY, later, start_t0_reads
from steps.common import Shared, admin_session, canary_of, spend, start_surveys


@dataclass
class Kit:
    shared: Shared
    player: CanaryPlayer
    admin: Secret
    amount: Decimal
    prod: bool
    currency: str = "USD"
    before: Balance | None = None
    idem_key: str | None = field(default=None, repr=False)
    subject: str | None = None
    tenant: str = ""
    budget: KitBudget = field(default_factory=KitBudget)
    """The cutover file's cap on the kit's withdrawals (count and amount) in one run."""
    judged: dict[str, unsigned.Answer] = field(default_factory=dict)
    """Probe -> what its answer proves (checks/unsigned.py)."""


def routes(target: TargetClient) -> dict[str, WebhookRoute]:
    found = target.profile.webhooks.routes
    if not found:
        raise CheckFailed(N_("the profile declares no webhook route ([webhooks.routes])"))
    return found


def secret_of(gate: Gate, name: str, route: WebhookRoute) -> Secret:
    secret = gate.settings.secret_of_var(route.secret)
    if secret is None:
        raise CheckFailed(N_("the %(name)s webhook route's secret is not set: export %(var)s"), name=name,
                          var=route.secret)
    return secret


def canary_values(kit: Kit) -> dict[str, str]:
    """What a template may name of the canary itself ({player_id}, {player_email}, {tenant}, and its completed
    deposit and paid withdrawal): a platform that credits by player is tested on the canary, nobody else."""
    return {"player_id": kit.player.player_id, "player_email": kit.player.email, "tenant": kit.tenant,
            "deposit_id": kit.shared.completed_deposit or "", "withdrawal_id": kit.shared.paid_withdrawal or ""}


def event_values(target: TargetClient, kit: Kit, tx_id: str, outcome: str = "paid",
                 amount: Decimal | None = None) -> dict[str, object]:
    p = target.profile
    return {**signing.event_values(tx_id, amount or kit.amount, kit.currency, outcome=outcome,
                                   provider=p.webhooks.provider, merchant=p.webhooks.merchant_account),
            **canary_values(kit)}


def forge(target: TargetClient, gate: Gate, kit: Kit, name: str, route: WebhookRoute, tx_id: str, *,
          outcome: str = "paid", secret: Secret | str | None = "platform", ts: int | None = None,
          amount: Decimal | None = None) -> signing.Forged:
    key: Secret | None = secret_of(gate, name, route) if secret == "platform" else secret  # type: ignore[assignment]
    values = event_values(target, kit, tx_id, route.outcomes.get(outcome, outcome), amount)
    return signing.forge(name, route, values, key, ts=ts)


def send(target: TargetClient, kit: Kit, write: Write, route: WebhookRoute, forged: signing.Forged, kind: str,
         subject: str, *, signed: bool = True) -> Response:
    """The event to its route's call as `write` declares it, with the auth the route needs beside its signature; in
    the footprint. Only a validly `signed` event may move money: a transport failure on any other puts no write in
    doubt."""
    try:
        resp = write.send(target, slots={"route": route.call}, admin=kit.admin, player=kit.player.token,
                          data=forged.body, headers=forged.headers, may_move_money=signed)
    except CheckFailed:
        kit.shared.footprint.webhook(forged.route, subject, kind, None)
        raise
    kit.shared.footprint.webhook(forged.route, subject, kind, resp.status)
    return resp


def deposit(target: TargetClient, kit: Kit, write: Write, method: str, amount: Decimal | None = None) -> str:
    resp = write.send(target, slots={"method": method}, player=kit.player.token, key=f"gate-kit-{uuid.uuid4()}",
                      amount=amount or kit.amount).ok(Reason.of(N_("webhook kit deposit (%(method)s)"), method=method))
    try:
        kit.currency = str(resp.answer("currency")) or kit.currency
    except CheckFailed:
        pass  # a platform that does not echo the currency: the kit's default stands
    tx_id = str(resp.answer("tx_id"))
    kit.shared.footprint.deposit(tx_id, amount or kit.amount, method, "webhook kit")
    return tx_id


def wait_deposit(target: TargetClient, gate: Gate, kit: Kit, tx_id: str) -> None:
    p = target.profile
    poll(lambda: deposit_state(target, kit.player.token, tx_id), done=[p.state("deposit_completed")],
         failed=p.states("deposit_failed"), deadline_s=gate.settings.canary.poll_deadline_s,
         interval_s=gate.settings.canary.poll_interval_s,
         what=Reason.of(N_("webhook kit deposit %(tx_id)s"), tx_id=tx_id))


KIT_WITHDRAWAL = N_("webhook kit")
"""Who a kit withdrawal is for, unless said (a label, see `Reason.label`)."""


def requested_withdrawal(target: TargetClient, kit: Kit, write: Write, by: str | Reason = KIT_WITHDRAWAL) -> str:
    """A kit withdrawal requested for `by` (a label, see `Reason.label`), counted against the kit budget."""
    spend(kit.shared, kit.budget, kit.amount, Reason.label(by))
    p = target.profile
    resp = write.send(target, player=kit.player.token, key=f"gate-kit-{uuid.uuid4()}", amount=kit.amount,
                      method=p.value("canary", "withdraw_method"), address=p.value("canary", "withdraw_address")
                      ).ok(N_("webhook kit withdrawal"))
    tx_id = str(resp.answer("tx_id"))
    kit.shared.footprint.withdrawal(tx_id, kit.amount, Reason.label(by).text())
    return tx_id


@dataclass(frozen=True)
class HeldPayout:
    tx_id: str
    held: Balance
    """The canary's balances as they must be with its hold in place: read before its withdrawal was requested and
    moved by the kit amount from available to held (or read as they are, for the idempotency probe's withdrawal, held
    already). Not read again after the approve and payout calls: the event's line judges the balances it leaves from
    these, so money those calls moved fails it too (and the ledger's footprint at the end of T-0)."""
    spare: bool = False
    """The idempotency probe's withdrawal."""


def held_payout(target: TargetClient, kit: Kit) -> HeldPayout:
    """A payout of the kit amount that waits for a provider's webhook the PSP will not send by itself (the profile's
    calls.withdrawal_payout): the gate's webhook alone decides it, so no outcome depends on which delivery wins. The
    idempotency probe's withdrawal, still held, when it left one (Shared.spare_withdrawal)."""
    before = balance(target, kit.player.token)
    spare, kit.shared.spare_withdrawal = kit.shared.spare_withdrawal, None
    if spare is not None:
        tx_id, held, approve = spare, before, declared.SPARE_APPROVE
    else:
        tx_id = requested_withdrawal(target, kit, declared.HELD_WITHDRAW)
        held = Balance(before.available - kit.amount, before.held + kit.amount)
        approve = declared.HELD_APPROVE
    approve.send(target, admin=kit.admin, tx_id=tx_id, action=target.profile.value("actions", "approve"),
                 reason="cutover webhook kit").ok(N_("webhook kit approve"))
    declared.HELD_PAYOUT.send(target, admin=kit.admin, tx_id=tx_id, key=f"gate-kit-payout-{uuid.uuid4()}"
                              ).ok(N_("webhook kit payout (calls.withdrawal_payout)"))
    return HeldPayout(tx_id, held, spare=spare is not None)


def hand_on(request: pytest.FixtureRequest, target: TargetClient, kit: Kit, tx_id: str) -> bool:
    """Leave the idempotency probe's withdrawal, still held, to the classification probe that runs later, when it
    will take it (checks/kit.py `spare_for_classification`); False: the caller rejects it now."""
    if not declared.spare_for_classification(target.profile, later(request, T0_WEBHOOK_CLASSIFICATION)):
        return False
    kit.shared.spare_withdrawal = tx_id
    return True


def reject(target: TargetClient, kit: Kit, write: Write, tx_id: str, why: str) -> None:
    """Leave nothing held behind: a probe's withdrawal is rejected, which releases its hold."""
    write.send(target, admin=kit.admin, tx_id=tx_id, action=target.profile.value("actions", "reject"), reason=why)


def settle(gate: Gate, since: float | None = None) -> None:
    """Give the PSP time to deliver its own event too: the effect must still be exactly once after it. The time runs
    from `since` (the monotonic instant the gate's own event was answered) when given, else from now."""
    configured = gate.settings.cutover.webhooks.settle_s
    window = gate.settings.profile.webhooks.settle_s if configured is None else configured
    time.sleep(max(0.0, window - (time.monotonic() - since)) if since is not None else window)


def subject_of(target: TargetClient, kit: Kit, route: WebhookRoute) -> str:
    """A completed transaction for a negative probe: the canary's paid withdrawal or completed deposit."""
    if route.completes == "payout":
        return kit.shared.paid_withdrawal or requested_withdrawal(target, kit, declared.PROBE_SUBJECT,
                                                                  N_("webhook probe subject"))
    assert kit.shared.completed_deposit is not None
    return kit.shared.completed_deposit


@given("a funded webhook test player", target_fixture="kit")
@given("bakiyesi olan bir webhook test oyuncusu", target_fixture="kit")
def _(target: TargetClient, gate: Gate, shared: Shared, evidence: Evidence, request: pytest.FixtureRequest) -> Kit:
    start_surveys(request, target, shared)
    start_t0_reads(request, target, shared)
    admin = admin_session(target, gate, shared)
    player = canary_of(target, gate, shared)
    amount = Amounts.of(gate.settings).kit
    kit = Kit(shared=shared, player=player, admin=admin, amount=amount, prod=gate.settings.env_name == "prod",
              tenant=tenant_of(target, gate.settings), budget=gate.settings.cutover.kit_budget)
    if shared.probe_baseline is None:  # the canary's money before the first probe of the run (t0_ledger_invariants)
        shared.probe_baseline = balance(target, player.token)
        shared.baseline_marks = (len(shared.footprint.deposits), len(shared.footprint.withdrawals),
                                 len(shared.footprint.webhooks))
    if shared.completed_deposit is None:
        if kit.prod:
            raise CheckFailed(N_("prod: the webhook probes target the canary's completed transactions, and the money "
                                 "loop has not completed a deposit in this run (run T-0's canary first)"))
        funding_route = next(((n, r) for n, r in routes(target).items() if r.completes == "deposit"), None)
        if funding_route is None:
            raise CheckFailed(N_("no webhook route completes a deposit: the kit cannot fund the canary"))
        name, route = funding_route
        assert route.deposit_method is not None
        funding = Amounts.of(gate.settings)["funding"]
        tx_id = deposit(target, kit, declared.FUND, route.deposit_method, funding)
        # the valid path must work before the invalid ones are judged
        event = forge(target, gate, kit, name, route, tx_id, amount=funding)
        send(target, kit, declared.FUND_EVENT, route, event, "valid (funding)", tx_id).ok(
            Reason.of(N_("a validly signed %(name)s webhook"), name=name))
        wait_deposit(target, gate, kit, tx_id)
        shared.completed_deposit = tx_id
    evidence.put("kit_player_id", player.player_id)
    return kit


# Forged events go at most READ_CONCURRENCY at a time: none can move money on a correct platform (each names a
# completed transaction of the canary), and the balances before and after all of them judge every one.


def _probe(target: TargetClient, gate: Gate, kit: Kit, evidence: Evidence, flaws: tuple[str, ...]) -> None:
    kit.before = balance(target, kit.player.token)
    planned: list[tuple[str, WebhookRoute, str, str, signing.Forged]] = []
    probes, left_out = declared.forged_probes(target.profile, routes(target), flaws)
    for key, why in left_out.items():
        evidence.put(key, why)
    for name, route, flaw in probes:
        subject = subject_of(target, kit, route)  # may request a withdrawal: money calls stay sequential
        if flaw == "missing":
            forged = forge(target, gate, kit, name, route, subject, secret=None)
        elif flaw == "wrong":
            forged = forge(target, gate, kit, name, route, subject,
                           secret=signing.wrong_secret(name, route, secret_of(gate, name, route)))
        else:
            forged = forge(target, gate, kit, name, route, subject, ts=int(time.time()) - signing.STALE_S)
        planned.append((name, route, flaw, subject, forged))
    with ThreadPoolExecutor(max_workers=READ_CONCURRENCY, thread_name_prefix="webhook-probe") as pool:
        answers = list(pool.map(lambda p: _judge(target, kit, p[1], p[4], p[2], p[3]), planned))
    for (name, route, flaw, subject, _forged), judged in zip(planned, answers, strict=True):
        if judged.verdict == "unproven" and route.scheme != "none":
            judged = _twin(target, gate, kit, name, route, subject, judged)
        kit.judged[f"{name} {flaw}"] = judged
        evidence.put(f"{name}_{flaw}_answer", judged.status)
        if subject not in (kit.shared.paid_withdrawal, kit.shared.completed_deposit):
            reject(target, kit, declared.PROBE_REJECT, subject, "cutover webhook signature probe")


_FLAW_WORDS = {"missing": N_("unsigned"), "wrong": N_("wrongly signed"), "stale": N_("stale")}


def _judge(target: TargetClient, kit: Kit, route: WebhookRoute, forged: signing.Forged, flaw: str,
           subject: str) -> unsigned.Answer:
    path = target.profile.call(route.call).path
    try:
        resp = send(target, kit, declared.FORGED_EVENT, route, forged, flaw, subject, signed=False)
    except CheckFailed as exc:
        if target.breaker.down_since is not None:
            raise
        return unsigned.no_answer(path, _FLAW_WORDS[flaw], exc)
    return unsigned.answer_of(resp, target.profile, path, _FLAW_WORDS[flaw],
                              target.profile.codes(route.call, "signature"))


def _twin(target: TargetClient, gate: Gate, kit: Kit, name: str, route: WebhookRoute, subject: str,
          judged: unsigned.Answer) -> unsigned.Answer:
    """The control of an unproven answer: the same event for the same completed subject, correctly signed. When the
    route accepts it, the only difference, the signature, is what it refused."""
    if gate.settings.secret_of_var(route.secret) is None:
        return judged
    twin = forge(target, gate, kit, name, route, subject)
    resp = send(target, kit, declared.TWIN, route, twin, "valid (control of an unproven refusal)", subject)
    if 200 <= resp.status < 300:
        return replace(judged, verdict="refused", why=Reason.of(
            N_("%(why)s; its correctly signed twin was accepted (%(status)s), so the signature is what it refused"),
            why=judged.why, status=resp.status))
    return replace(judged, why=Reason.of(N_("%(why)s; its correctly signed twin was not accepted either (%(status)s)"),
                                         why=judged.why, status=resp.status))


@when("I send every webhook route its event without a signature and signed with a wrong secret")
@when("her webhook route'una olayını imzasız ve yanlış secret ile imzalanmış gönderirim")
def _(target: TargetClient, gate: Gate, kit: Kit, evidence: Evidence) -> None:
    _probe(target, gate, kit, evidence, ("missing", "wrong"))


@when("I send every timestamped webhook route its event with a stale timestamp")
@when("zaman damgalı her webhook route'una olayını eski zaman damgasıyla gönderirim")
def _(target: TargetClient, gate: Gate, kit: Kit, evidence: Evidence) -> None:
    _probe(target, gate, kit, evidence, ("stale",))
    if not kit.judged:
        raise CheckFailed(N_("no webhook route of the profile carries a timestamp: nothing to prove stale events on"))


@then("every one is refused and no money moved")
@then("her biri reddedilir ve para hareket etmez")
def _(kit: Kit, target: TargetClient, evidence: Evidence) -> None:
    assert kit.before is not None
    after = balance(target, kit.player.token)
    moved = kit.before.moved_to(after)
    evidence.put("judged", {probe: a.describe() for probe, a in kit.judged.items()})
    bad = [a for a in kit.judged.values() if a.verdict in ("accepted", "crashed")]
    if bad or moved:
        shown = tuple(a.reason() for a in bad) or Reason.of(N_("every one answered a refusal"))
        said = moved or Reason.of(N_("no"))
        evidence.trigger(ROW_SECURITY_INCIDENT, Reason.of(N_("forged webhooks were not refused: %(shown)s; money "
                                                             "moved: %(moved)s"), shown=shown, moved=said))
        raise CheckFailed(N_("forged webhooks were not refused (%(shown)s); money moved: %(moved)s"), shown=shown,
                          moved=said)
    unproven = [a for a in kit.judged.values() if a.verdict == "unproven"]
    if unproven:
        evidence.put("unproven", [a.describe() for a in unproven])
        skip(Reason.joined(Reason.of(N_("unproven: %(answer)s; declare the route's signature codes ([webhooks] "
                                        "signature_codes) or acknowledge it ([discovery] acknowledged)"),
                                     answer=a.reason()) for a in unproven))
