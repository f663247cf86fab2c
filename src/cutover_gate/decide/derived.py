"""Lines the decision derives from other lines' results instead of a scenario of their own."""

from __future__ import annotations

from typing import Any

from cutover_gate.core.catalogue import MONEY_LOOP, T0_CANARY_REPORT
from cutover_gate.evidence.canary_keys import REPORT_FIELDS
from cutover_gate.evidence.model import LineResult, Result


def canary_report_line(results: dict[str, LineResult]) -> LineResult:
    """Checklist 'Canary report completed': every money-loop line PASS, every field of the report filled, and the
    report's closing scenario (what the run left on the platform) passed."""
    closing = results.get(T0_CANARY_REPORT)
    loop = [results.get(lid) for lid in MONEY_LOOP]
    ran = [r for r in loop if r is not None and r.result is not Result.NOT_RUN]
    if not ran:
        return LineResult(T0_CANARY_REPORT, Result.NOT_RUN, message="the canary money loop has not run")
    at = max((r.at for r in ran if r.at), default=None)
    fields: dict[str, Any] = {}
    for r in ran:
        fields.update(r.evidence)
    missing = [f for f in REPORT_FIELDS if fields.get(f) in (None, "")]
    not_pass = [lid for lid, r in zip(MONEY_LOOP, loop, strict=True) if r is None or r.result is not Result.PASS]
    if not_pass or missing:
        why = []
        if not_pass:
            why.append("money-loop lines not PASS: " + ", ".join(not_pass))
        if missing:
            why.append("report fields without evidence: " + ", ".join(missing))
        return LineResult(T0_CANARY_REPORT, Result.FAIL, at=at, message="; ".join(why))
    if closing is None or closing.result is not Result.PASS:
        result = closing.result if closing is not None and closing.result is Result.FAIL else Result.NOT_RUN
        cause = closing.message if closing is not None and closing.message else "not read"
        what = ("the report's closing scenario failed" if result is Result.FAIL
                else "what the run left on the platform is not on record")
        return LineResult(T0_CANARY_REPORT, result, at=at, message=f"{what}: {cause}",
                          evidence=dict(closing.evidence) if closing is not None else {})
    return LineResult(T0_CANARY_REPORT, Result.PASS, at=max(filter(None, (at, closing.at)), default=None),
                      evidence={**closing.evidence, "canary_report": "canary_report.md"}, nodeids=closing.nodeids)
