"""T-60 prod configuration check (the runbook's `verify_prod_env.py`), read from a dotenv file, never the process.

The rules are the profile's `[prod_env]` (ProdEnv; the default is CONTRACT §1's set): which variable each rule reads,
how a list is written, which values mean prod, which secrets and flags. One finding per rule and variable; rule id
(variable): PASS when

- `env_is_prod` (env.var): one of env.values, any case;
- `cors_restricted` (cors.var): a non-empty list (cors.format: a JSON list of strings, a comma list, or either), no
  entry containing `*`, every entry an `https://<host>` origin whose host is not localhost/loopback;
- `psp_key_live:<VAR>` (live_keys): a live key starting with one of its prefixes (`sk_live_`, `rk_live_`) whose rest
  passes the secret heuristics below;
- `secret_present:<VAR>` (secrets): present, in its format (its prefix, e.g. `whsec_`), passing the heuristics;
- `database_url_safe` (database_url.var): a PostgreSQL URL (not sqlite, not another engine), every host (also a
  `host=` query parameter) not localhost / 127.x / ::1 / 0.0.0.0 / a unix socket, and no default password;
- `trusted_proxies_set` (trusted_proxies.var): a non-empty list in its format, not `*`, `0.0.0.0/0`, `::/0`;
- `flag_off:<VAR>` / `flag_on:<VAR>` (flags): explicitly the value the profile requires;
- `git_sha_valid` (git_sha.var): 40 hex characters, not the all-zero null SHA.

Booleans are `1/true/yes/on` and `0/false/no/off` (any case). Fail-closed: a missing flag is a FAIL ("not set"), since
the application's default for it is unknown here; any other text is a FAIL ("not a boolean"). A profile with no rule
at all is a single FAIL: nothing would have been verified.

Secret heuristics (a FAIL names the variable and the cause, never the value nor any fragment of it): empty; a single
repeated character; a known placeholder as the whole value (`changeme`, `changethis`, `secret`, `password`, `test`,
`dev`, `default`, `example`, `none`, ...); a placeholder marker anywhere (`sk_test_`, `pk_test_`, `whsec_test`,
`changeme`, `changethis`, `replace_me`, `your_`, `example`, `placeholder`, `dummy`, `insecure`, `xxxx`, `<`, `${`);
a test word as a whole `_`/`-`/`.`/`:`-separated part (`test`, `dev`, `demo`, `default`, `local`, `mock`, `fake`,
`sample`, `sandbox`, `secret`); shorter than the rule's min_length (not counting its prefix).

A FAIL becomes WAIVED when the register holds a valid waiver naming the variable; an expired waiver keeps it FAIL and
the message says the waiver for <var> (<ticket>) expired on <date>. The file is read with `interpolate=False`, so
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
from cutover_gate.config.profile_schema import EnvList, ProdEnv
from cutover_gate.config.target_profile import load_profile
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason

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

Check = Callable[[str, str | None], Reason | None]
"""A rule's test of the variable's value: the cause of the failure (a sentence naming the variable), or None when the
value passes."""


def default_rules() -> ProdEnv:
    return load_profile(None).prod_env


def rules_of(rules: ProdEnv) -> list[tuple[str, str, Check]]:
    """(rule id, variable, test) of every rule the profile declares, in a fixed order."""
    checks: list[tuple[str, str, Check]] = []
    if rules.env is not None:
        checks.append(("env_is_prod", rules.env.var, _env_check(tuple(v.lower() for v in rules.env.values))))
    if rules.cors is not None:
        checks.append(("cors_restricted", rules.cors.var, _cors_check(rules.cors)))
    checks += [(f"psp_key_live:{var}", var, _live_key_check(key.prefixes, key.min_length))
               for var, key in rules.live_keys.items()]
    checks += [(f"secret_present:{var}", var, _secret_check(rule.prefix, rule.min_length))
               for var, rule in rules.secrets.items()]
    if rules.database_url is not None:
        checks.append(("database_url_safe", rules.database_url.var, _check_database_url))
    if rules.trusted_proxies is not None:
        checks.append(("trusted_proxies_set", rules.trusted_proxies.var, _proxies_check(rules.trusted_proxies)))
    checks += [(f"flag_{'on' if wanted else 'off'}:{var}", var, _flag_check(wanted))
               for var, wanted in rules.flags.items()]
    if rules.git_sha is not None:
        checks.append(("git_sha_valid", rules.git_sha.var, _check_git_sha))
    return checks


def verify_prod_env(env_file: Path, waivers: list[Waiver], today: date, rules: ProdEnv | None = None
                    ) -> list[Finding]:
    """Every rule's finding for the dotenv file, waivers applied. An unreadable file is a single FAIL."""
    env = _read(env_file)
    if env is None:
        return [Finding.of("env_file_readable", str(env_file), Status.FAIL,
                           Reason.of(N_("prod env file %(file)s is missing or cannot be read"), file=env_file))]
    checks = rules_of(rules if rules is not None else default_rules())
    if not checks:
        return [Finding.of("rules_declared", "prod_env", Status.FAIL,
                           Reason.of(N_("the profile's [prod_env] declares no rule: nothing in the prod configuration "
                                        "was verified")))]
    findings = []
    for rule, key, check in checks:
        cause = check(key, env.get(key))
        if cause is None:
            findings.append(Finding.of(rule, key, Status.PASS,
                                       Reason.of(N_("%(key)s is set as prod requires"), key=key)))
        else:
            findings.append(_waive(Finding.of(rule, key, Status.FAIL, cause), waivers, today))
    return findings


