"""Polling a state until it is done, stopped at once on a terminal failure and bounded by a deadline (tenacity)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_fixed

from cutover_gate.core.errors import CheckFailed


def poll(read: Callable[[], str], *, done: Iterable[str], failed: Iterable[str], deadline_s: float,
         interval_s: float, what: str) -> str:
    """Poll `read()` until it returns a state in `done`; stop at once on a state in `failed`; give up at the deadline.

    Returns the final state; raises CheckFailed naming the last state seen otherwise.
    """
    done_set, failed_set = set(done), set(failed)
    last: list[str] = []

    def observe() -> str:
        state = read()
        last.append(state)
        if state in failed_set:
            raise CheckFailed(f"{what}: reached terminal failure state '{state}'")
        return state

    retrying = Retrying(stop=stop_after_delay(deadline_s), wait=wait_fixed(interval_s),
                        retry=retry_if_result(lambda s: s not in done_set))
    try:
        return str(retrying(observe))
    except RetryError:
        seen = last[-1] if last else "nothing"
        raise CheckFailed(f"{what}: still '{seen}' after {deadline_s:g} s (waiting for {sorted(done_set)})") from None
