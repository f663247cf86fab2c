"""Polling a state until it is done, stopped at once on a terminal failure and bounded by a deadline (tenacity)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from tenacity import RetryCallState, RetryError, Retrying, retry_if_result, stop_after_delay

from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason


def poll(read: Callable[[], str], *, done: Iterable[str], failed: Iterable[str], deadline_s: float,
         interval_s: float, what: str | Reason) -> str:
    """Poll `read()` until it returns a state in `done`; stop at once on a state in `failed`; give up at the deadline.

    A read starts every `interval_s` (fixed rate, counted from the start of the one before): a remote platform's
    round trip is part of the interval, not added to it. Returns the final state; raises CheckFailed naming the last
    state seen otherwise.
    """
    done_set, failed_set = set(done), set(failed)
    label = Reason.label(what)
    last: list[str] = []
    started: list[float] = []

    def observe() -> str:
        started.append(time.monotonic())
        state = read()
        last.append(state)
        if state in failed_set:
            raise CheckFailed(N_("%(what)s: reached terminal failure state '%(state)s'"), what=label, state=state)
        return state

    def until_next(_state: RetryCallState) -> float:
        return max(0.0, interval_s - (time.monotonic() - started[-1]))

    retrying = Retrying(stop=stop_after_delay(deadline_s), wait=until_next,
                        retry=retry_if_result(lambda s: s not in done_set))
    try:
        return str(retrying(observe))
    except RetryError:
        if last:
            raise CheckFailed(N_("%(what)s: still '%(seen)s' after %(deadline)s s (waiting for %(done)s)"), what=label,
                              seen=last[-1], deadline=f"{deadline_s:g}", done=sorted(done_set)) from None
        raise CheckFailed(N_("%(what)s: still 'nothing' after %(deadline)s s (waiting for %(done)s)"), what=label,
                          deadline=f"{deadline_s:g}", done=sorted(done_set)) from None
