"""Target profiles: every call the gate makes, the platform's states, flows, webhooks, SQL and prod-env rules.

The built-in default profile (`profiles/default.toml`) is CONTRACT §1. A platform that differs is driven by a TOML
file given with `--profile`, merged over the default:

- a table merges key by key into the default's table of the same name, recursively;
- a value or a list replaces the default's;
- `[profile] replace = ["calls.deposit.body", ...]`: the profile's table at that key path replaces the default's whole
  (so a key of the default's can be dropped from a body, a route's payload, ...);
- `[profile] remove = ["invariants.no_negative_balance", "webhooks.routes.adyen", ...]`: the entry is dropped.

The merged profile is validated (profile_schema.py) when loaded: any problem is a usage error listing them all.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from cutover_gate.config import profile_schema as schema
from cutover_gate.core.errors import UsageError


class ProfileError(UsageError):
    """A profile file that cannot be read or is not valid; the message lists every problem with its key path."""


def dig(obj: Any, where: str) -> Any:
    """A field of a JSON value by dotted path (`user.id`, `items.0.id`) or JSON pointer (`/user/id`); KeyError naming
    the missing part."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in where[1:].split("/")] if where.startswith("/") \
        else where.split(".")
    cur = obj
    for part in parts:
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            raise KeyError(f"field '{where}' not found (missing '{part}')")
    return cur


def _merge(base: dict[str, Any], over: dict[str, Any], replace: set[str], prefix: str = "") -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(out.get(key), dict) and path not in replace:
            out[key] = _merge(out[key], value, replace, f"{path}.")
        else:
            out[key] = copy.deepcopy(value)
    return out


def _remove(data: dict[str, Any], path: str) -> str | None:
    """Drop the entry at `path`; the problem when there is none."""
    *parents, last = path.split(".")
    cur: Any = data
    for part in parents:
        cur = cur.get(part) if isinstance(cur, dict) else None
    if not isinstance(cur, dict) or last not in cur:
        return f"profile.remove: '{path}' is not an entry of the merged profile"
    del cur[last]
    return None


def merged(over: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The default profile with `over` merged in, and the problems of its replace/remove lists."""
    meta = over.get("profile", {}) if isinstance(over.get("profile"), dict) else {}
    replace = {str(p) for p in meta.get("replace", [])}
    data = _merge(default_data(), over, replace)
    problems = [f"profile.replace: '{p}' is not a table of the profile" for p in sorted(replace)
                if not isinstance(_at(over, p), dict)]
    problems += [problem for path in meta.get("remove", []) if (problem := _remove(data, str(path)))]
    return data, problems


def _at(data: dict[str, Any], path: str) -> Any:
    cur: Any = data
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return cur


def default_data() -> dict[str, Any]:
    text = resources.files("cutover_gate").joinpath("config/profiles/default.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"cannot read profile {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {path} is not valid TOML: {exc}") from None


def problems_of(path: Path | None) -> tuple[dict[str, Any], list[str]]:
    """The merged profile of `path` (the default when None) and every problem it has."""
    data, problems = merged(read(path)) if path is not None else (default_data(), [])
    _model, found = schema.check(data)
    return data, problems + found


_ERROR_KEYS = {"key_missing": "idempotency_required"}
"""A code case's platform-wide [errors] key, where its name differs."""


@dataclass(frozen=True)
class Profile:
    name: str
    data: dict[str, Any]

    def _get(self, section: str, key: str) -> Any:
        try:
            return self.data[section][key]
        except KeyError:
            raise ProfileError(f"profile '{self.name}' has no [{section}] {key}") from None

    @cached_property
    def model(self) -> schema.ProfileModel:
        return schema.ProfileModel.model_validate(self.data)

    def call(self, name: str) -> schema.Call:
        try:
            return self.model.calls[name]
        except KeyError:
            raise ProfileError(f"profile '{self.name}' has no call '{name}' in [calls]") from None

    def has_call(self, name: str) -> bool:
        return name in self.model.calls

    def path(self, name: str, **params: str) -> str:
        """The path of a call, its {placeholders} filled with `params` (left as they are when not given)."""
        template = self.call(name).path
        for key, value in params.items():
            template = template.replace(f"{{{key}}}", value)
        return template

    def error_paths(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Where an error answer carries its code and its message: [errors] code / message (paths tried in order),
        else the single code_field / detail_field."""
        errors = self.model.errors

        def paths(key: str, single: str) -> tuple[str, ...]:
            listed = errors.get(key)
            if isinstance(listed, list):
                return tuple(listed)
            one = errors.get(single)
            return (str(one),) if one else ()

        return paths("code", "code_field"), paths("message", "detail_field")

    def codes(self, call: str, case: str) -> tuple[str, ...]:
        """The error codes `call` answers for `case` (its own [calls.X.codes], then the platform-wide [errors] ones;
        a signature error: [webhooks] signature_codes)."""
        own = self.call(call).codes.get(case, [])  # type: ignore[call-overload]
        if case == "signature":
            return (*own, *self.webhooks.signature_codes)
        wide = self.model.errors.get(_ERROR_KEYS.get(case, case), [])
        return (*own, *([wide] if isinstance(wide, str) else wide))

    def deposit_call(self, method: str) -> str:
        """The call a deposit of `method` goes through: its own (flows.deposit.calls), else calls.deposit."""
        return self.flows.deposit.calls.get(method, "deposit")

    def settle_call(self) -> str:
        """The call that takes an approved withdrawal to paid: the payout call when it settles in its answer
        (flows.payout = "sync"), else mark-paid (an admin marks it paid)."""
        return "withdrawal_payout" if self.flows.payout == "sync" else "withdrawal_mark_paid"

    def alternate_paths(self) -> list[tuple[str, str]]:
        """(approve call, pay call) of each alternate path of flows.alternates: its own call for the step it
        replaces, the primary for the other."""
        alternates = self.flows.alternates
        reviews, settles = alternates.get("withdrawal_review", []), alternates.get("withdrawal_mark_paid", [])
        return [(reviews[i] if i < len(reviews) else "withdrawal_review",
                 settles[i] if i < len(settles) else self.settle_call())
                for i in range(max(len(reviews), len(settles)))]

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

    @property
    def flows(self) -> schema.Flows:
        return self.model.flows

    @property
    def webhooks(self) -> schema.Webhooks:
        return self.model.webhooks

    @property
    def prod_env(self) -> schema.ProdEnv:
        return self.model.prod_env


def load_profile(path: Path | None) -> Profile:
    """The profile of `path` merged over the default (the default itself when None), validated."""
    data, problems = problems_of(path)
    if problems:
        where = str(path) if path is not None else "the built-in default profile"
        raise ProfileError(f"profile {where} is invalid: " + "; ".join(problems))
    name = str(data.get("profile", {}).get("name") or (Path(path).stem if path is not None else "default"))
    return Profile(name, data)
