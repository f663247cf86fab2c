"""Secrets never leave the process in clear: a masked type and a redactor every artifact passes through."""

from __future__ import annotations

import re
from typing import Any

MASK = "***"

SENSITIVE_KEY = re.compile(
    r"(pass(word)?|token|secret|signature|authorization|idempotency|api[_-]?key|hmac|dsn|cookie|debug_code|^code$)",
    re.I,
)
"""Keys whose values are masked wherever they appear (headers, JSON bodies, evidence)."""

_DSN_PASSWORD = re.compile(r"(?P<pre>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]+)(?P<at>@)", re.I)
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_SIG_HEADER = re.compile(r"(?i)\b(v1|t)=[0-9a-f]{16,}")


class Secret:
    """A secret value whose repr and str are masked; `.reveal()` is the only way to read it."""

    __slots__ = ("_value", "name")

    def __init__(self, value: str, name: str) -> None:
        self._value = value
        self.name = name
        REDACTOR.register(value)

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return f"Secret({self.name}={MASK})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self.name))


class Redactor:
    """Masks every registered secret value, DSN passwords, bearer tokens and sensitive keys."""

    def __init__(self) -> None:
        self._values: set[str] = set()

    def register(self, value: str | None) -> None:
        if value and len(value) >= 4:
            self._values.add(value)

    def scrub(self, text: str) -> str:
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, MASK)
        text = _DSN_PASSWORD.sub(lambda m: f"{m.group('pre')}{MASK}{m.group('at')}", text)
        text = _BEARER.sub(lambda m: f"{m.group(1)}{MASK}", text)
        return _SIG_HEADER.sub(lambda m: f"{m.group(1)}={MASK}", text)

    def scrub_obj(self, obj: Any) -> Any:
        """Deep copy of a JSON-like object with sensitive keys masked and strings scrubbed."""
        if isinstance(obj, dict):
            return {k: (MASK if isinstance(k, str) and SENSITIVE_KEY.search(k) and v not in (None, "")
                        else self.scrub_obj(v)) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.scrub_obj(v) for v in obj]
        if isinstance(obj, str):
            return self.scrub(obj)
        if isinstance(obj, Secret):
            return MASK
        return obj


REDACTOR = Redactor()


def redact_dsn(dsn: str) -> str:
    return _DSN_PASSWORD.sub(lambda m: f"{m.group('pre')}{MASK}{m.group('at')}", dsn)
