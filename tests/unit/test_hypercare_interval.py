"""A watch round judges the whole interval since the previous round (the first: since the T-0 baseline): counter
states, deltas, resets, which state an interval starts from, the first hours after T-0, and what the record keeps."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cutover_gate.checks.hypercare import finance, rounds, signals
from cutover_gate.checks.hypercare import interval as iv
from cutover_gate.checks.hypercare.config import HypercareConfig
from cutover_gate.core.clock import iso

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T0 = NOW - timedelta(hours=3)


def scrape(ok: int, errors: int, fast: int, slow: int, *, start: float | None = None, metrics: int = 7) -> str:
    """Prometheus text: `ok` 2xx and `errors` 5xx requests, `fast` under 0.1 s and `slow` between 0.5 and 1 s."""
    total = fast + slow
    lines = [
        "# TYPE http_requests_total counter",
        f'http_requests_total{{handler="/api/health",method="GET",status="2xx"}} {ok}',
        f'http_requests_total{{handler="/api/v1/player/wallet/withdraw",method="POST",status="5xx"}} {errors}',
        f'http_requests_total{{handler="/metrics",method="GET",status="2xx"}} {metrics}',
        "# TYPE http_request_duration_seconds histogram",
        f'http_request_duration_seconds_bucket{{handler="/api/health",method="GET",le="0.1"}} {fast}',
        f'http_request_duration_seconds_bucket{{handler="/api/health",method="GET",le="1.0"}} {total}',
        f'http_request_duration_seconds_bucket{{handler="/api/health",method="GET",le="+Inf"}} {total}',
        'http_request_duration_seconds_sum{handler="/api/health",method="GET"} 1',
        f'http_request_duration_seconds_count{{handler="/api/health",method="GET"}} {total}',
    ]
    if start is not None:
        lines += ["# TYPE process_start_time_seconds gauge", f"process_start_time_seconds {start}"]
    return "\n".join(lines) + "\n"


def state(text: str, at: datetime) -> iv.CounterState:
    return iv.state_of(signals.parse_metrics(text), HypercareConfig(), at)


def test_a_counter_state_keeps_requests_buckets_and_start_time_and_survives_the_record() -> None:
    s = state(scrape(100, 2, 90, 12, start=1700000000.0), T0)
    assert s.requests == {("/api/health", "2xx"): 100, ("/api/v1/player/wallet/withdraw", "5xx"): 2}  # no /metrics
    assert s.buckets == {0.1: 90, 1.0: 102, math.inf: 102} and s.start_time == 1700000000.0
    stored = s.to_json()
    assert stored["buckets"][-1] == ["+Inf", 102]
    assert iv.CounterState.from_json(stored) == s


@pytest.mark.parametrize("stored", [None, {}, {"at": "2026-03-01T09:00:00Z", "unavailable": "GET /metrics -> 404"},
                                    {"at": "yesterday"}, {"at": "2026-03-01T09:00:00Z", "requests": [["x"]]}])
def test_anything_but_a_stored_state_is_no_state(stored: Any) -> None:
    assert iv.CounterState.from_json(stored) is None


def test_the_interval_covers_everything_since_the_baseline_not_a_two_second_window() -> None:
    baseline = state(scrape(100, 0, 100, 0), T0)
    # three hours later: 900 more requests, 40 of them 5xx on the withdraw route, 50 slow ones
    now = state(scrape(960, 40, 950, 50), NOW)
    got = iv.between(baseline, now, iv.BASELINE)
    assert got.reset is None and got.start == T0 and got.hours == pytest.approx(3)
    assert (got.rate.errors, got.rate.total) == (40, 900) and got.rate.rate == pytest.approx(40 / 900)
    assert got.handlers_5xx() == {"/api/v1/player/wallet/withdraw": 40}
    # p95 of the interval's 900 observations (850 fast, 50 slow), from bucket deltas: in the (0.1, 1.0] bucket
    assert got.buckets == {0.1: 850, 1.0: 900, math.inf: 900}
    assert got.p95_s == pytest.approx(0.1 + 0.9 * (855 - 850) / 50)
    assert "since the T-0 baseline at 2026-03-01T09:00:00Z (3.0 h)" in got.describe()
    assert got.to_json()["errors_5xx"] == 40 and got.to_json()["from"] == iso(T0)


def test_without_any_earlier_state_the_interval_is_since_the_counters_started() -> None:
    got = iv.between(None, state(scrape(10, 1, 11, 0), NOW), iv.PREVIOUS)
    assert got.basis == iv.SINCE_START and got.start is None and got.hours is None
    assert (got.rate.errors, got.rate.total) == (1, 11)
    assert "since the platform's counters started" in got.describe()


def test_a_counter_that_fell_is_a_restart_never_a_negative_rate() -> None:
    before = state(scrape(5000, 10, 5000, 10), T0)
    after = state(scrape(300, 30, 320, 10), NOW)  # the process restarted: its counters began again
    got = iv.between(before, after, iv.PREVIOUS)
    assert got.reset is not None and got.reset.startswith("request counters fell")
    assert (got.rate.errors, got.rate.total) == (30, 330)  # what it counted since the restart, no negative delta
    assert all(n >= 0 for n in [*got.counts.values(), *got.buckets.values()])
    assert "the platform restarted, only what it served since the restart is counted" in got.describe()


def test_a_new_process_start_time_is_a_restart_even_when_counters_grew_past_their_old_values() -> None:
    before = state(scrape(10, 0, 10, 0, start=1000.0), T0)
    after = state(scrape(50, 0, 50, 0, start=2000.0), NOW)
    got = iv.between(before, after, iv.PREVIOUS)
    assert got.reset == "the process start time changed" and got.rate.total == 50
    same = iv.between(before, state(scrape(50, 0, 50, 0, start=1000.0), NOW), iv.PREVIOUS)
    assert same.reset is None and same.rate.total == 40


def test_only_the_histogram_falling_is_a_restart_too() -> None:
    before = state(scrape(10, 0, 10, 5), T0)
    assert iv.restarted(before, state(scrape(20, 0, 3, 0), NOW)) == "the latency histogram's counts fell"


def test_the_interval_starts_from_the_newest_state_older_than_now() -> None:
    baseline, previous = state(scrape(1, 0, 1, 0), T0), state(scrape(2, 0, 2, 0), T0 + timedelta(hours=1))
    assert iv.latest({iv.PREVIOUS: previous, iv.BASELINE: baseline}, NOW) == (previous, iv.PREVIOUS)
    assert iv.latest({iv.PREVIOUS: None, iv.BASELINE: baseline}, NOW) == (baseline, iv.BASELINE)
    # T-0 ran again after the last round: the new baseline starts the interval
    later = state(scrape(3, 0, 3, 0), NOW - timedelta(minutes=5))
    assert iv.latest({iv.PREVIOUS: previous, iv.BASELINE: later}, NOW) == (later, iv.BASELINE)
    assert iv.latest({iv.PREVIOUS: state(scrape(1, 0, 1, 0), NOW)}, NOW) == (None, iv.SINCE_START)
    assert iv.latest({}, NOW) == (None, iv.SINCE_START)


def test_payouts_are_judged_over_the_whole_interval_and_at_least_the_window() -> None:
    cfg = HypercareConfig()
    assert finance.payout_since(NOW, T0, cfg) == T0
    assert finance.payout_since(NOW, NOW - timedelta(minutes=10), cfg) == NOW - timedelta(minutes=60)
    assert finance.payout_since(NOW, None, cfg) == NOW - timedelta(minutes=60)


# -- the first hours after T-0 ----------------------------------------------------------------------------------------
def rnd(at: datetime, start: datetime | None, spike: str | None = None) -> rounds.WatchRound:
    return rounds.WatchRound(at=iso(at), ok=spike is None, triggers=[], spike=spike,
                             interval={"from": iso(start) if start else None, "to": iso(at)})


def chain(*minutes: float, spike_at: float | None = None) -> list[rounds.WatchRound]:
    """Rounds at T-0 + minutes, each interval starting at the previous one (the first at the T-0 baseline)."""
    out, start = [], T0
    for m in minutes:
        at = T0 + timedelta(minutes=m)
        out.append(rnd(at, start, "5xx rate 9.0% over 2.0%" if m == spike_at else None))
        start = at
    return out


def test_no_spike_over_intervals_covering_the_first_two_hours_holds() -> None:
    got = rounds.first_hours(chain(30, 60, 90, 120, 150), T0)
    assert got.holds is True and "no 5xx spike from T-0 (2026-03-01T09:00:00Z) to 2026-03-01T11:00:00Z" in got.message
    # one long interval from the baseline to T+3h covers them too (a 5xx burst inside would be counted in it)
    assert rounds.first_hours([rnd(T0 + timedelta(hours=3), T0)], T0).holds is True


def test_a_spike_in_the_first_two_hours_breaks_it_and_one_later_does_not() -> None:
    got = rounds.first_hours(chain(30, 60, 90, 120, spike_at=60), T0)
    assert got.holds is False and "the round at 2026-03-01T10:00:00Z (5xx rate 9.0% over 2.0%)" in got.message
    assert rounds.first_hours(chain(30, 60, 90, 120, 150, spike_at=150), T0).holds is True


def test_first_hours_not_yet_watched_or_watched_from_too_late_stay_open() -> None:
    assert rounds.first_hours([], T0).holds is None
    so_far = rounds.first_hours(chain(30, 60), T0)
    assert so_far.holds is None and "60 min of the first 2 h still to come" in so_far.message
    late = rounds.first_hours([rnd(T0 + timedelta(hours=3), T0 + timedelta(hours=1))], T0)
    assert late.holds is None and "the time before is unwatched" in late.message
    assert rounds.first_hours(chain(150), None).holds is None
    # a first round without a baseline counts since the counters started: before T-0, so it covers it
    assert rounds.first_hours([rnd(T0 + timedelta(hours=3), None)], T0).holds is True


def test_a_restart_in_the_first_two_hours_leaves_them_unproven() -> None:
    kept = chain(30, 60, 90, 120, 150)
    kept[1].interval["reset"] = "request counters fell (/api/health 2xx)"
    got = rounds.first_hours(kept, T0)
    assert got.holds is None and "restarted in the first 2 h (the round at 2026-03-01T10:00:00Z" in got.message
    kept[1].interval["reset"], kept[4].interval["reset"] = None, "the process start time changed"
    assert rounds.first_hours(kept, T0).holds is True  # a restart after the first 2 h does not matter here


def test_the_record_keeps_the_counter_state_of_the_latest_rounds_only() -> None:
    kept = [rounds.WatchRound.from_json({"at": iso(T0 + timedelta(minutes=m)), "counters": {"at": "x"}})
            for m in range(10)]
    latest = rounds.WatchRound.from_json({"at": iso(NOW), "counters": {"at": "now"}})
    out = rounds.kept(kept, latest, states_kept=3)
    assert len(out) == 11 and out[-1] == latest
    assert [("counters" in r.to_json()) for r in out] == [False] * 8 + [True] * 3
    assert "counters" in kept[0].to_json()  # the input is not changed
    assert len(rounds.kept(kept * 30, latest)) == rounds.MAX_ROUNDS
    again = rounds.kept(out, replace(latest, ok=True))
    assert len(again) == 11 and again[-1].ok is True  # the same round replaces itself
