"""The daily reconciliation report (runbook §4 "Daily recon report: `python3 scripts/daily_reconciliation_report.py`"),
in markdown and JSON, from the reconciliation a hypercare round computed (checks/hypercare/recon.py).

For the window (the last `recon_hours`): volume and amount by type and state, the transactions' expected ledger effect
against the ledger's, every difference, the failed payouts whose funds are still held and the stuck deposits. The
wording is in `templates/reconciliation_report.md.j2`; Python derives the values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cutover_gate.checks.hypercare.recon import DailyRecon, compare
from cutover_gate.core.clock import iso
from cutover_gate.reports.render import environment

REPORT_MD, REPORT_JSON = "reconciliation_report.md", "reconciliation_report.json"
CLEAN, DIFFERENCES, UNAVAILABLE = "CLEAN", "DIFFERENCES", "NOT_AVAILABLE"


def result_of(recon: DailyRecon | None) -> str:
    if recon is None:
        return UNAVAILABLE
    return DIFFERENCES if recon.difference_count else CLEAN


def report_data(recon: DailyRecon | None, *, release_sha: str | None, target: str, generated_at: datetime,
                unavailable: str | None = None) -> dict[str, Any]:
    """The JSON report (also the markdown template's view)."""
    data: dict[str, Any] = {"report": "daily_reconciliation", "result": result_of(recon), "release_sha": release_sha,
                            "target": target, "generated_at": iso(generated_at), "unavailable": unavailable}
    if recon is None:
        return data
    totals = recon.totals()
    data.update({
        "window": {"since": iso(recon.since), "until": iso(recon.until)},
        "groups": [g.to_json() for g in recon.groups],
        "totals": {"count": sum(g.count for g in recon.groups), **{k: str(v) for k, v in totals.items()},
                   "diff_available": str(totals["ledger_available"] - totals["expected_available"]),
                   "diff_held": str(totals["ledger_held"] - totals["expected_held"])},
        "differences": {
            "count": recon.difference_count,
            "groups": compare(recon.groups),
            "transactions": [d.describe() for d in recon.transactions],
            "transactions_total": recon.transactions_total,
            "unmatched_movements": [d.describe() for d in recon.unmatched],
            "unmatched_total": recon.unmatched_total,
        },
        "failed_payouts_held": {
            "count": recon.failed_payouts_total, "amount": str(recon.failed_payouts_amount),
            "rows": [{"ref": f.ref, "player": f.player, "amount": str(f.amount), "since": f.since,
                       "held": str(f.held), "still_held": f.still_held} for f in recon.failed_payouts],
        },
        "stuck_deposits": {"count": recon.stuck_deposits.total,
                           "rows": [{"ref": i.ref, "state": i.state, "minutes": round(i.age_minutes)}
                                     for i in recon.stuck_deposits.items]},
    })
    return data


def render_report(lang: str, data: dict[str, Any]) -> str:
    return environment(lang).get_template("reconciliation_report.md.j2").render(data)
