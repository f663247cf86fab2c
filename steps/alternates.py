"""Every other way the platform approves and pays (T-0 `t0_alternate_paths`, `flows.alternates`): an admin UI's
own approve and mark-paid routes beside the finance API's, say. The canary loop goes through the primary calls; each
alternate path is proven on a kit withdrawal of the kit amount, through the whole loop (request, approve, paid), with
the same ledger check. A 404/5xx on any path is the rollback matrix's payout/withdraw row, and the line names the
path: the defect the ops team would hit first is the path nobody probed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from pytest_bdd import then, when

from cutover_gate.checks import kit as declared
from cutover_gate.checks.canary import Balance, balance, withdrawal_state
from cutover_gate.checks.declared import Write
from cutover_gate.core.catalogue import ROW_LEDGER_INVARIANT_BREACH, ROW_PAYOUT_WITHDRAW_HTTP_ERROR
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.evidence.recording import Evidence
from cutover_gate.target.client import TargetClient, TargetUnreachable
from steps.common import spend
from steps.webhooks import Kit

ACTIONS = {"approve": Reason.of(N_("approve")), "mark paid": Reason.of(N_("mark paid"))}
"""The words of each alternate step, as a failure names them."""


@dataclass
class Path:
    review: str
    settle: str
    tx_id: str = ""
    before: Balance | None = None

    @property
    def name(self) -> str:
        return f"calls.{self.review} + calls.{self.settle}"


@dataclass
class Alternates:
    paths: list[Path] = field(default_factory=list)


def paths_of(target: TargetClient) -> list[Path]:
    return [Path(review, settle) for review, settle in target.profile.alternate_paths()]


def _act(target: TargetClient, kit: Kit, evidence: Evidence, path: Path, write: Write, what: str) -> None:
    slots = {"review": path.review, "paid": path.settle}
    action = ACTIONS.get(what, what)
    call = write.call_of(target.profile, **slots)
    try:
        resp = write.send(target, slots=slots, admin=kit.admin, tx_id=path.tx_id,
                          action=target.profile.value("actions", "approve"), reason=f"cutover alternate path {what}",
                          key=f"gate-alt-{uuid.uuid4()}")
    except TargetUnreachable as exc:
        evidence.trigger(ROW_PAYOUT_WITHDRAW_HTTP_ERROR, Reason.of(N_("%(what)s through calls.%(call)s got no answer: "
                                                                      "%(cause)s"), what=action, call=call,
                                                                   cause=exc.reason))
        raise
    if resp.status == 404 or resp.status >= 500:
        evidence.trigger(ROW_PAYOUT_WITHDRAW_HTTP_ERROR, Reason.of(
            N_("%(what)s through calls.%(call)s (%(method)s %(path)s) answered %(status)s"), what=action, call=call,
            method=resp.exchange.method, path=target.profile.call(call).path, status=resp.status))
    resp.ok(Reason.of(N_("%(what)s through calls.%(call)s (%(path)s)"), what=action, call=call, path=path.name))


@when("a kit withdrawal is requested for each alternate approve and pay path", target_fixture="alternates")
@when("her alternatif onay ve ödeme yolu için bir kit çekimi istenir", target_fixture="alternates")
def _(kit: Kit, target: TargetClient, evidence: Evidence) -> Alternates:
    found = Alternates(paths_of(target))
    evidence.put("alternate_paths", [p.name for p in found.paths] or "none declared (flows.alternates)")
    p = target.profile
    for path in found.paths:
        spend(kit.shared, kit.budget, kit.amount, Reason.of(N_("the alternate path %(path)s"), path=path.name))
        path.before = balance(target, kit.player.token)
        resp = declared.ALTERNATE_WITHDRAW.send(target, player=kit.player.token, key=f"gate-alt-{uuid.uuid4()}",
                                                amount=kit.amount, method=p.value("canary", "withdraw_method"),
                                                address=p.value("canary", "withdraw_address")
                                                ).ok(Reason.of(N_("kit withdrawal for %(path)s"), path=path.name))
        path.tx_id = str(resp.answer("tx_id"))
        kit.shared.footprint.withdrawal(path.tx_id, kit.amount, f"alternate path {path.name}")
    return found


def _through_each(alternates: Alternates, kit: Kit, target: TargetClient, evidence: Evidence, step: str,
                  what: str, state: str) -> None:
    """Each path's `step` call ("review" or "settle") on its withdrawal, then the platform's own view of it."""
    wanted = target.profile.state(state)
    write = declared.ALTERNATE_APPROVE if step == "review" else declared.ALTERNATE_PAID
    for path in alternates.paths:
        call = getattr(path, step)
        _act(target, kit, evidence, path, write, what)
        shown = withdrawal_state(target, kit.admin, path.tx_id)
        evidence.put(f"{path.name} {step}", shown)
        if shown != wanted:
            raise CheckFailed(N_("after %(what)s through calls.%(call)s the platform shows %(tx_id)s '%(shown)s', "
                                 "expected '%(wanted)s'"), what=ACTIONS.get(what, what), call=call, tx_id=path.tx_id,
                              shown=shown, wanted=wanted)


@then("each alternate path approves its withdrawal")
@then("her alternatif yol çekimini onaylar")
def _(alternates: Alternates, kit: Kit, target: TargetClient, evidence: Evidence) -> None:
    _through_each(alternates, kit, target, evidence, "review", "approve", "withdraw_approved")


@then("each alternate path pays its withdrawal out")
@then("her alternatif yol çekimini öder")
def _(alternates: Alternates, kit: Kit, target: TargetClient, evidence: Evidence) -> None:
    _through_each(alternates, kit, target, evidence, "settle", "mark paid", "withdraw_paid")


@then("each paid withdrawal settled exactly")
@then("ödenen her çekim tam olarak kapandı")
def _(alternates: Alternates, kit: Kit, target: TargetClient, evidence: Evidence) -> None:
    if not alternates.paths:
        return
    first = alternates.paths[0].before
    assert first is not None
    after = balance(target, kit.player.token)
    spent = kit.amount * len(alternates.paths)
    expected = (first.available - spent, first.held)
    evidence.put("alternate_settlement", {"expected": [f"{v:.2f}" for v in expected],
                                          "seen": [f"{after.available:.2f}", f"{after.held:.2f}"]})
    if (after.available, after.held) != expected:
        evidence.trigger(ROW_LEDGER_INVARIANT_BREACH, Reason.of(
            N_("alternate paths settled to available/held %(available)s/%(held)s, expected "
               "%(expected_available)s/%(expected_held)s"), available=after.available, held=after.held,
            expected_available=expected[0], expected_held=expected[1]))
        raise CheckFailed(N_("after the alternate paths available/held is %(available)s/%(held)s, expected "
                             "%(expected_available)s/%(expected_held)s (each path paid out %(amount)s once, held back "
                             "to its start)"), available=after.available, held=after.held,
                          expected_available=expected[0], expected_held=expected[1], amount=kit.amount)
