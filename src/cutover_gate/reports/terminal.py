"""The gate's lines in pytest's terminal summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cutover_gate.decide.rules import Decision

COLOURS: dict[str, dict[str, bool]] = {"GO": {"green": True}, "NO-GO": {"red": True}, "PENDING": {"yellow": True}}


def summary(tw: Any, decision: Decision, reports_dir: Path) -> None:
    colour = COLOURS[decision.decision.value]
    tw.section("cutover decision", sep="=", bold=True, **colour)
    tw.line(f"{decision.decision.value}  release {decision.release_sha or '(not pinned)'}  target {decision.target}",
            bold=True, **colour)
    for phase, result in decision.phases.items():
        tw.line(f"  {phase:>4}: {result}")
    for reason in decision.reasons[:20]:
        tw.line(f"  - {reason}")
    tw.line(f"  reports: {reports_dir}")
