"""The decision of a cutover of several targets, from each target's own decision (CONTRACT §2 per target).

GO only when every target is GO; NO-GO when any is NO-GO or did not decide; PENDING otherwise. A phase PASSes when it
PASSed on every target and FAILs when it FAILed on any; a checklist line carries each target's result, the worst one
and its evidence; the triggers are every target's, tagged with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cutover_gate.core.catalogue import PHASES
from cutover_gate.core.clock import iso, utcnow
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Kind, Reason, texts
from cutover_gate.decide.rules import ChecklistRow, Decision, Verdict
from cutover_gate.evidence.model import Result, TriggerObservation

TARGETS_DIR = "targets"
"""Each target's reports dir, under the fleet's: `targets/<name>/`."""
_WORST_FIRST: dict[Result, int] = {Result.FAIL: 0, Result.NOT_RUN: 1, Result.WAIVED: 2, Result.PASS: 3}
VERDICT_WORDS: dict[Verdict, str] = {Verdict.GO: N_("GO"), Verdict.NO_GO: N_("NO-GO"), Verdict.PENDING: N_("PENDING")}
"""A verdict as a reason names it (GO and NO-GO are the runbook's own words in every language)."""
TARGET_NOT_GO: dict[tuple[bool, bool], str] = {
    (False, False): N_("%(target)s: %(verdict)s"),
    (True, False): N_("%(target)s: %(verdict)s (%(problem)s)"),
    (False, True): N_("%(target)s: %(verdict)s; %(reasons)s"),
    (True, True): N_("%(target)s: %(verdict)s (%(problem)s); %(reasons)s"),
}
"""A fleet's reason for a target that is not GO, by (why it has no decision is known, its own reasons follow)."""
TARGET_REASONS = 3
"""A target's reason names this many of its own decision's reasons, at most."""


def decision_from_json(data: Mapping[str, Any]) -> Decision:
    """A target's decision.json (`Decision.to_json` and what finish.py adds) as the Decision it states; what it
    lacks is empty, a verdict it lacks is NO-GO. Raises ValueError when it states something else."""
    try:
        return Decision(
            decision=Verdict(data.get("decision", Verdict.NO_GO.value)),
            release_sha=data.get("release_sha"),
            target=str(data.get("target", "")),
            lang=str(data.get("lang", "en")),
            decider=str(data.get("decider", "")),
            generated_at=str(data.get("generated_at", "")),
            env_name=str(data.get("env_name", "")),
            phases={str(phase): Result.stated(value) for phase, value in dict(data.get("phases", {})).items()},
            checklist=[ChecklistRow.from_json(row) for row in data.get("checklist", [])],
            triggers=[TriggerObservation.from_json(t) for t in data.get("triggers", [])],
            reasons=reasons_from_json(data),
            selected_phases=list(data.get("selected_phases", [])),
        )
    except (TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"not a decision: {exc}") from exc


def reasons_from_json(data: Mapping[str, Any]) -> list[Reason]:
    """A decision.json's reasons: its records (`reason_messages`) when it has them, else its English `reasons`, shown
    as they are."""
    if data.get("reason_messages") is not None:
        return [Reason.from_json(r) for r in data["reason_messages"]]
    return [Reason.verbatim(str(r)) for r in data.get("reasons", [])]


def verdict_words(verdict: Verdict) -> Reason:
    return Reason(VERDICT_WORDS[verdict])


def target_not_go(target: TargetResult, reasons: Sequence[Reason]) -> Reason:
    """`<name>: <verdict> (<why it has no decision>); <its own first reasons>`."""
    params: dict[str, str | Reason | tuple[Reason, ...]] = {"target": target.name,
                                                            "verdict": verdict_words(target.verdict)}
    if target.problem is not None:
        params["problem"] = target.problem
    if reasons:
        params["reasons"] = tuple(reasons[:TARGET_REASONS])
    return Reason(TARGET_NOT_GO[target.problem is not None, bool(reasons)], params, Kind.TARGET)


@dataclass
class TargetResult:
    """How one target's run ended and what it decided, as the fleet's decision.json lists it under `targets`."""

    name: str
    verdict: Verdict
    target: str | None
    exit_code: int | None
    """None when the run was stopped (it did not finish in time)."""
    seconds: float
    phases: dict[str, Result] = field(default_factory=dict)
    problem: Reason | None = None
    """Why the target has no decision of its own, when it has none."""

    @classmethod
    def of(cls, name: str, exit_code: int | None, seconds: float, decision: Decision | None,
           problem: Reason | None = None) -> TargetResult:
        """A target without a decision did not decide: NO-GO."""
        return cls(name=name, verdict=decision.decision if decision else Verdict.NO_GO,
                   target=decision.target if decision else None, exit_code=exit_code, seconds=round(seconds, 1),
                   phases=dict(decision.phases) if decision else {}, problem=problem)

    @property
    def reports_dir(self) -> str:
        return f"{TARGETS_DIR}/{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "decision": self.verdict.value, "target": self.target,
                "reports_dir": self.reports_dir, "exit_code": self.exit_code, "seconds": self.seconds,
                "phases": {phase: result.value for phase, result in self.phases.items()},
                "problem": self.problem.text("en") if self.problem else None,
                "problem_message": self.problem.to_json() if self.problem else None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TargetResult:
        return cls(name=str(data["name"]), verdict=Verdict(data["decision"]), target=data.get("target"),
                   exit_code=data.get("exit_code"), seconds=float(data["seconds"]),
                   phases={str(phase): Result.stated(value) for phase, value in dict(data.get("phases") or {}).items()},
                   problem=Reason.from_json(data["problem_message"]) if data.get("problem_message") is not None
                   else Reason.verbatim(str(data["problem"])) if data.get("problem") else None)


@dataclass
class FleetTrigger(TriggerObservation):
    """A target's rollback trigger, tagged with the target (its evidence too)."""

    target: str = ""

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "target": self.target}

    @classmethod
    def of(cls, name: str, t: TriggerObservation) -> FleetTrigger:
        reason = Reason.of(N_("[%(target)s] %(evidence)s"), target=name, evidence=t.reason) \
            if t.reason is not None else None
        return cls(**{**t.to_json(), "evidence": f"[{name}] {t.evidence}", "reason": reason}, target=name)


