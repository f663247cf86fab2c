"""Reads started ahead of the scenarios that judge them, off the sequential path a remote platform's latency
multiplies: at once beside each other (`together`), beside the scenarios once per run (`in_background`/`taken`), or
beside the gate's calls (`TargetClient.ahead`, taken by `fresh` while nothing was written since). Only reads:
money calls stay one after the other."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from cutover_gate.checks.canary import CanaryPlayer
from cutover_gate.checks.maintenance import probe_of
from cutover_gate.core.catalogue import T0_TRAFFIC_OPEN, T15_API_HEALTH, T15_DEPLOY_COMPLETED, T15_MIGRATIONS_AT_HEAD
from cutover_gate.core.redact import Secret
from cutover_gate.target.client import Response, TargetClient

if TYPE_CHECKING:
    from steps.common import Shared

T = TypeVar("T")

READ_CONCURRENCY = 8


def together(*reads: Callable[[], T]) -> list[T]:
    """Independent reads at once (at most READ_CONCURRENCY in flight), their results in order: one round trip of a
    remote platform instead of one each. Never for money calls: those stay one after the other."""
    if len(reads) < 2:
        return [read() for read in reads]
    with ThreadPoolExecutor(max_workers=READ_CONCURRENCY, thread_name_prefix="reads") as pool:
        return list(pool.map(lambda read: read(), reads))


def in_background(shared: Shared, key: str, work: Callable[[], Any]) -> None:
    """Start read-only `work` beside the scenarios (once per run), for a later step to take its result."""
    if key not in shared.background:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=key)
        shared.background[key] = pool.submit(work)
        pool.shutdown(wait=False)


def taken(shared: Shared, key: str, work: Callable[[], T]) -> T:
    """The result of the background `work` started under `key`, or `work()` now when none was started."""
    future = shared.background.get(key)
    return future.result() if future is not None else work()


def selected(request: pytest.FixtureRequest, tag: str) -> bool:
    """Does the run include a scenario of line (or tag) `tag`?"""
    return any(item.get_closest_marker(tag) for item in request.session.items)


def later(request: pytest.FixtureRequest, tag: str) -> bool:
    """Does a scenario of line (or tag) `tag` run after this one?"""
    items = request.session.items
    after = items[items.index(request.node) + 1:] if request.node in items else []
    return any(item.get_closest_marker(tag) for item in after)


# -- with the run's first scenario: reads that depend on nothing the gate writes ----------------------------------
CORS_PREFLIGHT = "t60:cors-preflight"
TRAFFIC_OPEN = "t0:traffic-open"


def cors_preflight(target: TargetClient) -> Response:
    """A CORS preflight from the profile's foreign origin: asks, acts on nothing."""
    origin = str(target.profile.probe("cors_foreign_origin"))
    return target.options(str(target.profile.probe("cors_probe_path")), record=False,
                          headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                   "Access-Control-Request-Headers": "content-type,authorization"})


T15_READS = ("version", "readiness", "health")
"""T-15's reads of the deploy (the version, the readiness, the health): independent of each other and of anything the
gate writes, so all three are asked at once with the run's first scenario (or when the first is needed)."""
DEPLOY_READ_LINES = (T15_DEPLOY_COMPLETED, T15_MIGRATIONS_AT_HEAD, T15_API_HEALTH)


def t15_read(target: TargetClient, name: str) -> Callable[[], Response]:
    """T-15's read `name` (one of T15_READS), taken under `deploy_key(name)`."""
    return lambda: target.call(name, record=False)


def deploy_key(name: str) -> str:
    return f"t15:{name}"


def start_deploy_reads(target: TargetClient, shared: Shared) -> None:
    for name in T15_READS:
        in_background(shared, deploy_key(name), t15_read(target, name))


def start_t0_reads(request: pytest.FixtureRequest, target: TargetClient, shared: Shared) -> None:
    """T-0's read that depends on nothing the gate writes, started with T-0's first scenario: the public route behind
    the maintenance page, asked without credentials (the canary needs traffic open)."""
    probe = probe_of(target.profile)
    if probe is not None and selected(request, T0_TRAFFIC_OPEN):
        in_background(shared, TRAFFIC_OPEN, public_route(target, probe.path))


def public_route(target: TargetClient, path: str) -> Callable[[], Response]:
    """The public route behind the maintenance page, asked without credentials, taken under TRAFFIC_OPEN."""
    return lambda: target.get(path, record=False)


# -- after the gate's last write: the reads of a read-only scenario to come ------------------------------------------
READ_AHEAD_AGE_S = 15.0
"""How old a read started ahead may be when its scenario takes it (with nothing written since)."""


def read_ahead_for(request: pytest.FixtureRequest, target: TargetClient, tag: str, key: str,
                   read: Callable[[], Any]) -> None:
    """Start the read a later read-only scenario (of `tag`) makes, now that the gate's last write is answered; that
    scenario takes it with `TargetClient.fresh(key, ..., max_age_s=READ_AHEAD_AGE_S)` while nothing was written
    since, and reads again otherwise."""
    if selected(request, tag):
        target.ahead(key, read)


SCOPE_READS = "t0:player-scope"


def scope_reads(target: TargetClient, admin: Secret, player: CanaryPlayer) -> Callable[[], list[Response]]:
    """Each admin-only call with the admin's session (the control), then with the canary's, all at once; started
    ahead when the money loop's last write is answered (steps/canary.py), else asked by the scenario."""
    names = list(target.profile.probe("admin_only_calls"))
    return lambda: together(*(lambda name=name, token=token: target.call(name, admin=token,
                                                                         player_id=player.player_id, record=False)
                              for name in names for token in (admin, player.token)))


WITHDRAWALS_LEFT = "t0:withdrawals-left"


def withdrawals_left(target: TargetClient, admin: Secret, player_id: str) -> Callable[[], Response]:
    """The finance list of the canary's withdrawals: started ahead beside the ledger's reads (steps/ledger.py), which
    write nothing, else asked here."""
    return lambda: target.call("withdrawals", admin=admin, player_id=player_id, record=False)


METRICS_BASELINE = "t0:metrics-baseline"


def metrics_scrape(target: TargetClient) -> Callable[[], Response]:
    """The /metrics scrape T-0's closing scenario keeps as the hypercare baseline: started ahead beside the ledger's
    reads (nothing is written in between), else asked there."""
    return lambda: target.call("metrics", record=False)
