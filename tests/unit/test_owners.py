"""Owners assigned and release pinned (T-60)."""

from __future__ import annotations

import pytest

from cutover_gate.checks.preflight import Status, overall
from cutover_gate.checks.preflight.owners import REQUIRED_ROLES, check_owners, check_release_sha

TEAM = {
    "incident_commander": "Ayşe Yılmaz",
    "deployer": "Mehmet Kaya",
    "db_owner": "Elif Demir",
    "payments_owner": "Can Öztürk",
    "scribe": "Zeynep Arslan",
    "on_call": "Burak Şahin",
}


def test_every_role_assigned_passes() -> None:
    findings = check_owners(TEAM)
    assert [(f.rule, f.subject, f.status) for f in findings] == [
        (f"owner_assigned:{role}", role, Status.PASS) for role in REQUIRED_ROLES
    ]
    assert overall(findings) is Status.PASS


@pytest.mark.parametrize("blank", ["", "   ", "TBD", "todo", "N/A", "__________________", "-", "?", "[Name]", "<name>"])
def test_blank_or_placeholder_role_fails_naming_it(blank: str) -> None:
    findings = check_owners({**TEAM, "db_owner": blank})
    (bad,) = [f for f in findings if f.status is Status.FAIL]
    assert bad.subject == "db_owner" and "db_owner" in bad.message


def test_missing_roles_fail_each() -> None:
    findings = check_owners({"deployer": "Mehmet Kaya"})
    assert {f.subject for f in findings if f.status is Status.FAIL} == set(REQUIRED_ROLES) - {"deployer"}


def test_role_names_are_matched_loosely() -> None:
    owners = {"Incident Commander": "A", "Deployer": "B", "DB Owner": "C", "payments-owner": "D", "Scribe": "E",
              "on-call": "F"}
    assert overall(check_owners(owners)) is Status.PASS
    aliased = {**dict.fromkeys(REQUIRED_ROLES, "x"), "incident_commander": "", "IC": "A"}
    assert overall(check_owners(aliased)) is Status.PASS


def test_findings_name_roles_never_people() -> None:
    text = "\n".join(f"{f!r}{f}" for f in check_owners(TEAM))
    assert not any(person in text for person in TEAM.values())


@pytest.mark.parametrize(
    "value",
    [
        "060f1658c0f32b260ef61eddb625805d5849d8b7",
        "060F1658C0F32B260EF61EDDB625805D5849D8B7",
        "v1.2.3",
        "rc-2026.11.27",
        "release/2026-11-27",
        "  v2.0.0  ",
    ],
)
def test_release_pin_accepted(value: str) -> None:
    finding = check_release_sha(value)
    assert (finding.rule, finding.subject, finding.status) == ("release_pinned", "RELEASE_SHA", Status.PASS)


@pytest.mark.parametrize(
    ("value", "cause"),
    [
        (None, "not set"),
        ("", "not set"),
        ("   ", "not set"),
        ("060f165", "not a full 40-character"),
        ("deadbeef", "not a full 40-character"),
        ("060f1658c0f32b260ef61eddb625805d5849d8b7a", "not a full 40-character"),
        ("v1..2", "not a well-formed git tag"),
        ("v1.2.3.lock", "not a well-formed git tag"),
        ("release/", "not a well-formed git tag"),
        ("-v1", "neither a 40-hex commit SHA nor a well-formed tag"),
        ("v1 2", "neither a 40-hex commit SHA nor a well-formed tag"),
        ("v" + "1" * 128, "neither a 40-hex commit SHA nor a well-formed tag"),
        ("main", "floating"),
        ("HEAD", "floating"),
        ("latest", "floating"),
    ],
)
def test_release_pin_rejected(value: str | None, cause: str) -> None:
    finding = check_release_sha(value)
    assert finding.status is Status.FAIL and cause in finding.message and "RELEASE_SHA" in finding.message