def env_git_sha(env_file: Path, rules: ProdEnv | None = None) -> str | None:
    """The git SHA variable of the dotenv file, lower-cased, when it is a full 40-hex SHA; None otherwise."""
    var = (rules if rules is not None else default_rules()).git_sha
    if var is None:
        return None
    value = ((_read(env_file) or {}).get(var.var) or "").strip()
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
        note = Reason.of(N_("%(finding)s; the waiver for %(subject)s (%(ticket)s) expired on %(deadline)s"),
                         finding=finding.cause, subject=finding.subject, ticket=waiver.ticket,
                         deadline=waiver.deadline.isoformat())
        return replace(finding, message=note.text(), reason=note, waiver=waiver.ticket)
    if waiver.owner:
        note = Reason.of(N_("%(finding)s; waived by %(ticket)s until %(deadline)s (owner: %(owner)s)"),
                         finding=finding.cause, ticket=waiver.ticket, deadline=waiver.deadline.isoformat(),
                         owner=waiver.owner)
    else:
        note = Reason.of(N_("%(finding)s; waived by %(ticket)s until %(deadline)s (owner: unnamed)"),
                         finding=finding.cause, ticket=waiver.ticket, deadline=waiver.deadline.isoformat())
    return replace(finding, status=Status.WAIVED, message=note.text(), reason=note, waiver=waiver.ticket)


def _env_check(values: tuple[str, ...]) -> Check:
    def check(key: str, value: str | None) -> Reason | None:
        if not value or not value.strip():
            return _not_set(key)
        if value.strip().lower() in values:
            return None
        return Reason.of(N_("%(key)s is not prod (expected %(values)s)"), key=key, values=" or ".join(values))
    return check


def _not_set(key: str) -> Reason:
    return Reason.of(N_("%(key)s is not set"), key=key)


def _entries(key: str, value: str, form: str) -> list[str] | Reason:
    """The list's entries, or the cause when it is not written in its format."""
    if form != "comma":
        try:
            loaded = json.loads(value)
        except json.JSONDecodeError:
            if form == "json":
                return Reason.of(N_("%(key)s is not a JSON list"), key=key)
        else:
            if isinstance(loaded, list) and all(isinstance(e, str) for e in loaded):
                return [e.strip() for e in loaded]
            if form == "json" or isinstance(loaded, list):
                return Reason.of(N_("%(key)s is not a JSON list of strings"), key=key)
    return [e.strip() for e in value.split(",")]


def _local_host(host: str) -> bool:
    host = unquote(host).strip().strip("[]").lower()
    if not host or host.startswith("/") or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _cors_check(rule: EnvList) -> Check:
    def check(key: str, value: str | None) -> Reason | None:
        if value is None or not value.strip():
            return _not_set(key)
        origins = _entries(key, value, rule.format)
        if isinstance(origins, Reason):
            return origins
        return _cors_cause(key, origins)
    return check


def _cors_cause(key: str, origins: list[str]) -> Reason | None:
    if not origins or not any(origins):
        return Reason.of(N_("%(key)s is an empty list"), key=key)
    causes = []
    for number, origin in enumerate(origins, start=1):
        parts = urlsplit(origin.strip())
        if "*" in origin:
            causes.append(Reason.of(N_("entry %(number)s is a wildcard"), number=number))
        elif parts.scheme != "https" or not parts.hostname:
            causes.append(Reason.of(N_("entry %(number)s is not an https origin"), number=number))
        elif _local_host(parts.hostname):
            causes.append(Reason.of(N_("entry %(number)s is a localhost/loopback origin"), number=number))
    return Reason.of(N_("%(key)s %(causes)s"), key=key, causes=tuple(causes)) if causes else None


