"""Routes nobody declared, and whether a route is mounted, found without acting on anything.

- `documented_routes`: the paths and methods of the target's OpenAPI document (FastAPI serves `/openapi.json` unless
  disabled); None when the target serves none. Many production platforms serve none, so the gate never relies on it:
- `survey`: whether each of many candidate paths (the built-in catalogue's shapes, config/route_catalogue.py, and the
  profile's) is mounted, asked with a request it cannot act on: a bodiless OPTIONS, at most `concurrency` in flight
  and `max_requests` in all, 429 waited out as the client does. Before the candidates, a control: OPTIONS on a path
  that cannot exist, under each API prefix. 404/410 is absent; an answer equal to the control's is "cannot tell"
  unless the control is 404/410 (a catch-all page or a gateway answering every path alike hides what is behind it);
  anything else (405 above all: routed, another method served) is mounted. Never "nothing found" when it cannot tell.
- `matching`: the routes whose path has a word of a list as one of its parts, for webhook-like routes.
- `Lanes`: the run's one bound on discovery requests in flight, shared by surveys that run side by side (the seed
  survey and the callback survey both start with the run, off the sequential path), the one needed first served first.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Literal

from cutover_gate.config import route_catalogue
from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason
from cutover_gate.target.client import TargetClient, TargetUnreachable

State = Literal["absent", "mounted", "cannot_tell"]


@dataclass(frozen=True)
class Route:
    path: str
    methods: tuple[str, ...]

    @property
    def parameters(self) -> list[str]:
        return re.findall(r"\{([^}]+)\}", self.path)


def documented_routes(target: TargetClient, *, record: bool = True) -> tuple[list[Route] | None, str]:
    """(routes, how they were found): the OpenAPI document's paths, or None with the reason there are none."""
    path = target.profile.call("openapi").path
    resp = target.call("openapi", record=record)
    if resp.status != 200:
        return None, f"GET {path} answered {resp.status}: the target documents no routes"
    try:
        doc = resp.json()
    except CheckFailed:
        return None, f"GET {path} is not JSON: the target documents no routes"
    paths = doc.get("paths") if isinstance(doc, dict) else None
    if not isinstance(paths, dict):
        return None, f"GET {path} has no paths: not an OpenAPI document"
    routes = [Route(str(p), tuple(sorted(m.upper() for m in ops if isinstance(ops, dict) and m in _METHODS)))
              for p, ops in paths.items()]
    return routes, f"GET {path}: {len(routes)} documented path(s)"


_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def words_of(path: str) -> set[str]:
    return {w for part in path.lower().split("/") for w in re.split(r"[-_.]", part) if w and not w.startswith("{")}


def matching(routes: Iterable[Route], words: Iterable[str]) -> list[Route]:
    wanted = {w.lower() for w in words}
    return [r for r in routes if words_of(r.path) & wanted]


@dataclass(frozen=True)
class Existence:
    path: str
    status: int | None
    state: State
    why: Reason

    @property
    def mounted(self) -> bool:
        return self.state == "mounted"


def judge(path: str, status: int | None, control: int | None, cause: str | Reason = "") -> Existence:
    """Is `path` mounted, from its OPTIONS answer and the answer to an unknown path under the same prefix?"""
    if status is None:
        return Existence(path, None, "cannot_tell", Reason.of(N_("no answer (%(cause)s): cannot tell"), cause=cause))
    if status in (404, 410):
        return Existence(path, status, "absent", Reason.of(N_("answered %(status)s: absent"), status=status))
    if status == control:
        return Existence(path, status, "cannot_tell",
                         Reason.of(N_("answered %(status)s as an unknown path does: cannot tell"), status=status))
    if status == 405:
        return Existence(path, status, "mounted", Reason.of(N_("answered 405: mounted (it serves other methods)")))
    seen = Reason.of(N_("an unknown path answered %(control)s"), control=control) if control is not None \
        else Reason.of(N_("no unknown path was answered"))
    return Existence(path, status, "mounted",
                     Reason.of(N_("answered %(status)s (%(seen)s): mounted"), status=status, seen=seen))


@dataclass
class Survey:
    existence: list[Existence] = field(default_factory=list)
    controls: dict[str, int | None] = field(default_factory=dict)
    """API prefix -> the status of OPTIONS on a path that cannot exist under it."""
    requests: int = 0
    not_asked: list[str] = field(default_factory=list)
    """Candidates beyond the request bound: unproven, never absent."""

    def of(self, state: State) -> list[Existence]:
        return [e for e in self.existence if e.state == state]

    def blind_prefixes(self) -> dict[str, int | None]:
        """The prefixes under which an unknown path is not answered 404/410: discovery there may not tell."""
        return {p: s for p, s in self.controls.items() if s not in (404, 410)}

    def summary(self) -> dict[str, object]:
        return {"requests": self.requests, "controls": self.controls, "mounted": len(self.of("mounted")),
                "absent": len(self.of("absent")), "cannot_tell": len(self.of("cannot_tell")),
                "not_asked": len(self.not_asked)}


