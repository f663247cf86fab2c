"""Across the watch rounds a release has on record: 72 hours stable, the first hours after T-0, the runbook's
cadence, and what the record keeps of each round.

A round is kept as a `WatchRound` (made by `judge.round_summary`): its time, verdict, triggers, the interval it
judged (from, to, requests, 5xx, p95, whether it saw a spike) and its counter state, the next round's baseline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from cutover_gate.core.clock import iso, parse_time
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason, as_recorded

MAX_ROUNDS = 200


@dataclass
class WatchRound:
    """One watch round as the record keeps it (hc_first_6h_watch's evidence `rounds`, the control report's `round`).

    `queue`, `interval`, `recon` and `counters` are the JSON of the round's QueueView, Interval, DailyRecon summary and
    CounterState. A round read back is written back as it was, its keys in their order: a key it lacked (a round an
    earlier version kept, a counter state the record dropped) stays out, a key unknown here stays in."""

    at: str
    ok: bool
    triggers: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    error_rate: float | None = None
    p95_s: float | None = None
    payout_failure_rate: float | None = None
    backlog: int | None = None
    stuck: int | None = None
    queue: dict[str, Any] | None = None
    interval: dict[str, Any] | None = None
    spike: str | None = None
    restart: str | None = None
    recon: dict[str, Any] | None = None
    counters: dict[str, Any] | None = None
    alerts_firing: list[str] | str | None = None
    """The alerts firing for the target when the round asked Prometheus (their names, or why they were not read);
    None when it did not ask (and then the JSON has no such key)."""
    failure_reasons: list[Any] | None = None
    """The records of `failures` (each a reason's JSON), kept as the record holds them; None for a round without
    them (a clean round, or one an earlier version kept: then the JSON has no such key)."""
    stated: tuple[str, ...] | None = field(default=None, compare=False, repr=False)
    """The keys of the round's JSON in their order, when it was read back (None: a round of this run)."""
    unknown: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Keys of the round on record this version does not know, kept as they are."""

    @property
    def interval_from(self) -> datetime | None:
        """Where the interval the round judged began (None: since the counters started, or no interval)."""
        return parse_time(self.interval.get("from")) if self.interval is not None else None

    @property
    def interval_reset(self) -> Any:
        """Why the platform's counters restarted inside the interval the round judged (falsy: they did not)."""
        return self.interval.get("reset") if self.interval is not None else None

    @property
    def clean(self) -> bool:
        return bool(self.ok) and not self.triggers

    def failure_causes(self) -> list[Reason]:
        """The failures on record as catalogue messages: each its record when the round keeps it and it says the
        same English (a failure the record cut short is quoted as kept), else its English as given."""
        records = self.failure_reasons if isinstance(self.failure_reasons, list) else []
        return [as_recorded(records[i] if i < len(records) else None, failure)
                for i, failure in enumerate(self.failures)]

    def without_state(self) -> WatchRound:
        """The round without its counter state (the record keeps only the latest rounds' states)."""
        return replace(self, counters=None, stated=tuple(key for key in self.to_json() if key != "counters"))

    def to_json(self) -> dict[str, Any]:
        data = {key: getattr(self, key) for key in _KEYS}
        for key in _OPTIONAL:
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        data.update(self.unknown)
        return data if self.stated is None else {key: data[key] for key in self.stated if key in data}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WatchRound:
        known = {key: data[key] for key in (*_KEYS, *_OPTIONAL) if key in data}
        return cls(**{"at": None, "ok": False, **known}, stated=tuple(data),
                   unknown={key: value for key, value in data.items() if key not in known})


_OPTIONAL: tuple[str, ...] = ("alerts_firing", "failure_reasons")
"""The keys a round's JSON has only when the round has them, after the others."""
_KEYS: tuple[str, ...] = tuple(f.name for f in fields(WatchRound) if f.name not in (*_OPTIONAL, "stated", "unknown"))
"""The keys of a round's JSON, in their order (the optional ones follow when the round has them)."""


def on_record(rounds: Any) -> list[WatchRound]:
    """The rounds a line's evidence keeps (`rounds`), as WatchRounds; what is not a round is left out."""
    return [WatchRound.from_json(r) for r in rounds or [] if isinstance(r, Mapping)]


def dated(rounds: Sequence[WatchRound]) -> list[tuple[datetime, WatchRound]]:
    return sorted(((ts, r) for r in rounds if (ts := parse_time(r.at)) is not None), key=lambda p: p[0])


def kept(rounds: Sequence[WatchRound], summary: WatchRound, *, states_kept: int = 48) -> list[WatchRound]:
    """The rounds on record with this round's summary (replacing one of the same time), at most MAX_ROUNDS. Only the
    latest `states_kept` keep their counter state: the next interval needs the last one, the rest bound the size."""
    out = [*(r for r in rounds if r.at != summary.at), summary][-MAX_ROUNDS:]
    cut = max(0, len(out) - states_kept)
    return [r.without_state() for r in out[:cut]] + out[cut:]


class Steadiness(StrEnum):
    """Whether the release has been stable for the hours hypercare asks for."""

    PASS = "PASS"
    FAIL = "FAIL"
    OPEN = "OPEN"


@dataclass(frozen=True)
class Stability:
    verdict: Steadiness
    reason: Reason
    clean_hours: float = 0.0
    clean_rounds: int = 0

    @property
    def message(self) -> str:
        return self.reason.text()

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "message": self.message, "clean_hours": self.clean_hours,
                "clean_rounds": self.clean_rounds}


