"""Ledger invariants over SQL (read-only), from the profile's queries. What each invariant covered (the whole ledger,
or every row changed in the window and a block sample of the rest, see checks/invariants.py) is in the evidence."""

from __future__ import annotations

from typing import Any

from pytest_bdd import then, when

from cutover_gate.checks import invariants
from cutover_gate.checks.hypercare.watch import config
from cutover_gate.core.errors import CheckFailed
from cutover_gate.evidence.recording import Evidence
from cutover_gate.target.client import TargetClient
from cutover_gate.target.database import Database


@when("I run the profile's ledger invariant queries", target_fixture="invariant_rows")
@when("profilin ledger invariant sorgularını çalıştırırım", target_fixture="invariant_rows")
def _(database: Database, target: TargetClient, evidence: Evidence) -> dict[str, list[dict[str, Any]]]:
    cfg = config(target)
    bound = invariants.params(window_hours=cfg.invariant_window_hours, sample_percent=cfg.invariant_sample_percent)
    found, scope = invariants.run(database, bound)
    if not found:
        raise CheckFailed("the profile defines no ledger invariant queries")
    evidence.put("invariant_scope", scope)
    return found


@then("no ledger invariant is broken")
@then("hiçbir ledger invariant'ı ihlal edilmemiştir")
def _(invariant_rows: dict[str, list[dict[str, Any]]], evidence: Evidence) -> None:
    broken = {name: rows for name, rows in invariant_rows.items() if rows}
    evidence.put("invariants_checked", sorted(invariant_rows))
    evidence.put("invariants_broken", {name: rows[:5] for name, rows in broken.items()})
    if broken:
        summary = "; ".join(f"{name}: {len(rows)} row(s), e.g. {rows[0].get('ref', rows[0])}"
                            for name, rows in broken.items())
        evidence.trigger("ledger_invariant_breach", summary)
        raise CheckFailed(f"ledger invariants broken: {summary}")
