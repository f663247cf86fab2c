"""T-60 release pin and owners (the runbook's war-room roles and the "Owners assigned" checklist line).

`check_owners` wants every role of `REQUIRED_ROLES` assigned to a non-blank name. Role keys are matched loosely
(`Incident Commander`, `incident-commander`, `IC`, `on-call` all work); a blank value or a template placeholder
(`____`, `TBD`, `TODO`, `N/A`, `-`, `?`, `[Name]`, `<name>`) counts as not assigned. Findings name the role, never the
person.

`check_release_sha` wants a pin: a full 40-hex commit SHA (either case) or a tag/ref matching
`[A-Za-z0-9][A-Za-z0-9._/-]{0,127}` under git's ref rules (no `..`, `//`, `@{`, no trailing `/`, `.` or `.lock`).
A hex-only string of any other length is an abbreviated SHA, not a pin; a floating ref (`HEAD`, `main`, `master`,
`latest`, ...) is not a pin either.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from cutover_gate.checks.preflight import Finding, Status
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason

REQUIRED_ROLES: tuple[str, ...] = ("incident_commander", "deployer", "db_owner", "payments_owner", "scribe", "on_call")

ROLE_ALIASES: dict[str, str] = {
    "ic": "incident_commander",
    "commander": "incident_commander",
    "deploy": "deployer",
    "db": "db_owner",
    "dba": "db_owner",
    "database_owner": "db_owner",
    "payments": "payments_owner",
    "payment_owner": "payments_owner",
    "oncall": "on_call",
}

_PLACEHOLDER = re.compile(r"^(?:[_\-?.\s]*|tbd|todo|n/?a|none|null|\[[^\]]*\]|<[^>]*>)$", re.IGNORECASE)
_HEX = re.compile(r"[0-9a-fA-F]+")
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,127}")
_FLOATING = frozenset({"head", "main", "master", "develop", "trunk", "latest", "stable", "release", "prod"})


def normalise_role(name: str) -> str:
    key = re.sub(r"[\s\-/]+", "_", name.strip().lower())
    return ROLE_ALIASES.get(key, key)


def check_owners(owners: Mapping[str, str | None]) -> list[Finding]:
    """One finding per required role: PASS when assigned to a non-blank, non-placeholder name."""
    assigned: dict[str, str] = {}
    for role, person in owners.items():
        text = "" if person is None else str(person).strip()
        key = normalise_role(role)
        if text and not _PLACEHOLDER.fullmatch(text):
            assigned.setdefault(key, text)
    findings = []
    for role in REQUIRED_ROLES:
        if role in assigned:
            findings.append(Finding.of(f"owner_assigned:{role}", role, Status.PASS,
                                       Reason.of(N_("%(role)s is assigned"), role=role)))
        else:
            findings.append(Finding.of(f"owner_assigned:{role}", role, Status.FAIL,
                                       Reason.of(N_("%(role)s is not assigned (missing, blank or a placeholder)"),
                                                 role=role)))
    return findings


def release_pin_problem(value: str | None) -> Reason | None:
    """Why `value` is not a release pin (the sentence about RELEASE_SHA), or None when it is one."""
    text = (value or "").strip()
    if not text:
        return Reason.of(N_("RELEASE_SHA is not set"))
    if _HEX.fullmatch(text):
        return None if len(text) == 40 else \
            Reason.of(N_("RELEASE_SHA is a hex string that is not a full 40-character commit SHA"))
    if not _REF.fullmatch(text):
        return Reason.of(N_("RELEASE_SHA is neither a 40-hex commit SHA nor a well-formed tag"))
    if ".." in text or "//" in text or "@{" in text or text.endswith(("/", ".", ".lock")):
        return Reason.of(N_("RELEASE_SHA is not a well-formed git tag"))
    if text.lower() in _FLOATING:
        return Reason.of(N_("RELEASE_SHA is a floating branch/ref, not a pinned release"))
    return None


def check_release_sha(value: str | None) -> Finding:
    """PASS for a 40-hex SHA or a well-formed tag; FAIL when missing or malformed."""
    problem = release_pin_problem(value)
    if problem is None:
        pinned = Reason.of(N_("RELEASE_SHA is pinned to a commit SHA")) if _HEX.fullmatch((value or "").strip()) \
            else Reason.of(N_("RELEASE_SHA is pinned to a tag"))
        return Finding.of("release_pinned", "RELEASE_SHA", Status.PASS, pinned)
    return Finding.of("release_pinned", "RELEASE_SHA", Status.FAIL, problem)
