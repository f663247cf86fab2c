"""Ledger invariants over SQL (read-only), from the profile's queries."""

from __future__ import annotations

from typing import Any

from pytest_bdd import then, when

from cutover_gate.core.errors import CheckFailed
from cutover_gate.evidence.recording import Evidence
from cutover_gate.target.database import Database


@when("I run the profile's ledger invariant queries", target_fixture="invariant_rows")
@when("profilin ledger invariant sorgularını çalıştırırım", target_fixture="invariant_rows")
def _(database: Database) -> dict[str, list[dict[str, Any]]]:
    found = database.invariants()
    if not found:
        raise CheckFailed("the profile defines no ledger invariant queries")
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
