"""The circuit breaker: once the target is shown unreachable, the run stops waiting for it.

A call that fails at the transport level (refused, reset, timed out) is followed by one short health probe
(`PROBE_TIMEOUT_S`). If the probe fails too, the target is down: every later call fails at once with "target
unreachable since <UTC time>" and the cause, and every later scenario is refused before it starts. If the probe
answers, the target lives (one route hangs or drops): the run goes on, but a write that failed at the transport level
blocks every later scenario that changes data, since nobody can tell whether that money moved. Only a request that
could have moved money counts: a money call or a validly signed event, never a discovery probe or an unsigned one.

So for a target that dies or hangs at any point, the verdict comes within one request deadline and one probe of the
failure, instead of every remaining scenario waiting out its own timeouts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cutover_gate.core.clock import iso, utcnow
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason

PROBE_TIMEOUT_S = 2.0
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Breaker:
    down_since: str | None = None
    down_cause: str = ""
    writes_blocked: Reason | None = None
    """Why data-changing scenarios are refused: a write whose outcome is unknown."""

    def describe(self) -> Reason:
        return Reason.of(N_("target unreachable since %(since)s (%(cause)s)"), since=self.down_since,
                         cause=self.down_cause)

    def transport_failure(self, method: str, url: str, cause: str, probe: Callable[[], bool], *,
                          in_doubt: bool | None = None) -> None:
        """A call got no answer at all; `probe()` asks the target for its health with a short deadline. `in_doubt`:
        whether the request could have moved money (a money call or a validly signed event; by default any write).
        An OPTIONS, an empty body or an unsigned event puts nothing in doubt: only the target's liveness is asked."""
        now = iso(utcnow())
        doubt = method in WRITE_METHODS if in_doubt is None else in_doubt
        if doubt and self.writes_blocked is None:
            self.writes_blocked = Reason.of(N_("%(method)s %(url)s got no answer (%(cause)s) at %(at)s: whether it "
                                               "took effect is unknown, so no more money moves"),
                                            method=method, url=url, cause=cause, at=now)
        if self.down_since is None and not probe():
            self.down_since, self.down_cause = now, f"{method} {url}: {cause}"
