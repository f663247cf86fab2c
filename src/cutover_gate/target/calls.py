"""Filling a declared call (config/profile_schema.Call) or a webhook payload from the gate's values.

A template is JSON-like: a string that is exactly one placeholder ("{amount_minor}") takes the value itself, with its
type (a number stays a number); a string with other text around placeholders ("cs_gate_{nonce}") is formatted; a
query parameter whose value comes out empty is left out. A placeholder without a value is an error naming it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cutover_gate.core.errors import CheckFailed
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason

_ONE = re.compile(r"^\{([a-z_]+)\}$")
_ANY = re.compile(r"\{([a-z_]+)\}")


def fill(template: Any, values: Mapping[str, Any], what: str | Reason) -> Any:
    if isinstance(template, str):
        whole = _ONE.match(template)
        if whole:
            return _value(whole.group(1), values, what)
        return _ANY.sub(lambda m: str(_value(m.group(1), values, what)), template)
    if isinstance(template, dict):
        return {fill(k, values, what): fill(v, values, what) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values, what) for v in template]
    return template


def _value(name: str, values: Mapping[str, Any], what: str | Reason) -> Any:
    if name not in values:
        raise CheckFailed(N_("%(what)s: the gate has no value for the placeholder {%(name)s}"), what=Reason.label(what),
                          name=name)
    return values[name]


def query_string(template: Mapping[str, str], values: Mapping[str, Any], what: str | Reason
                 ) -> dict[str, str]:
    """The query parameters whose placeholders have a value (the others are left out)."""
    out: dict[str, str] = {}
    for key, raw in template.items():
        names = _ANY.findall(raw)
        if all(values.get(n) not in (None, "") for n in names):
            out[key] = str(fill(raw, values, what))
    return out
