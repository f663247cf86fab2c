"""T-0 `t0_psp_deposit`: the PSP's asynchronous path, in a scenario of its own. A deposit with the profile's
asynchronous method (flows.deposit.psp_method) stays pending until the PSP's signed webhook completes it. A platform
whose environment has no such method fails this line alone, or waives it with the cutover file's
[canary] psp_deposit_waiver (a ticket); the canary money loop runs either way."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

from pytest_bdd import then, when

from cutover_gate.checks import money_loop as loop
from cutover_gate.checks.canary import Balance, balance, balance_showing, completion_of, wait_for_deposit
from cutover_gate.checks.declared import Amounts
from cutover_gate.checks.kit import PSP_DEPOSIT
from cutover_gate.core.catalogue import T0_PSP_DEPOSIT
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.evidence.recording import Evidence, proves
from cutover_gate.fixtures import Gate
from cutover_gate.target.client import TargetClient
from steps.canary import Canary, judged


@dataclass
class PspDeposit:
    method: str
    tx_id: str | None = None
    state: str | None = None
    waived: str | None = None
    amount: Decimal = Decimal(0)
    before: Balance | None = None
    """The canary's balances before the deposit."""


@when("the canary deposits the kit amount with the PSP's asynchronous method", target_fixture="psp_deposit")
@when("canary kit tutarını PSP'nin asenkron yöntemiyle yatırır", target_fixture="psp_deposit")
@proves(T0_PSP_DEPOSIT)
def _(canary: Canary, target: TargetClient, gate: Gate, evidence: Evidence) -> PspDeposit:
    method = target.profile.flows.deposit.psp_method
    waiver = gate.settings.cutover.canary.psp_deposit_waiver
    if not method:
        if waiver:
            evidence.waive([waiver])
            evidence.put("psp_deposit", f"waived: {waiver}")
            return PspDeposit("", waived=waiver)
        raise CheckFailed(N_("this environment has no asynchronous PSP deposit method (flows.deposit.psp_method is "
                             "empty): waive t0_psp_deposit with the cutover file's [canary] psp_deposit_waiver, "
                             "naming a ticket"))
    if completion_of(target, method) == "sync":
        raise CheckFailed(N_("flows.deposit.psp_method '%(method)s' completes in its answer: not the PSP's "
                             "asynchronous path"), method=method)
    amount = Amounts.of(gate.settings).kit
    before = balance(target, canary.player.token)
    resp = PSP_DEPOSIT.send(target, slots={"method": method}, player=canary.player.token,
                            key=f"canary-psp-{uuid.uuid4()}", amount=amount
                            ).ok(Reason.of(N_("canary deposit with %(method)s"), method=method))
    found = PspDeposit(method, str(resp.answer("tx_id")), str(resp.answer("state")), amount=amount, before=before)
    assert found.tx_id is not None
    canary.shared.footprint.deposit(found.tx_id, amount, method, "PSP path")
    evidence.put("psp_deposit_tx_id", found.tx_id)
    evidence.put("psp_deposit_method", method)
    evidence.put("initial_state", found.state)
    return found


@then("the deposit completes once the PSP's signed webhook arrives")
@then("deposit PSP'nin imzalı webhook'u geldiğinde tamamlanır")
@proves(T0_PSP_DEPOSIT)
def _(psp_deposit: PspDeposit, canary: Canary, target: TargetClient, gate: Gate, evidence: Evidence) -> None:
    if psp_deposit.waived:
        return
    assert psp_deposit.tx_id is not None
    if psp_deposit.state == target.profile.state("deposit_completed"):
        raise CheckFailed(loop.deposit_at_once(psp_deposit.method, str(psp_deposit.state)))
    started = time.monotonic()
    final = wait_for_deposit(target, canary.player.token, psp_deposit.tx_id, gate.settings.canary,
                             balance_beside=True)
    evidence.put("psp_deposit_state", final)
    evidence.put("completed_after_s", round(time.monotonic() - started, 2))
    evidence.put("deposit_webhook_verified", True)


@then("the available balance rose by exactly the kit amount")
@then("kullanılabilir bakiye tam olarak kit tutarı kadar arttı")
@proves(T0_PSP_DEPOSIT)
def _(psp_deposit: PspDeposit, canary: Canary, target: TargetClient, evidence: Evidence) -> None:
    if psp_deposit.waived:
        return
    assert psp_deposit.before is not None
    after = balance_showing(target, canary.player.token, loop.after_deposit(psp_deposit.before, psp_deposit.amount))
    evidence.put("balance_before", {"available": loop.fmt(psp_deposit.before.available),
                                    "held": loop.fmt(psp_deposit.before.held)})
    evidence.put("balance_after", {"available": loop.fmt(after.available), "held": loop.fmt(after.held)})
    judged(evidence, loop.deposit_credited(psp_deposit.before, psp_deposit.amount, after))