def _options(target: TargetClient, path: str) -> tuple[int | None, str | Reason]:
    try:
        return target.request("OPTIONS", path, may_move_money=False, record=False).status, ""
    except TargetUnreachable as exc:
        return None, exc.reason
    except CheckFailed as exc:  # rate limited past the wait, or another refusal to send
        return None, exc.reason


class Lanes:
    """At most `width` discovery requests in flight for the whole run, whichever survey sends them; queued work runs
    by rank, then in order (a survey a scenario waits for goes before one started early for a later scenario).
    Written here because the standard library's pools have no order but arrival; its threads are daemons, and idle
    ones leave after IDLE_S."""

    IDLE_S = 2.0

    def __init__(self, width: int) -> None:
        self.width = max(width, 1)
        self._queue: list[tuple[int, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._ready = threading.Condition()
        self._threads: list[threading.Thread] = []

    def submit(self, rank: int, work: Callable[[], tuple[int | None, str | Reason]]
               ) -> Future[tuple[int | None, str | Reason]]:
        done: Future[tuple[int | None, str | Reason]] = Future()

        def run() -> None:
            if done.set_running_or_notify_cancel():
                try:
                    done.set_result(work())
                except BaseException as exc:  # handed to whoever waits for it
                    done.set_exception(exc)

        with self._ready:
            heapq.heappush(self._queue, (rank, next(self._order), run))
            if len(self._threads) < self.width:
                thread = threading.Thread(target=self._serve, name=f"discovery-{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
            self._ready.notify()
        return done

    def _serve(self) -> None:
        me = threading.current_thread()
        while True:
            with self._ready:
                if not self._ready.wait_for(lambda: self._queue, timeout=self.IDLE_S):
                    self._threads.remove(me)  # idle: a later submit starts another
                    return
                _rank, _n, run = heapq.heappop(self._queue)
            run()


def survey(target: TargetClient, paths: Sequence[str], *, lanes: Lanes | None = None, rank: int = 0) -> Survey:
    """Each path's existence, judged against a control under its prefix; bounded in flight and in count (by the
    run's `lanes` when given, else by lanes of its own)."""
    cfg = target.profile.model.discovery
    candidates = list(dict.fromkeys(paths))
    prefix_of = {p: route_catalogue.prefix_of(p, target.profile) for p in candidates}
    prefixes = sorted(set(prefix_of.values()))
    result = Survey()
    budget = max(cfg.max_requests - len(prefixes), 0)
    asked, result.not_asked = candidates[:budget], candidates[budget:]
    nonce = uuid.uuid4().hex[:12]
    controls_first = [f"{p}/cutover-gate-control-{nonce}" for p in prefixes] + asked  # judged once all are in
    lanes = lanes or Lanes(cfg.concurrency)
    asked_all = [lanes.submit(rank, functools.partial(_options, target, path)) for path in controls_first]
    every = [f.result() for f in asked_all]
    controls, answers = dict(zip(prefixes, every[:len(prefixes)], strict=True)), every[len(prefixes):]
    result.controls = {p: status for p, (status, _cause) in controls.items()}
    result.requests = len(prefixes) + len(asked)
    for path, (status, cause) in zip(asked, answers, strict=True):
        result.existence.append(judge(path, status, result.controls[prefix_of[path]], cause))
    if target.breaker.down_since is not None:
        raise TargetUnreachable(N_("route discovery: %(cause)s"), cause=target.breaker.describe())
    return result


def cannot_tell_message(survey: Survey, blind: Sequence[Existence]) -> Reason:
    """Why discovery proves nothing about some paths: "cannot tell", never "nothing found"."""
    parts = []
    by_status: dict[int | None, list[str]] = {}
    for e in blind:
        by_status.setdefault(e.status, []).append(e.path)
    for status, paths in by_status.items():
        seen = Reason.of(N_("got no answer")) if status is None else \
            Reason.of(N_("answered %(status)s to OPTIONS as an unknown path does"), status=status)
        parts.append(Reason.of(N_("discovery cannot tell: %(n)s candidate path(s) %(seen)s (e.g. %(example)s): "
                                  "whatever is behind them is unseen; acknowledge them in [discovery] acknowledged, "
                                  "or let the gate reach the platform without the layer that answers every path "
                                  "alike"), n=len(paths), seen=seen, example=paths[0]))
    if survey.not_asked:
        parts.append(Reason.of(N_("%(n)s candidate path(s) beyond [discovery] max_requests were not asked (e.g. "
                                  "%(example)s)"), n=len(survey.not_asked), example=survey.not_asked[0]))
    return Reason.joined(parts)


def declared_paths(specs: Iterable[object]) -> list[str]:
    """The paths of the profile's `disabled_endpoints` ("POST /api/v1/admin/bootstrap" or "/api/...")."""
    return [str(spec).split()[-1] for spec in specs]
