"""The gate's lines in pytest's terminal summary, in the run's language (`templates/terminal.j2`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cutover_gate.decide.rules import Decision
from cutover_gate.reports.render import environment, word

COLOURS: dict[str, dict[str, bool]] = {"GO": {"green": True}, "NO-GO": {"red": True}, "PENDING": {"yellow": True}}


def summary(tw: Any, decision: Decision, reports_dir: Path) -> None:
    lang = decision.lang if decision.lang in ("en", "tr") else "en"
    text: Any = environment(lang).get_template("terminal.j2").module
    verdict = decision.decision.value
    colour = COLOURS[verdict]
    tw.section(str(text.summary_title()).strip(), sep="=", bold=True, **colour)
    tw.line(str(text.summary_head(word(verdict, lang), decision.release_sha, decision.target)).strip(),
            bold=True, **colour)
    for phase, result in decision.phases.items():
        tw.line(f"  {phase:>4}: {word(result, lang)}")
    for reason in decision.reasons[:20]:
        tw.line(f"  - {reason.text(lang)}")
    tw.line(str(text.summary_reports(reports_dir)).rstrip())
