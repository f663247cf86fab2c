"""Secrets never leave the process in clear: a masked type and a redactor every artifact passes through.

Masking keys on what a value *is*, never on a substring of a field name:

- a registered secret's value (every `Secret`, the environment's secrets), wherever it appears;
- a credential by its shape: a bearer token after `Bearer`, a JWT, a DSN's password, a webhook signature, a live
  PSP key;
- a string field that holds a credential, named by its last word (`password`, `access_token`, `Authorization`,
  `X-Webhook-Signature`, `api_key`, ...): `token_type` ("bearer") and `webhook_signature_enforced` stay readable,
  and so does a number or a nested object under such a name;
- a one-time code (`code`, `debug_code`, `otp`) only when the value looks like one: `error_code` stays readable.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"

_SECRET_WORDS = r"password|passwd|passphrase|secret|token|signature|authorization|cookie|dsn|credentials?"
_SECRET_KEY_PAIRS = r"(?:api|hmac|idempotency|secret|private|access|signing)[_\-. ]?key|api[_\-. ]?key|apikey"
SENSITIVE_KEY = re.compile(
    rf"^(?:.*?(?:[_\-. ]|(?<=[a-z0-9])(?=[A-Z])))?(?:(?i:{_SECRET_WORDS})|(?i:{_SECRET_KEY_PAIRS}))$"
)
"""Field and header names that hold a credential, by their last word (`access_token`, `hmacSignature`,
`Idempotency-Key`, `X-Webhook-Signature`); `search` and `match` agree (the pattern is anchored)."""

CODE_KEY = re.compile(r"^(?:.*?(?:[_\-. ]|(?<=[a-z0-9])(?=[A-Z])))?(?i:code|otp|otp[_\-]?hint|pin)$")
"""Names that may hold a one-time code: masked only when the value looks like one (see `_ONE_TIME_CODE`)."""
_ONE_TIME_CODE = re.compile(r"(?=[A-Za-z]*[0-9])[A-Za-z0-9]{4,12}")
_NAMED_CODE = re.compile(
    r"(?i)(?:error|status|http|response|reason|exit|return|country|currency|postal|zip)[_\-. ]?code$")
"""Codes that are never one-time codes (`error_code`, `status_code`, `currency_code`)."""

_DSN_PASSWORD = re.compile(r"(?P<pre>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]+)(?P<at>@)", re.I)
_BEARER = re.compile(r"(?i)(\bbearer\s+)(?:(?=[A-Za-z0-9._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{6,}|[A-Za-z]{20,})")
"""`Bearer <token>`: a token has a digit or a symbol, or is long; "a bearer token" in a sentence is kept."""
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_SIG_HEADER = re.compile(r"(?i)\b(v1|t)=[0-9a-f]{16,}")
_PSP_KEY = re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{8,}|\bwhsec_[A-Za-z0-9+/=]{8,}")


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


def secret_field(key: str, value: Any) -> bool:
    """Whether `key: value` holds a credential. A credential is a string: a mapping or a list under such a name
    (the evidence of the line `t0_webhook_signature`) is scrubbed item by item, a number (the HTTP status of
    `admin_me_without_token`) or a boolean is kept; an empty value holds nothing."""
    if isinstance(value, str) and value and SENSITIVE_KEY.search(key):
        return True
    if not CODE_KEY.search(key) or _NAMED_CODE.search(key) or isinstance(value, bool):
        return False
    return isinstance(value, str | int) and bool(_ONE_TIME_CODE.fullmatch(str(value)))


class Redactor:
    """Masks every registered secret value and every credential recognised by its shape or its field."""

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
        text = _JWT.sub(MASK, text)
        text = _PSP_KEY.sub(MASK, text)
        return _SIG_HEADER.sub(lambda m: f"{m.group(1)}={MASK}", text)

    def scrub_obj(self, obj: Any) -> Any:
        """Deep copy of a JSON-like object with credential fields masked and strings scrubbed."""
        if isinstance(obj, dict):
            return {k: (MASK if isinstance(k, str) and secret_field(k, v) else self.scrub_obj(v))
                    for k, v in obj.items()}
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