def _secret_cause(key: str, value: str | None, minimum: int, prefix: str = "") -> Reason | None:
    if value is None or not value.strip():
        return _missing(key)
    value = value.strip()
    lowered = value.lower()
    body = lowered[len(prefix):] if prefix and lowered.startswith(prefix) else lowered
    if lowered in _PLACEHOLDERS or body in _PLACEHOLDERS or len(set(body)) <= 1:
        return Reason.of(N_("%(key)s is a known placeholder/test value"), key=key)
    if any(marker in lowered for marker in _MARKERS) or _TEST_PARTS & set(re.split(r"[_\-.:]", body)):
        return Reason.of(N_("%(key)s looks like a test/default value"), key=key)
    if len(body) < minimum:
        return Reason.of(N_("%(key)s is shorter than the %(minimum)s-character minimum"), key=key, minimum=minimum)
    return None


def _missing(key: str) -> Reason:
    return Reason.of(N_("%(key)s is missing or empty"), key=key)


def _secret_check(prefix: str, minimum: int) -> Check:
    def check(key: str, value: str | None) -> Reason | None:
        if prefix and value and value.strip() and not value.strip().startswith(prefix):
            return Reason.of(N_("%(key)s is not in its format (a '%(prefix)s' value)"), key=key, prefix=prefix)
        return _secret_cause(key, value, minimum, prefix)
    return check


def _live_key_check(prefixes: list[str], minimum: int) -> Check:
    def check(key: str, value: str | None) -> Reason | None:
        if value is None or not value.strip():
            return _missing(key)
        prefix = next((p for p in prefixes if value.strip().startswith(p)), None)
        if prefix is None:
            return Reason.of(N_("%(key)s is not a live-mode key"), key=key)
        return _secret_cause(key, value, minimum, prefix)
    return check


def _check_database_url(key: str, value: str | None) -> Reason | None:
    if value is None or not value.strip():
        return _missing(key)
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return Reason.of(N_("%(key)s is not a parseable URL"), key=key)
    scheme = parts.scheme.lower().split("+")[0]
    if scheme.startswith("sqlite"):
        return Reason.of(N_("%(key)s points at SQLite, not PostgreSQL"), key=key)
    if scheme not in ("postgres", "postgresql"):
        return Reason.of(N_("%(key)s is not a PostgreSQL URL"), key=key)
    userinfo, _, hostlist = parts.netloc.rpartition("@")
    hosts = [h.split("]")[0] + "]" if h.startswith("[") else h.rsplit(":", 1)[0] for h in hostlist.split(",")]
    hosts += [h for q in parts.query.split("&") if q.startswith("host=") for h in unquote(q[5:]).split(",")]
    if any(_local_host(h) for h in hosts):
        return Reason.of(N_("%(key)s points at a local host (localhost, loopback, unspecified address or unix "
                            "socket)"), key=key)
    password = unquote(userinfo.partition(":")[2]) if ":" in userinfo else None
    if password is not None and password.lower() in _PLACEHOLDERS:
        return Reason.of(N_("%(key)s carries a default/test database password"), key=key)
    return None


def _proxies_check(rule: EnvList) -> Check:
    def check(key: str, value: str | None) -> Reason | None:
        if value is None or not value.strip():
            return _not_set(key)
        entries = _entries(key, value, rule.format)
        if isinstance(entries, Reason):
            return entries
        entries = [e for e in entries if e]
        if not entries:
            return Reason.of(N_("%(key)s is empty"), key=key)
        if any(e in ("*", "0.0.0.0/0", "::/0") for e in entries):
            return Reason.of(N_("%(key)s trusts every address"), key=key)
        return None
    return check


def _flag_check(wanted: bool) -> Check:
    def check(key: str, value: str | None) -> Reason | None:
        if value is None or not value.strip():
            return Reason.of(N_("%(key)s is not set (fail-closed: the default is unknown)"), key=key)
        text = value.strip().lower()
        if text not in _TRUE | _FALSE:
            return Reason.of(N_("%(key)s is not a boolean"), key=key)
        if (text in _TRUE) != wanted:
            return Reason.of(N_("%(key)s must be true in prod"), key=key) if wanted else \
                Reason.of(N_("%(key)s must be false in prod"), key=key)
        return None
    return check


def _check_git_sha(key: str, value: str | None) -> Reason | None:
    if value is None or not value.strip():
        return _not_set(key)
    if not _SHA.fullmatch(value.strip()):
        return Reason.of(N_("%(key)s is not a 40-character hex commit SHA"), key=key)
    if set(value.strip()) == {"0"}:
        return Reason.of(N_("%(key)s is the all-zero placeholder SHA"), key=key)
    return None
