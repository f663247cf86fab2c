"""T-60 prod configuration check (the runbook's `verify_prod_env.py`), read from a dotenv file, never the process.

One finding per rule and key; rule id (key): PASS when

- `env_is_prod` (ENV): `prod` or `production`, any case;
- `cors_restricted` (CORS_ORIGINS): a non-empty JSON list of strings, no entry containing `*`, every entry an
  `https://<host>` origin whose host is not localhost/loopback;
- `psp_key_live:STRIPE_API_KEY`: a live secret key (`sk_live_…`, or a restricted `rk_live_…`) passing the secret
  heuristics below;
- `secret_present:<KEY>` for STRIPE_WEBHOOK_SECRET (`whsec_…`), ADYEN_API_KEY, ADYEN_HMAC_KEY, WEBHOOK_SECRET,
  JWT_SECRET: present and passing the secret heuristics;
- `database_url_safe` (DATABASE_URL): a PostgreSQL URL (not sqlite, not another engine), every host (also a `host=`
  query parameter) not localhost / 127.x / ::1 / 0.0.0.0 / a unix socket, and no default password (`postgres`, ...);
- `trusted_proxies_set` (TRUSTED_PROXIES): non-empty (JSON list or comma-separated), not `*`, `0.0.0.0/0`, `::/0`;
- `flag_off:<KEY>` for BOOTSTRAP_ENABLED, MOCK_EXTERNAL_SERVICES, KYC_MOCK_ENABLED, ALLOW_TEST_PAYMENT_METHODS:
  explicitly false; `flag_on:WEBHOOK_SIGNATURE_ENFORCED`: explicitly true;
- `git_sha_valid` (GIT_SHA): 40 hex characters, not the all-zero null SHA.

Booleans are `1/true/yes/on` and `0/false/no/off` (any case). Fail-closed: a missing flag is a FAIL ("not set"), since
the application's default for it is unknown here; any other text is a FAIL ("not a boolean").

Secret heuristics (a FAIL names the key and the cause, never the value nor any fragment of it): empty; a single
repeated character; a known placeholder as the whole value (`changeme`, `changethis`, `secret`, `password`, `test`,
`dev`, `default`, `example`, `none`, ...); a placeholder marker anywhere (`sk_test_`, `pk_test_`, `whsec_test`,
`changeme`, `changethis`, `replace_me`, `your_`, `example`, `placeholder`, `dummy`, `insecure`, `xxxx`, `<`, `${`);
a test word as a whole `_`/`-`/`.`/`:`-separated part (`test`, `dev`, `demo`, `default`, `local`, `mock`, `fake`,
`sample`, `sandbox`, `secret`); shorter than the minimum: 32 characters for JWT_SECRET (HS256 wants a 256-bit key,
RFC 7518 §3.2), 16 for every other secret (not counting a Stripe prefix).

A FAIL becomes WAIVED when the register holds a valid waiver naming the key; an expired waiver keeps it FAIL and the
message says the waiver for <key> (<ticket>) expired on <date>. The file is read with `interpolate=False`, so
`${VAR}` is never expanded from the process environment.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

from dotenv import dotenv_values

from cutover_gate.checks.preflight import Finding, Status
from cutover_gate.checks.preflight.waivers import Waiver, find_waiver

SECRET_KEYS: tuple[str, ...] = ("STRIPE_WEBHOOK_SECRET", "ADYEN_API_KEY", "ADYEN_HMAC_KEY", "WEBHOOK_SECRET",
                                "JWT_SECRET")
FLAGS_OFF: tuple[str, ...] = ("BOOTSTRAP_ENABLED", "MOCK_EXTERNAL_SERVICES", "KYC_MOCK_ENABLED",
                              "ALLOW_TEST_PAYMENT_METHODS")
FLAGS_ON: tuple[str, ...] = ("WEBHOOK_SIGNATURE_ENFORCED",)
MIN_LENGTH: dict[str, int] = {"JWT_SECRET": 32}
DEFAULT_MIN_LENGTH = 16

_PLACEHOLDERS = frozenset({"changeme", "change_me", "change-me", "changethis", "secret", "password", "passw0rd",
                           "test", "testing", "dev", "development", "default", "example", "sample", "none", "null",
                           "todo", "tbd", "dummy", "fake", "mock", "xxx", "admin", "postgres", "root", "123456",
                           "12345678"})
_MARKERS = ("sk_test_", "pk_test_", "rk_test_", "whsec_test", "changeme", "change_me", "change-me", "changethis",
            "replace_me", "replaceme", "your_", "your-", "example", "placeholder", "dummy", "insecure", "xxxx", "<",
            "${")
_TEST_PARTS = frozenset({"test", "dev", "demo", "default", "local", "mock", "fake", "sample", "sandbox", "secret"})
_TRUE, _FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})
_SHA = re.compile(r"[0-9a-fA-F]{40}")

Check = Callable[[str | None], str | None]
"""A rule's test: the cause of the failure as an English phrase, or None when the value passes."""