@dataclass
class FleetLine:
    """A checklist line over the targets: each target's result, the worst one, and where its evidence is."""

    id: str
    title: str | None
    result: Result
    ref: str | None
    at: str | None
    targets: dict[str, Result] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "result": self.result.value, "ref": self.ref, "at": self.at,
                "targets": {name: result.value for name, result in self.targets.items()}}


@dataclass
class FleetDecision:
    decision: Verdict
    release_sha: str | None
    lang: str
    decider: str
    generated_at: str
    env_name: str
    phases: dict[str, Result]
    checklist: list[FleetLine]
    triggers: list[FleetTrigger]
    reasons: list[Reason]
    targets: list[TargetResult]

    @property
    def target(self) -> str:
        return f"{len(self.targets)} targets: {', '.join(t.name for t in self.targets)}"

    def to_json(self) -> dict[str, Any]:
        return {"decision": self.decision.value, "release_sha": self.release_sha, "target": self.target,
                "lang": self.lang, "decider": self.decider, "generated_at": self.generated_at, "env": self.env_name,
                "phases": {phase: result.value for phase, result in self.phases.items()},
                "checklist": [line.to_json() for line in self.checklist],
                "triggers": [t.to_json() for t in self.triggers], "reasons": texts(self.reasons),
                "reason_messages": [reason.to_json() for reason in self.reasons],
                "targets": {t.name: t.to_json() for t in self.targets}}


def fleet_verdict(verdicts: Iterable[Verdict]) -> Verdict:
    """GO only when every target is GO; NO-GO when any is (or when there is none); PENDING otherwise."""
    seen = list(verdicts)
    if not seen or Verdict.NO_GO in seen:
        return Verdict.NO_GO
    return Verdict.GO if all(v is Verdict.GO for v in seen) else Verdict.PENDING


def combined_phases(decisions: Iterable[Decision]) -> dict[str, Result]:
    """FAIL when the phase FAILed on any target, PASS when it PASSed on every one, NOT_RUN otherwise."""
    phases = {}
    for phase in PHASES:
        seen = [d.phases.get(phase, Result.NOT_RUN) for d in decisions]
        phases[phase] = (Result.FAIL if Result.FAIL in seen else
                         Result.PASS if seen and all(r is Result.PASS for r in seen) else Result.NOT_RUN)
    return phases


def combined_checklist(decisions: Mapping[str, Decision]) -> list[FleetLine]:
    """Each line in the order the targets list it, with every target's result (NOT_RUN where a target lacks it)."""
    lines: dict[str, FleetLine] = {}
    for name, decision in decisions.items():
        for row in decision.checklist:
            first = row.id not in lines
            line = lines.setdefault(row.id, FleetLine(row.id, row.title, Result.PASS, None, None))
            result = row.result
            line.targets[name] = result
            # the worst result shows, with its evidence; an equal one only lends the evidence link it lacked
            if first or _WORST_FIRST[result] < _WORST_FIRST[line.result] or (
                    result is line.result and line.ref is None):
                line.result = result
                line.ref = f"{TARGETS_DIR}/{name}/{row.ref}" if row.ref else None
            line.at = max(filter(None, [line.at, row.at]), default=None)
    for line in lines.values():
        missing = [name for name in decisions if name not in line.targets]
        if missing:
            line.result = Result.FAIL if line.result is Result.FAIL else Result.NOT_RUN
            line.targets.update(dict.fromkeys(missing, Result.NOT_RUN))
    return list(lines.values())


def combine(targets: Sequence[TargetResult], decisions: Mapping[str, Decision], *, release_sha: str | None,
            lang: str, decider: str, env_name: str) -> FleetDecision:
    """The fleet's decision over its targets' results (in the cutover file's order) and the decisions they wrote (a
    target without one has none here)."""
    own = {t.name: decisions.get(t.name) or Decision(
        decision=Verdict.NO_GO, release_sha=None, target="", lang=lang, decider="", generated_at="", env_name="",
        phases={}, checklist=[], triggers=[], reasons=[], selected_phases=[]) for t in targets}
    triggers = [FleetTrigger.of(name, t) for name, d in own.items() for t in d.triggers]
    reasons = [target_not_go(t, own[t.name].reasons) for t in targets if t.verdict is not Verdict.GO]
    return FleetDecision(decision=fleet_verdict(t.verdict for t in targets), release_sha=release_sha, lang=lang,
                         decider=decider, generated_at=iso(utcnow()), env_name=env_name,
                         phases=combined_phases(own.values()), checklist=combined_checklist(own),
                         triggers=triggers, reasons=reasons, targets=list(targets))
