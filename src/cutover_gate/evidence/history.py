"""The cutover record: results accumulate across runs, keyed by release SHA.

The phases run at different times by different people (`pytest -m t60` at T-60, `-m t15` at T-15 ...). A later run's
decision uses the earlier phases of the same release; another release's results never count; a result older than its
phase's window is stale and counts as NOT_RUN.

Freshness follows the runbook's order: a result counts only when it is newer than the latest run of every earlier
phase of the same release. Each run that runs a phase gets the next number of the release (`seq`); a line's result
carries the number of its run; the record keeps, per phase, the number of the latest run that ran it. A T-15 run
after T-0 makes the T-0 results stale (NOT_RUN, naming the T-15 run) until T-0 runs again.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cutover_gate.core.catalogue import ALL_PHASES, LINES_BY_ID
from cutover_gate.core.clock import parse_iso, utcnow
from cutover_gate.evidence.model import LineResult, Result, TriggerObservation

RECORD_FILE = "cutover_record.json"
DEFAULT_WINDOWS_H: dict[str, float] = {"t60": 24, "t30": 24, "t15": 12, "t0": 12, "hypercare": 72, "rollback": 12}


@dataclass
class CutoverRecord:
    path: Path
    releases: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, reports_dir: Path) -> CutoverRecord:
        path = reports_dir / RECORD_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as exc:
            raise RecordError(f"cutover record {path} is unreadable ({exc}); move it aside to start afresh") from None
        return cls(path, dict(data.get("releases", {})))

    def update(self, sha: str, results: dict[str, LineResult], triggers: list[TriggerObservation], run_id: str) -> None:
        """Lines this run actually ran (PASS/FAIL/WAIVED) replace earlier entries; NOT_RUN never overwrites."""
        rel = self.releases.setdefault(sha, {"lines": {}, "triggers": []})
        ran = {lid: r for lid, r in results.items() if r.result is not Result.NOT_RUN}
        seq = int(rel.get("runs", 0)) + 1
        started: dict[str, str] = {}
        for lid, res in ran.items():
            if lid in LINES_BY_ID:
                phase = LINES_BY_ID[lid].phase
                started[phase] = min(started.get(phase, res.at or ""), res.at or "")
        if started:
            rel["runs"] = seq
            for phase, at in started.items():
                rel.setdefault("phase_runs", {})[phase] = {"seq": seq, "run_id": run_id, "at": at}
        for lid, res in ran.items():
            res.release_sha, res.run_id, res.run_seq = sha, run_id, seq
            rel["lines"][lid] = res.to_json()
        kept = [t for t in rel["triggers"] if t.get("line") not in ran]
        rel["triggers"] = kept + [t.to_json() for t in triggers]

    def results_for(self, sha: str, windows_h: dict[str, float] | None = None, now: datetime | None = None
                    ) -> tuple[dict[str, LineResult], list[TriggerObservation]]:
        rel = self.releases.get(sha)
        if not rel:
            return {}, []
        windows = {**DEFAULT_WINDOWS_H, **(windows_h or {})}
        now = now or utcnow()
        out: dict[str, LineResult] = {}
        for lid, raw in rel["lines"].items():
            res = LineResult.from_json(raw)
            if res.release_sha != sha or lid not in LINES_BY_ID:
                continue
            phase = LINES_BY_ID[lid].phase
            window = timedelta(hours=windows.get(phase, 12))
            overtaken = _overtaken_by(rel.get("phase_runs", {}), phase, res.run_seq or 0)
            if res.at and now - parse_iso(res.at) > window:
                res = _stale(res, f"stale: measured {res.at}, older than the {phase} window")
            elif overtaken is not None:
                earlier, run = overtaken
                res = _stale(res, f"stale: measured {res.at}, before the {earlier} run at {run.get('at')}; "
                                  f"run {phase} again")
            out[lid] = res
        triggers = [TriggerObservation.from_json(t) for t in rel.get("triggers", [])]
        return out, triggers

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".record-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"releases": self.releases}, fh, indent=2, sort_keys=True)
        os.replace(tmp, self.path)


def _overtaken_by(phase_runs: dict[str, dict[str, Any]], phase: str, seq: int) -> tuple[str, dict[str, Any]] | None:
    """The earliest phase before `phase` whose latest run is newer than the result's run, if any."""
    for earlier in ALL_PHASES[:ALL_PHASES.index(phase)]:
        run = phase_runs.get(earlier)
        if run is not None and int(run.get("seq", 0)) > seq:
            return earlier, run
    return None


def _stale(res: LineResult, message: str) -> LineResult:
    return LineResult(res.id, Result.NOT_RUN, at=res.at, evidence=res.evidence, release_sha=res.release_sha,
                      message=message, run_id=res.run_id, run_seq=res.run_seq)


class RecordError(RuntimeError):
    pass
