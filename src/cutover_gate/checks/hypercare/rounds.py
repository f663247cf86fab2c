"""Across the watch rounds a release has on record: 72 hours stable, the first hours after T-0, the runbook's
cadence, and what the record keeps of each round.

A round is kept as the compact summary `judge.round_summary` makes: its time, verdict, triggers, the interval it
judged (from, to, requests, 5xx, p95, whether it saw a spike) and its counter state, the next round's baseline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cutover_gate.core.clock import iso, parse_time

MAX_ROUNDS = 200


def clean(summary: Mapping[str, Any]) -> bool:
    return bool(summary.get("ok")) and not summary.get("triggers")


def dated(rounds: Sequence[Mapping[str, Any]]) -> list[tuple[datetime, Mapping[str, Any]]]:
    return sorted(((ts, r) for r in rounds if (ts := parse_time(r.get("at"))) is not None), key=lambda p: p[0])


def kept(rounds: Sequence[Mapping[str, Any]], summary: Mapping[str, Any], *, states_kept: int = 48
         ) -> list[dict[str, Any]]:
    """The rounds on record with this round's summary (replacing one of the same time), at most MAX_ROUNDS. Only the
    latest `states_kept` keep their counter state: the next interval needs the last one, the rest bound the size."""
    out: list[dict[str, Any]] = [dict(r) for r in rounds if r.get("at") != summary.get("at")]
    out = [*out, dict(summary)][-MAX_ROUNDS:]
    for r in out[:max(0, len(out) - states_kept)]:
        r.pop("counters", None)
    return out


@dataclass(frozen=True)
class Stability:
    verdict: str  # PASS | FAIL | OPEN
    message: str
    clean_hours: float = 0.0
    clean_rounds: int = 0


def stability(rounds: Sequence[Mapping[str, Any]], *, hours: float = 72.0, max_gap_hours: float = 8.0
              ) -> Stability:
    """PASS when the latest clean rounds (no failure, no trigger) run back unbroken over at least `hours`.

    FAIL when the latest round failed (the platform is not stable now). OPEN otherwise: a clean streak shorter than
    `hours` because hypercare has not lasted that long yet, or a trigger (a MONITOR row included) or a failure
    restarted the clock, or a gap between rounds longer than `max_gap_hours` (the routine's widest spacing) left
    time unwatched.
    """
    ordered = dated(rounds)
    if not ordered:
        return Stability("OPEN", "no hypercare watch round on record for this release")
    latest_at, latest = ordered[-1]
    if not latest.get("ok"):
        why = "; ".join([*latest.get("failures", []), *(f"trigger {t}" for t in latest.get("triggers", []))])
        return Stability("FAIL", f"not stable: the latest watch round ({iso(latest_at)}) found {why or 'a problem'}")
    if latest.get("triggers"):
        return Stability("OPEN", f"the latest watch round ({iso(latest_at)}) observed "
                         f"{', '.join(latest['triggers'])}: the 72 h clock restarts after it")
    start_at, streak, broke = latest_at, 1, ""
    for (ts, r), next_ts in zip(reversed(ordered[:-1]), reversed([t for t, _ in ordered[1:]]), strict=True):
        gap_h = (next_ts - ts).total_seconds() / 3600
        if gap_h > max_gap_hours:
            broke = f"; the clock restarted after a {gap_h:.1f} h gap without a watch round (after {iso(ts)})"
            break
        if not clean(r):
            rows = ", ".join(r.get("triggers") or []) or "FAIL"
            broke = f"; the clock restarted after the round at {iso(ts)} ({rows})"
            break
        start_at, streak = ts, streak + 1
    span_h = (latest_at - start_at).total_seconds() / 3600
    if span_h >= hours:
        return Stability("PASS", f"stable: {streak} clean watch rounds over {span_h:.1f} h since {iso(start_at)}",
                         span_h, streak)
    return Stability("OPEN", f"stable so far for {span_h:.1f} h of {hours:g} h ({streak} clean watch round(s) since "
                     f"{iso(start_at)}){broke}; keep the hypercare routine running", span_h, streak)


@dataclass(frozen=True)
class Window:
    """A judgement over the first hours after T-0: holds (True), broken (False) or not yet known (None)."""

    holds: bool | None
    message: str


def first_hours(rounds: Sequence[Mapping[str, Any]], start: datetime | None, *, hours: float = 2.0) -> Window:
    """The runbook's "no 5xx spike in the first 2 hours (normal baseline)": every round whose interval overlaps
    [T-0, T-0 + hours] saw no spike, and the intervals on record reach from T-0 to T-0 + hours unbroken."""
    ordered = [(ts, r) for ts, r in dated(rounds) if isinstance(r.get("interval"), Mapping)]
    if start is None:
        return Window(None, "no T-0 time on record: the first hours cannot be placed")
    end = start + timedelta(hours=hours)
    overlapping = []
    for ts, r in ordered:
        interval = r["interval"]
        began = parse_time(interval.get("from"))
        if ts >= start and (began is None or began < end):
            overlapping.append((ts, began, r))
    spikes = [f"the round at {iso(ts)} ({r.get('spike')})" for ts, _, r in overlapping if r.get("spike")]
    if spikes:
        return Window(False, f"a 5xx spike in the first {hours:g} h after T-0 ({iso(start)}): " + "; ".join(spikes))
    if not overlapping:
        return Window(None, f"no watch round yet covers the first {hours:g} h after T-0 ({iso(start)})")
    restarts = [f"{iso(ts)} ({r['interval'].get('reset')})" for ts, _, r in overlapping if r["interval"].get("reset")]
    if restarts:
        return Window(None, f"the platform restarted in the first {hours:g} h (the round at {restarts[0]}): what it "
                      "served before the restart is unseen, so no spike can be ruled out")
    first_from = overlapping[0][1]
    if first_from is not None and first_from > start + timedelta(minutes=1):
        return Window(None, f"the watch intervals start at {iso(first_from)}, after T-0 ({iso(start)}): the time "
                      "before is unwatched")
    reach = overlapping[-1][0]
    if reach < end:
        return Window(None, f"no 5xx spike so far: watched from T-0 ({iso(start)}) to {iso(reach)}, "
                      f"{(end - reach).total_seconds() / 60:.0f} min of the first {hours:g} h still to come")
    count = len(overlapping)
    return Window(True, f"no 5xx spike from T-0 ({iso(start)}) to {iso(end)} ({count} watch interval(s))")


def next_check_minutes(hours_since_start: float) -> int | None:
    """The runbook's cadence: every 30 min in 0-6 h, hourly in 6-24 h, three times a day in 24-72 h; then done."""
    if hours_since_start < 6:
        return 30
    if hours_since_start < 24:
        return 60
    if hours_since_start < 72:
        return 8 * 60
    return None
