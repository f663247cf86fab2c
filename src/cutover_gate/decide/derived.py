"""Lines the decision derives from other lines' results instead of a scenario of their own."""

from __future__ import annotations

from typing import Any

from cutover_gate.core.catalogue import MONEY_LOOP, T0_CANARY_REPORT
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.evidence.canary_keys import REPORT_FIELDS
from cutover_gate.evidence.model import LineResult, Result


def canary_report_line(results: dict[str, LineResult]) -> LineResult:
    """Checklist 'Canary report completed': every money-loop line PASS, every field of the report filled, and the
    report's closing scenario (what the run left on the platform) passed."""
    closing = results.get(T0_CANARY_REPORT)
    loop = [results.get(lid) for lid in MONEY_LOOP]
    ran = [r for r in loop if r is not None and r.result is not Result.NOT_RUN]
    if not ran:
        return _line(Result.NOT_RUN, Reason.of(N_("the canary money loop has not run")))
    at = max((r.at for r in ran if r.at), default=None)
    fields: dict[str, Any] = {}
    for r in ran:
        fields.update(r.evidence)
    missing = [f for f in REPORT_FIELDS if fields.get(f) in (None, "")]
    not_pass = [lid for lid, r in zip(MONEY_LOOP, loop, strict=True) if r is None or r.result is not Result.PASS]
    if not_pass or missing:
        why: list[Reason] = []
        if not_pass:
            why.append(Reason.of(N_("money-loop lines not PASS: %(lines)s"), lines=", ".join(not_pass)))
        if missing:
            why.append(Reason.of(N_("report fields without evidence: %(fields)s"), fields=", ".join(missing)))
        return _line(Result.FAIL, Reason.joined(why), at=at)
    if closing is None or closing.result is not Result.PASS:
        result = closing.result if closing is not None and closing.result is Result.FAIL else Result.NOT_RUN
        cause = _cause(closing)
        said = (Reason.of(N_("the report's closing scenario failed: %(cause)s"), cause=cause) if result is Result.FAIL
                else Reason.of(N_("what the run left on the platform is not on record: %(cause)s"), cause=cause))
        return _line(result, said, at=at, evidence=dict(closing.evidence) if closing is not None else {})
    return LineResult(T0_CANARY_REPORT, Result.PASS, at=max(filter(None, (at, closing.at)), default=None),
                      evidence={**closing.evidence, "canary_report": "canary_report.md"}, nodeids=closing.nodeids)


def _line(result: Result, reason: Reason, *, at: str | None = None, evidence: dict[str, Any] | None = None
          ) -> LineResult:
    return LineResult(T0_CANARY_REPORT, result, at=at, message=reason.text(), evidence=evidence or {}, reason=reason)


def _cause(closing: LineResult | None) -> Reason:
    """Why the closing scenario is not PASS: its own reason, its message as given, or that it was not read."""
    if closing is not None and closing.message:
        return closing.reason if closing.reason is not None else Reason.verbatim(closing.message)
    return Reason.of(N_("not read"))
