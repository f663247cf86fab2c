"""The ledger's last word on T-0 (read-only, after every scenario that could move money): the canary's balances are
explained by the run's own transactions (checks/footprint.py), and the profile's ledger invariants hold over SQL.
What each invariant covered (the whole ledger, or every row changed in the window and a block sample of the rest,
see checks/invariants.py) is in the evidence."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from pytest_bdd import then, when

from cutover_gate.checks import footprint, invariants
from cutover_gate.checks.canary import Balance, balance, deposit_states, withdrawal_state
from cutover_gate.checks.hypercare.watch import config
from cutover_gate.core.catalogue import ROW_LEDGER_INVARIANT_BREACH, T0_CANARY_REPORT
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.evidence.recording import Evidence
from cutover_gate.fixtures import Gate
from cutover_gate.target.client import TargetClient
from cutover_gate.target.database import Database
from steps.ahead import (
    METRICS_BASELINE,
    READ_CONCURRENCY,
    WITHDRAWALS_LEFT,
    metrics_scrape,
    read_ahead_for,
    withdrawals_left,
)
from steps.common import Shared, admin_session


@when("I compare the canary's balances with what the run's own transactions explain", target_fixture="unexplained")
@when("canary'nin bakiyelerini çalıştırmanın kendi işlemlerinin açıkladığıyla karşılaştırırım",
      target_fixture="unexplained")
def _(target: TargetClient, gate: Gate, shared: Shared, evidence: Evidence, request: pytest.FixtureRequest
      ) -> Reason | None:
    read_ahead_for(request, target, T0_CANARY_REPORT, METRICS_BASELINE, metrics_scrape(target))
    if shared.canary is not None:  # the canary report's reads, beside these: nothing is written in between
        read_ahead_for(request, target, T0_CANARY_REPORT, WITHDRAWALS_LEFT,
                       withdrawals_left(target, admin_session(target, gate, shared), shared.canary.player_id))
    if shared.probe_baseline is None or shared.canary is None:
        evidence.put("footprint_check", "no webhook probe ran in this run: nothing of the canary's money to explain")
        return None
    token, base = shared.canary.token, shared.probe_baseline
    d0, w0, h0 = shared.baseline_marks
    deposits, withdrawals = shared.footprint.deposits[d0:], shared.footprint.withdrawals[w0:]
    admin = admin_session(target, gate, shared)
    with ThreadPoolExecutor(max_workers=READ_CONCURRENCY, thread_name_prefix="footprint") as pool:
        now = pool.submit(balance, target, token)
        listed = pool.submit(deposit_states, target, token, [d["tx_id"] for d in deposits])
        w_states = list(pool.map(lambda w: withdrawal_state(target, admin, w["tx_id"]), withdrawals))
        after = now.result()
        d_states = [listed.result()[d["tx_id"]] for d in deposits]
    explained = footprint.explain(
        base.available, base.held,
        [footprint.Moved(d["tx_id"], Decimal(d["amount"]), s) for d, s in zip(deposits, d_states, strict=True)],
        [footprint.Moved(w["tx_id"], Decimal(w["amount"]), s) for w, s in zip(withdrawals, w_states, strict=True)],
        target.profile)
    evidence.put("canary_before_first_probe", {"available": f"{base.available:.2f}", "held": f"{base.held:.2f}"})
    evidence.put("canary_after_last_probe", {"available": f"{after.available:.2f}", "held": f"{after.held:.2f}"})
    evidence.put("explained_by", {"deposits": dict(zip((d["tx_id"] for d in deposits), d_states, strict=True)),
                                  "withdrawals": dict(zip((w["tx_id"] for w in withdrawals), w_states, strict=True))})
    gap = Balance(explained.available, explained.held).moved_to(after)
    if gap is None:
        return None
    sent = shared.footprint.webhooks[h0:]
    suspects = [h for h in sent if h["answer"].startswith("2") and not h["kind"].startswith("valid")]
    named = suspects or sent
    probes = tuple(Reason.of(N_("%(kind)s event to POST %(route)s answered %(answer)s"), kind=h["kind"],
                             route=h["route"], answer=h["answer"]) for h in named[:8])
    moved = gap
    if explained.unknown:
        moved = Reason.of(N_("%(gap)s (not counted: %(transactions)s)"), gap=gap,
                          transactions=_listed(explained.unknown))
    if suspects:
        return Reason.of(N_("the canary's balances differ from what the run's own transactions explain: %(moved)s; "
                            "the probes answered 2xx without a valid signature: %(probes)s"), moved=moved,
                         probes=probes or Reason.of(N_("none")))
    return Reason.of(N_("the canary's balances differ from what the run's own transactions explain: %(moved)s; the "
                        "probes sent: %(probes)s"), moved=moved, probes=probes or Reason.of(N_("none")))


def _listed(parts: tuple[Reason, ...]) -> Reason:
    """`parts` one after the other, separated by commas."""
    listed = parts[0]
    for part in parts[1:]:
        listed = Reason.of(N_("%(listed)s, %(part)s"), listed=listed, part=part)
    return listed


@then("no change of the canary's money is unexplained")
@then("canary'nin parasındaki hiçbir değişiklik açıklamasız değildir")
def _(unexplained: Reason | None, evidence: Evidence) -> None:
    if unexplained is not None:
        evidence.trigger(ROW_LEDGER_INVARIANT_BREACH, unexplained)
        raise CheckFailed(unexplained)


@when("I run the profile's ledger invariant queries", target_fixture="invariant_rows")
@when("profilin ledger invariant sorgularını çalıştırırım", target_fixture="invariant_rows")
def _(database: Database, target: TargetClient, evidence: Evidence) -> dict[str, list[dict[str, Any]]]:
    cfg = config(target)
    bound = invariants.params(window_hours=cfg.invariant_window_hours, sample_percent=cfg.invariant_sample_percent)
    found, scope = invariants.run(database, bound)
    if not found:
        raise CheckFailed(N_("the profile defines no ledger invariant queries"))
    evidence.put("invariant_scope", scope)
    return found


@then("no ledger invariant is broken")
@then("hiçbir ledger invariant'ı ihlal edilmemiştir")
def _(invariant_rows: dict[str, list[dict[str, Any]]], evidence: Evidence) -> None:
    broken = {name: rows for name, rows in invariant_rows.items() if rows}
    evidence.put("invariants_checked", sorted(invariant_rows))
    evidence.put("invariants_broken", {name: rows[:5] for name, rows in broken.items()})
    if broken:
        summary = tuple(Reason.of(N_("%(name)s: %(count)s row(s), e.g. %(example)s"), name=name, count=len(rows),
                                  example=rows[0].get("ref", rows[0])) for name, rows in broken.items())
        said = Reason.of(N_("ledger invariants broken: %(summary)s"), summary=summary)
        evidence.trigger(ROW_LEDGER_INVARIANT_BREACH, Reason.joined(summary))
        raise CheckFailed(said)