def stability(rounds: Sequence[WatchRound], *, hours: float = 72.0, max_gap_hours: float = 8.0
              ) -> Stability:
    """PASS when the latest clean rounds (no failure, no trigger) run back unbroken over at least `hours`.

    FAIL when the latest round failed (the platform is not stable now). OPEN otherwise: a clean streak shorter than
    `hours` because hypercare has not lasted that long yet, or a trigger (a MONITOR row included) or a failure
    restarted the clock, or a gap between rounds longer than `max_gap_hours` (the routine's widest spacing) left
    time unwatched.
    """
    ordered = dated(rounds)
    if not ordered:
        return Stability(Steadiness.OPEN, Reason.of(N_("no hypercare watch round on record for this release")))
    latest_at, latest = ordered[-1]
    if not latest.ok:
        # the failures on record are the findings' messages: their records when the round keeps them
        why = (*latest.failure_causes(),
               *(Reason.of(N_("trigger %(row)s"), row=t) for t in latest.triggers))
        return Stability(Steadiness.FAIL, Reason.of(N_("not stable: the latest watch round (%(at)s) found %(why)s"),
                                                    at=iso(latest_at), why=why or Reason.of(N_("a problem"))))
    if latest.triggers:
        return Stability(Steadiness.OPEN, Reason.of(
            N_("the latest watch round (%(at)s) observed %(rows)s: the 72 h clock restarts after it"),
            at=iso(latest_at), rows=", ".join(latest.triggers)))
    start_at, streak, broke = latest_at, 1, None
    for (ts, r), next_ts in zip(reversed(ordered[:-1]), reversed([t for t, _ in ordered[1:]]), strict=True):
        gap_h = (next_ts - ts).total_seconds() / 3600
        if gap_h > max_gap_hours:
            broke = Reason.of(N_("the clock restarted after a %(gap)s h gap without a watch round (after %(at)s)"),
                              gap=f"{gap_h:.1f}", at=iso(ts))
            break
        if not r.clean:
            broke = Reason.of(N_("the clock restarted after the round at %(at)s (%(rows)s)"),
                              at=iso(ts), rows=", ".join(r.triggers or []) or "FAIL")
            break
        start_at, streak = ts, streak + 1
    span_h = (latest_at - start_at).total_seconds() / 3600
    if span_h >= hours:
        return Stability(Steadiness.PASS, Reason.of(
            N_("stable: %(streak)s clean watch rounds over %(span)s h since %(since)s"),
            streak=streak, span=f"{span_h:.1f}", since=iso(start_at)), span_h, streak)
    so_far = Reason.of(N_("stable so far for %(span)s h of %(hours)s h (%(streak)s clean watch round(s) since "
                          "%(since)s)"), span=f"{span_h:.1f}", hours=f"{hours:g}", streak=streak, since=iso(start_at))
    return Stability(Steadiness.OPEN, Reason.of(N_("%(so_far)s; keep the hypercare routine running"), so_far=so_far)
                     if broke is None else
                     Reason.of(N_("%(so_far)s; %(broke)s; keep the hypercare routine running"),
                               so_far=so_far, broke=broke), span_h, streak)


