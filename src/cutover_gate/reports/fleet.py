"""A cutover of several targets: its decision.md and its section of pytest's terminal summary, in the run's language
(`templates/fleet_decision.md.j2`, `templates/fleet_terminal.j2`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cutover_gate.core.reasons import texts
from cutover_gate.decide.fleet import FleetDecision
from cutover_gate.reports.render import environment
from cutover_gate.reports.terminal import COLOURS


def decision_md(decision: FleetDecision) -> str:
    data = {**decision.to_json(), "reasons": texts(decision.reasons, decision.lang)}
    data["triggers"] = [{**t.to_json(), "evidence": t.said(decision.lang)} for t in decision.triggers]
    return environment(decision.lang).get_template("fleet_decision.md.j2").render(**data)


def summary(tw: Any, decision: FleetDecision, reports_dir: Path) -> None:
    text: Any = environment(decision.lang).get_template("fleet_terminal.j2").module
    colour = COLOURS[decision.decision.value]
    tw.section(str(text.summary_title()).strip(), sep="=", bold=True, **colour)
    tw.line(str(text.summary_head(decision.decision.value, decision.release_sha, decision.target)).strip(),
            bold=True, **colour)
    for target in decision.targets:
        tw.line(str(text.summary_target(target.name, target.verdict.value, reports_dir / target.reports_dir,
                                        target.problem.text("en") if target.problem else None)).rstrip())
