"""Routes nobody declared, and whether a route is mounted, found without acting on anything.

- `documented_routes`: the paths and methods of the target's OpenAPI document (FastAPI serves `/openapi.json` unless
  disabled); None when the target serves none.
- `matching`: the routes whose path has a word of a list as one of its parts (`/api/v1/debug/reset-wallets` has
  `debug` and `reset`), for webhook-like routes (webhook, callback, notify) and seed-like ones (seed, bootstrap,
  reset, test, debug, ci).
- `existence`: whether a route is mounted, asked with a request it cannot act on: OPTIONS without a body. 404/410 is
  absent and 405 mounted; an answer equal to that of a path that cannot exist (a control) is absent too, since the
  platform answers it before routing; anything else is mounted or cannot be told apart, and counts as mounted.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cutover_gate.core.errors import CheckFailed
from cutover_gate.target.client import Response, TargetClient


@dataclass(frozen=True)
class Route:
    path: str
    methods: tuple[str, ...]

    @property
    def parameters(self) -> list[str]:
        return re.findall(r"\{([^}]+)\}", self.path)


def documented_routes(target: TargetClient) -> tuple[list[Route] | None, str]:
    """(routes, how they were found): the OpenAPI document's paths, or None with the reason there are none."""
    path = target.profile.call("openapi").path
    resp = target.call("openapi")
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
    status: int
    mounted: bool
    why: str


def existence(target: TargetClient, path: str, control: Response) -> Existence:
    """Is `path` mounted? One OPTIONS without a body; `control` is the answer to a path that cannot exist."""
    resp = target.options(path)
    status = resp.status
    if status in (404, 410):
        return Existence(path, status, False, f"answered {status}: absent")
    if status == 405:
        return Existence(path, status, True, "answered 405: mounted (it serves other methods)")
    if status == control.status and not 200 <= status < 300:
        return Existence(path, status, False, f"answered {status} as an unknown path does: absent")
    allow = resp.headers.get("Allow", "")
    return Existence(path, status, True, f"answered {status}" + (f" (Allow: {allow})" if allow else "")
                     + f", unlike an unknown path ({control.status}): mounted")


def control_answer(target: TargetClient) -> Response:
    """The answer to OPTIONS on a path that cannot exist on any platform."""
    return target.options(f"/cutover-gate-control-{uuid.uuid4().hex[:12]}")


def declared_paths(specs: Iterable[Any]) -> list[str]:
    """The paths of the profile's `disabled_endpoints` ("POST /api/v1/admin/bootstrap" or "/api/...")."""
    return [str(spec).split()[-1] for spec in specs]
