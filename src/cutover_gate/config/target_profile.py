"""Target profiles: where a platform keeps its routes, fields, state names and SQL.

The built-in default profile is CONTRACT §1. A platform whose paths, field names or state names differ is driven by a
TOML file given with `--profile`, deep-merged over the default: no code change.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from cutover_gate.core.errors import UsageError


class ProfileError(UsageError):
    """A profile file that cannot be read or lacks a key a check needs."""


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def dig(obj: Any, dotted: str) -> Any:
    """`dig({"user": {"id": 1}}, "user.id") == 1`; KeyError naming the missing part."""
    cur = obj
    for part in dotted.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            raise KeyError(f"field '{dotted}' not found (missing '{part}')")
    return cur


@dataclass(frozen=True)
class Profile:
    name: str
    data: dict[str, Any]

    def _get(self, section: str, key: str) -> Any:
        try:
            return self.data[section][key]
        except KeyError:
            raise ProfileError(f"profile '{self.name}' has no [{section}] {key}") from None

    def path(self, key: str, **params: str) -> str:
        return str(self._get("paths", key)).format(**params)

    def field(self, key: str) -> str:
        return str(self._get("fields", key))

    def state(self, key: str) -> str:
        return str(self._get("states", key))

    def states(self, key: str) -> tuple[str, ...]:
        value = self._get("states", key)
        return tuple(value) if isinstance(value, list) else (str(value),)

    def sql(self, key: str) -> str:
        return str(self._get("sql", key))

    def invariants(self) -> dict[str, str]:
        return dict(self.data.get("invariants", {}))

    def probe(self, key: str) -> Any:
        return self._get("probes", key)

    def value(self, section: str, key: str) -> Any:
        return self._get(section, key)


def _default_data() -> dict[str, Any]:
    text = resources.files("cutover_gate").joinpath("config/profiles/default.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def load_profile(path: Path | None) -> Profile:
    base = _default_data()
    if path is None:
        return Profile("default", base)
    try:
        over = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"cannot read profile {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {path} is not valid TOML: {exc}") from None
    return Profile(Path(path).stem, _deep_merge(base, over))