@dataclass(frozen=True)
class Window:
    """A judgement over the first hours after T-0: holds (True), broken (False) or not yet known (None)."""

    holds: bool | None
    reason: Reason

    @property
    def message(self) -> str:
        return self.reason.text()


def first_hours(rounds: Sequence[WatchRound], start: datetime | None, *, hours: float = 2.0) -> Window:
    """The runbook's "no 5xx spike in the first 2 hours (normal baseline)": every round whose interval overlaps
    [T-0, T-0 + hours] saw no spike, and the intervals on record reach from T-0 to T-0 + hours unbroken."""
    ordered = [(ts, r) for ts, r in dated(rounds) if isinstance(r.interval, Mapping)]
    if start is None:
        return Window(None, Reason.of(N_("no T-0 time on record: the first hours cannot be placed")))
    end = start + timedelta(hours=hours)
    first = {"hours": f"{hours:g}", "start": iso(start)}
    overlapping = []
    for ts, r in ordered:
        began = r.interval_from
        if ts >= start and (began is None or began < end):
            overlapping.append((ts, began, r))
    # a round's spike is the findings' English as the record keeps it: quoted as given
    spikes = tuple(Reason.of(N_("the round at %(at)s (%(spike)s)"), at=iso(ts), spike=r.spike)
                   for ts, _, r in overlapping if r.spike)
    if spikes:
        return Window(False, Reason.of(N_("a 5xx spike in the first %(hours)s h after T-0 (%(start)s): %(spikes)s"),
                                       **first, spikes=spikes))
    if not overlapping:
        return Window(None, Reason.of(N_("no watch round yet covers the first %(hours)s h after T-0 (%(start)s)"),
                                      **first))
    restarts = [(ts, r.interval_reset) for ts, _, r in overlapping if r.interval_reset]
    if restarts:
        return Window(None, Reason.of(N_("the platform restarted in the first %(hours)s h (the round at %(at)s "
                                         "(%(reset)s)): what it served before the restart is unseen, so no spike "
                                         "can be ruled out"), hours=f"{hours:g}", at=iso(restarts[0][0]),
                                      reset=restarts[0][1]))
    first_from = overlapping[0][1]
    if first_from is not None and first_from > start + timedelta(minutes=1):
        return Window(None, Reason.of(N_("the watch intervals start at %(at)s, after T-0 (%(start)s): the time "
                                         "before is unwatched"), at=iso(first_from), start=iso(start)))
    reach = overlapping[-1][0]
    if reach < end:
        return Window(None, Reason.of(N_("no 5xx spike so far: watched from T-0 (%(start)s) to %(reach)s, "
                                         "%(minutes)s min of the first %(hours)s h still to come"), **first,
                                      reach=iso(reach), minutes=f"{(end - reach).total_seconds() / 60:.0f}"))
    return Window(True, Reason.of(N_("no 5xx spike from T-0 (%(start)s) to %(end)s (%(count)s watch interval(s))"),
                                  start=iso(start), end=iso(end), count=len(overlapping)))


def next_check_minutes(hours_since_start: float) -> int | None:
    """The runbook's cadence: every 30 min in 0-6 h, hourly in 6-24 h, three times a day in 24-72 h; then done."""
    if hours_since_start < 6:
        return 30
    if hours_since_start < 24:
        return 60
    if hours_since_start < 72:
        return 8 * 60
    return None
