"""The built-in catalogue of well-known route shapes (`profiles/routes.toml`), and the candidate paths it gives for
one profile: every shape under every API prefix the profile's calls use, `{provider}` filled with PSP names.

Kept as data beside the default profile so that a reader sees exactly what the gate looks for, and a platform adds
its own shapes in its profile's `[discovery]` without a code change.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from cutover_gate.config.target_profile import Profile

_PARAM = re.compile(r"\{([^{}]+)\}")
_PREFIX_SEGMENT = re.compile(r"^(api|v\d+(\.\d+)?)$", re.IGNORECASE)


@dataclass(frozen=True)
class RouteCatalogue:
    seed_shapes: tuple[str, ...]
    strong_words: frozenset[str]
    namespace_words: frozenset[str]
    callback_shapes: tuple[str, ...]
    providers: tuple[str, ...]
    provider_parameters: frozenset[str]
    generic_event: dict[str, Any]


@cache
def catalogue() -> RouteCatalogue:
    data = tomllib.loads(resources.files("cutover_gate.config").joinpath("profiles/routes.toml")
                         .read_text(encoding="utf-8"))
    return RouteCatalogue(
        seed_shapes=tuple(data["seed"]["shapes"]), strong_words=frozenset(data["seed"]["strong_words"]),
        namespace_words=frozenset(data["seed"]["namespace_words"]),
        callback_shapes=tuple(data["callbacks"]["shapes"]), providers=tuple(data["callbacks"]["providers"]),
        provider_parameters=frozenset(data["callbacks"]["provider_parameters"]),
        generic_event=dict(data["generic_event"]))


def parameters(path: str) -> list[str]:
    return _PARAM.findall(path)


INFRASTRUCTURE_CALLS = frozenset({"health", "readiness", "version", "metrics", "openapi"})
"""The gate's calls that are the platform's plumbing, often outside its API prefix (`/api/health`, `/metrics`)."""


def prefixes(profile: Profile) -> list[str]:
    """The API prefixes of the profile's application calls ("/api/v1/auth/login" -> "/api/v1"), longest first, those
    [discovery] prefixes adds, and the root ("")."""
    found: set[str] = {""}
    for name, call in profile.model.calls.items():
        if name in INFRASTRUCTURE_CALLS:
            continue
        parts = [p for p in call.path.split("?")[0].split("/") if p]
        lead = []
        for part in parts[:-1]:
            if not _PREFIX_SEGMENT.match(part):
                break
            lead.append(part)
        found.add("/" + "/".join(lead) if lead else "")
    found.update(p.rstrip("/") for p in profile.model.discovery.prefixes)
    return sorted(found, key=lambda p: (-p.count("/"), p))


def providers(profile: Profile) -> list[str]:
    """PSP names for {provider}: the profile's webhook route names, [discovery] providers, the built-in list."""
    names = [*profile.webhooks.routes, *profile.model.discovery.providers, *catalogue().providers]
    return list(dict.fromkeys(n.lower() for n in names if re.fullmatch(r"[A-Za-z0-9_.-]+", n)))


def fill_parameters(path: str, profile: Profile) -> tuple[list[str], list[str]]:
    """(the concrete paths of `path`, the parameters nothing fills). A PSP-naming parameter takes the providers;
    any other takes [discovery] path_values."""
    values = profile.model.discovery.path_values
    out = [path]
    unfilled: list[str] = []
    for name in dict.fromkeys(parameters(path)):
        bare = name.split(":")[0]
        choices = values.get(bare) or (providers(profile) if bare.lower() in catalogue().provider_parameters else [])
        if not choices:
            unfilled.append(bare)
            continue
        out = [p.replace(f"{{{name}}}", str(v)) for p in out for v in choices]
    return (out if not unfilled else []), unfilled


def _expand(shapes: list[str], profile: Profile) -> list[str]:
    out: list[str] = []
    for shape in shapes:
        under = [shape] if shape.startswith("/") else [f"{p}/{shape}" for p in prefixes(profile)]
        for path in under:
            concrete, _unfilled = fill_parameters(path, profile)
            out += concrete
    return list(dict.fromkeys(out))


def seed_candidates(profile: Profile) -> list[str]:
    d = profile.model.discovery
    shapes = [*(catalogue().seed_shapes if d.catalogue else ()), *d.seed_routes]
    return _expand(shapes, profile)


def callback_candidates(profile: Profile) -> list[str]:
    """The callback shapes' paths, less the profile's own webhook routes (probed as declared)."""
    d = profile.model.discovery
    shapes = [*(catalogue().callback_shapes if d.catalogue else ()), *d.callback_routes]
    declared = {profile.call(r.call).path for r in profile.webhooks.routes.values()}
    return [p for p in _expand(shapes, profile) if p not in declared]


def prefix_of(path: str, profile: Profile) -> str:
    """The longest of the profile's API prefixes `path` is under ("" at worst)."""
    return next((p for p in prefixes(profile) if p and (path == p or path.startswith(p + "/"))), "")


def seed_like(path: str, profile: Profile) -> bool:
    """Whole segments in context: a strong word anywhere ("debug", "seed-data"), or a namespace word as the first
    segment after the API prefix ("/api/v1/test/reset"). "/auth/reset-password" is not seed-like."""
    cat = catalogue()
    rest = path[len(prefix_of(path, profile)):]
    segments = [s.lower() for s in rest.split("/") if s and not s.startswith("{")]
    if any(s in cat.strong_words or re.split(r"[-_.]", s)[0] in cat.strong_words for s in segments):
        return True
    return bool(segments) and segments[0] in cat.namespace_words
