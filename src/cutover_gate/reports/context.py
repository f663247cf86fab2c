"""What the sign-off artifacts are rendered from: one plain object, built at the end of a gate run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cutover_gate.config.target_profile import Profile
from cutover_gate.decide.completion import Completion
from cutover_gate.decide.rules import Decision
from cutover_gate.evidence.model import LineResult, StepRecord


@dataclass
class ReportContext:
    decision: Decision
    lang: str
    env_name: str
    target: str
    release_sha: str | None
    decider: str
    executor: str
    run_id: str
    owners: dict[str, str]
    results: dict[str, LineResult]
    """Every checklist line's result used for the decision (this run merged with the record of the same SHA)."""
    events: list[StepRecord]
    """This run's step outcomes, in time order."""
    refs: dict[str, str] = field(default_factory=dict)
    """Line id -> path (relative to the reports dir) of the evidence file of that line."""
    reports_dir: Path = Path("reports")
    plan: bool = False
    completion: Completion | None = None
    """The runbook's go-live completion criteria over the release's record (decision.json `completion`)."""
    profile: Profile | None = None
    """The run's target profile (its `[states]` name the canary withdrawal's states); None: the built-in default."""

    def evidence(self, line: str) -> dict[str, Any]:
        res = self.results.get(line)
        return res.evidence if res else {}

    def canary(self) -> dict[str, Any]:
        """The t0 lines' evidence merged into one mapping (keys are listed in steps/canary.py)."""
        merged: dict[str, Any] = {}
        for lid, res in self.results.items():
            if lid.startswith("t0_"):
                merged.update(res.evidence)
        return merged