def verify_prod_env(env_file: Path, waivers: list[Waiver], today: date) -> list[Finding]:
    """Every rule's finding for the dotenv file, waivers applied. An unreadable file is a single FAIL."""
    env = _read(env_file)
    if env is None:
        return [Finding("env_file_readable", str(env_file), Status.FAIL,
                        f"prod env file {env_file} is missing or cannot be read")]
    checks: list[tuple[str, str, Check]] = [
        ("env_is_prod", "ENV", _check_env),
        ("cors_restricted", "CORS_ORIGINS", _check_cors),
        ("psp_key_live:STRIPE_API_KEY", "STRIPE_API_KEY", _check_stripe_key),
        *((f"secret_present:{key}", key, _secret_check(key)) for key in SECRET_KEYS),
        ("database_url_safe", "DATABASE_URL", _check_database_url),
        ("trusted_proxies_set", "TRUSTED_PROXIES", _check_proxies),
        *((f"flag_off:{key}", key, _flag_check(False)) for key in FLAGS_OFF),
        *((f"flag_on:{key}", key, _flag_check(True)) for key in FLAGS_ON),
        ("git_sha_valid", "GIT_SHA", _check_git_sha),
    ]
    findings = []
    for rule, key, check in checks:
        cause = check(env.get(key))
        if cause is None:
            findings.append(Finding(rule, key, Status.PASS, f"{key} is set as prod requires"))
        else:
            findings.append(_waive(Finding(rule, key, Status.FAIL, f"{key} {cause}"), waivers, today))
    return findings


def env_git_sha(env_file: Path) -> str | None:
    """GIT_SHA of the dotenv file, lower-cased, when it is a full 40-hex SHA; None otherwise."""
    value = ((_read(env_file) or {}).get("GIT_SHA") or "").strip()
    return value.lower() if _SHA.fullmatch(value) else None


