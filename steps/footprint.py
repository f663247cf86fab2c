"""The canary report's last section (T-0 `t0_canary_report`, the closing scenario of T-0): what the run left on the
platform, so that the Payments Owner can reconcile from the report alone. The canary's final balances, its open
withdrawals as the platform lists them, and every deposit, withdrawal and webhook the gate caused in this run. It
reads only, and runs even when an earlier failure blocked the money scenarios: a half-done run says where the money
is."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

from pytest_bdd import then, when

from cutover_gate.checks.canary import balance
from cutover_gate.config.target_profile import Profile
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.redact import Secret
from cutover_gate.evidence import canary_keys
from cutover_gate.evidence.recording import Evidence
from cutover_gate.target.client import TargetClient
from steps.ahead import READ_AHEAD_AGE_S, WITHDRAWALS_LEFT, withdrawals_left
from steps.common import Shared

OPEN_STATES = ("withdraw_requested", "withdraw_approved", "withdraw_payout_pending", "withdraw_payout_failed")
"""The profile's states of a withdrawal that still holds money."""


@when("I read what the run left on the platform", target_fixture="left")
@when("çalıştırmanın platformda bıraktıklarını okurum", target_fixture="left")
def _(target: TargetClient, admin_token: Secret, shared: Shared, evidence: Evidence) -> dict[str, Any]:
    p = target.profile
    left: dict[str, Any] = {**asdict(shared.footprint)}
    if shared.canary is None:
        left["note"] = "no canary took part in this run: it moved no money"
        return left
    canary = shared.canary
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="footprint") as pool:  # two reads at once
        asked = pool.submit(target.fresh, WITHDRAWALS_LEFT, withdrawals_left(target, admin_token, canary.player_id),
                            max_age_s=READ_AHEAD_AGE_S)
        bal = balance(target, canary.token)
        resp = asked.result()
    evidence.http(resp.exchange.to_json())
    left.update(canary_player_id=canary.player_id, available=f"{bal.available:.2f}", held=f"{bal.held:.2f}")
    resp.ok(N_("the finance list of the canary's withdrawals"))
    open_states = {p.state(key) for key in OPEN_STATES}
    try:
        listed = [{"tx_id": str(resp.item(i, "tx_id")), "state": str(resp.item(i, "state")),
                   "amount": str(resp.item(i, "amount"))} for i in resp.items()]
    except KeyError as exc:
        raise CheckFailed(N_("the finance list of withdrawals: %(missing)s in an item"), missing=exc.args[0]) from None
    kit_made = {w["tx_id"]: w["by"] for w in shared.footprint.withdrawals}
    left["open_withdrawals"] = [{**w, "by": kit_made.get(w["tx_id"], ""), "action": close_action(p, w["state"])}
                                for w in listed if w["state"] in open_states]
    return left


def close_action(profile: Profile, state: str) -> str:
    """What closes an open withdrawal the run leaves on the canary: reject it (releases the hold) while it waits for
    review or payout; wait for the PSP (or reject it once the PSP confirms no payout) while its payout is pending; retry
    the payout or reject it after a failed one."""
    if state == profile.state("withdraw_payout_pending"):
        return "await_psp"
    if state == profile.state("withdraw_payout_failed"):
        return "retry_or_reject"
    return "reject"


@then("the canary's balances, open withdrawals and the gate's transactions are on record")
@then("canary'nin bakiyeleri, açık çekimleri ve gate'in işlemleri kayda geçer")
def _(left: dict[str, Any], evidence: Evidence) -> None:
    evidence.put(canary_keys.FOOTPRINT, left)
    evidence.put("footprint_recorded", True)