def _read(env_file: Path) -> dict[str, str | None] | None:
    try:
        if not env_file.is_file():
            return None
        env_file.read_bytes().decode("utf-8")
        return dict(dotenv_values(env_file, interpolate=False, encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def _waive(finding: Finding, waivers: list[Waiver], today: date) -> Finding:
    waiver, expired = find_waiver(waivers, finding.subject, today)
    if waiver is None:
        return finding
    if expired:
        note = f"; the waiver for {finding.subject} ({waiver.ticket}) expired on {waiver.deadline.isoformat()}"
        return replace(finding, message=finding.message + note, waiver=waiver.ticket)
    note = f"; waived by {waiver.ticket} until {waiver.deadline.isoformat()} (owner: {waiver.owner or 'unnamed'})"
    return replace(finding, status=Status.WAIVED, message=finding.message + note, waiver=waiver.ticket)


def _check_env(value: str | None) -> str | None:
    if not value or not value.strip():
        return "is not set"
    return None if value.strip().lower() in ("prod", "production") else "is not prod (expected prod or production)"


def _local_host(host: str) -> bool:
    host = unquote(host).strip().strip("[]").lower()
    if not host or host.startswith("/") or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _check_cors(value: str | None) -> str | None:
    if value is None or not value.strip():
        return "is not set"
    try:
        origins = json.loads(value)
    except json.JSONDecodeError:
        return "is not a JSON list"
    if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
        return "is not a JSON list of strings"
    if not origins:
        return "is an empty list"
    causes = []
    for number, origin in enumerate(origins, start=1):
        parts = urlsplit(origin.strip())
        if "*" in origin:
            causes.append(f"entry {number} is a wildcard")
        elif parts.scheme != "https" or not parts.hostname:
            causes.append(f"entry {number} is not an https origin")
        elif _local_host(parts.hostname):
            causes.append(f"entry {number} is a localhost/loopback origin")
    return "; ".join(causes) or None


def _secret_cause(key: str, value: str | None, prefix: str = "") -> str | None:
    if value is None or not value.strip():
        return "is missing or empty"
    value = value.strip()
    lowered = value.lower()
    body = lowered[len(prefix):] if prefix and lowered.startswith(prefix) else lowered
    if lowered in _PLACEHOLDERS or body in _PLACEHOLDERS or len(set(body)) <= 1:
        return "is a known placeholder/test value"
    if any(marker in lowered for marker in _MARKERS) or _TEST_PARTS & set(re.split(r"[_\-.:]", body)):
        return "looks like a test/default value"
    minimum = MIN_LENGTH.get(key, DEFAULT_MIN_LENGTH)
    if len(body) < minimum:
        return f"is shorter than the {minimum}-character minimum"
    return None


def _secret_check(key: str) -> Check:
    def check(value: str | None) -> str | None:
        if key == "STRIPE_WEBHOOK_SECRET" and value and value.strip() and not value.strip().startswith("whsec_"):
            return "is not in the Stripe webhook-signing-secret format"
        return _secret_cause(key, value, "whsec_" if key == "STRIPE_WEBHOOK_SECRET" else "")
    return check


def _check_stripe_key(value: str | None) -> str | None:
    if value is None or not value.strip():
        return "is missing or empty"
    prefix = next((p for p in ("sk_live_", "rk_live_") if value.strip().startswith(p)), None)
    if prefix is None:
        return "is not a live-mode Stripe secret key"
    return _secret_cause("STRIPE_API_KEY", value, prefix)


def _check_database_url(value: str | None) -> str | None:
    if value is None or not value.strip():
        return "is missing or empty"
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return "is not a parseable URL"
    scheme = parts.scheme.lower().split("+")[0]
    if scheme.startswith("sqlite"):
        return "points at SQLite, not PostgreSQL"
    if scheme not in ("postgres", "postgresql"):
        return "is not a PostgreSQL URL"
    userinfo, _, hostlist = parts.netloc.rpartition("@")
    hosts = [h.split("]")[0] + "]" if h.startswith("[") else h.rsplit(":", 1)[0] for h in hostlist.split(",")]
    hosts += [h for q in parts.query.split("&") if q.startswith("host=") for h in unquote(q[5:]).split(",")]
    if any(_local_host(h) for h in hosts):
        return "points at a local host (localhost, loopback, unspecified address or unix socket)"
    password = unquote(userinfo.partition(":")[2]) if ":" in userinfo else None
    if password is not None and password.lower() in _PLACEHOLDERS:
        return "carries a default/test database password"
    return None


def _check_proxies(value: str | None) -> str | None:
    if value is None or not value.strip():
        return "is not set"
    try:
        loaded = json.loads(value)
        entries = [str(e).strip() for e in loaded] if isinstance(loaded, list) else [str(loaded).strip()]
    except json.JSONDecodeError:
        entries = [e.strip() for e in value.split(",")]
    entries = [e for e in entries if e]
    if not entries:
        return "is empty"
    if any(e in ("*", "0.0.0.0/0", "::/0") for e in entries):
        return "trusts every address"
    return None


def _flag_check(wanted: bool) -> Check:
    def check(value: str | None) -> str | None:
        if value is None or not value.strip():
            return "is not set (fail-closed: the default is unknown)"
        text = value.strip().lower()
        if text not in _TRUE | _FALSE:
            return "is not a boolean"
        if (text in _TRUE) != wanted:
            return f"must be {'true' if wanted else 'false'} in prod"
        return None
    return check


def _check_git_sha(value: str | None) -> str | None:
    if value is None or not value.strip():
        return "is not set"
    if not _SHA.fullmatch(value.strip()):
        return "is not a 40-character hex commit SHA"
    return "is the all-zero placeholder SHA" if set(value.strip()) == {"0"} else None
