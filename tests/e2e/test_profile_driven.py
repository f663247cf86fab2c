"""CONTRACT §2: "A platform whose paths, field names or state names differ is driven by a profile file alone, with no
code change." Proved against a real platform that differs: the sandbox behind `renaming_proxy` (other paths, JSON
fields, state names, error codes), driven by `fixtures/profiles/renamed-platform.toml` alone, reaches GO over all four
phases; the default profile against the same platform does not.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cutover_gate.core.catalogue import LINES_BY_ID

from .conftest import ROOT, GateRun, Standalone
from .renaming_proxy import RenamingProxy, route, translate_answer, translate_query, translate_request

PROFILE = ROOT / "fixtures" / "profiles" / "renamed-platform.toml"
PHASES = ("t60", "t30", "t15", "t0")


@pytest.fixture
def renamed_platform(standalone_sandbox: Standalone) -> Iterator[tuple[str, Standalone]]:
    """The standalone sandbox, presented as the renamed platform on a loopback proxy; stopped after the test."""
    with RenamingProxy(standalone_sandbox.url) as proxy:
        yield proxy.url, standalone_sandbox


def _run(gate: Callable[..., GateRun], reports: Path, platform: tuple[str, Standalone], *args: str) -> GateRun:
    url, sandbox = platform
    return gate(reports, "--target-url", url, "--env-name", "staging",
                "--cutover-file", str(ROOT / "fixtures" / "cutover.toml"), *args,
                env={**sandbox.env, "CUTOVER_DB_DSN": sandbox.dsn})


def _evidence(run: GateRun, line: str) -> dict[str, Any]:
    return json.loads((run.reports / "evidence" / f"{line}.json").read_text(encoding="utf-8"))


def _results(run: GateRun, phases: tuple[str, ...] = PHASES) -> dict[str, str]:
    """The results of the lines a run of these phases runs (not those that need their tag selected)."""
    return {c["id"]: c["result"] for c in run.decision["checklist"] if c["phase"] in phases
            and not LINES_BY_ID[c["id"]].only_with}


def test_the_proxy_translates_both_ways() -> None:
    assert route("/v2/finance/withdrawals/abc/decision") == ("withdrawal_review",
                                                             "/api/v1/finance/withdrawals/abc/review")
    assert route("/api/v1/auth/login") is None, "the contract's own paths do not exist on the renamed platform"
    tx = {"transaction": {"id": "t1", "type": "withdrawal", "state": "paid", "amount": "5.00"}}
    assert translate_answer("withdraw", tx) == {"payment": {"uid": "t1", "type": "withdrawal", "status": "SETTLED",
                                                            "amount": "5.00"}}
    assert translate_answer("payout_status", {"_id": "t1", "status": "approved", **tx["transaction"]}) == \
        {"withdrawal": {"uid": "t1", "type": "withdrawal", "status": "SETTLED", "amount": "5.00"}}
    assert translate_request("withdrawal_review", {"decision": "APPROVE", "note": "n"}) == \
        {"action": "approve", "reason": "n"}
    assert translate_query("status=PENDING_REVIEW&customer_id=p1") == "state=requested&player_id=p1"


def test_renamed_platform_reaches_go_with_its_profile_alone(gate: Callable[..., GateRun], gate_reports: Path,
                                                            renamed_platform: tuple[str, Standalone]) -> None:
    run = _run(gate, gate_reports, renamed_platform, f"--profile={PROFILE}")
    decision = run.decision
    not_passing = {k: v for k, v in _results(run).items() if v not in ("PASS", "WAIVED")}
    assert decision["decision"] == "GO", (not_passing, run.output[-4000:])
    assert decision["phases"] == dict.fromkeys(PHASES, "PASS")
    assert decision["triggers"] == []
    assert decision["target"] == renamed_platform[0]
    assert run.returncode == 0, run.output[-3000:]
    # it really was the renamed platform the gate talked to, in that platform's own words
    approve = _evidence(run, "t0_admin_approve")
    paid = _evidence(run, "t0_mark_paid")
    text = json.dumps([approve, paid])
    assert "APPROVED" in text and "SETTLED" in text, text[:2000]
    assert "/v2/finance/withdrawals/" in text and "/api/v1/" not in text
    idempotency = _evidence(run, "t0_idempotency")["result"]["evidence"]
    assert idempotency["no_key_answer"] == [400, "IDEMPOTENCY_KEY_MISSING"], idempotency
    assert idempotency["conflict_answer"] == [409, "IDEMPOTENCY_CONFLICT"], idempotency


def test_default_profile_against_renamed_platform_is_not_go(gate: Callable[..., GateRun], gate_reports: Path,
                                                            renamed_platform: tuple[str, Standalone]) -> None:
    run = _run(gate, gate_reports, renamed_platform)
    assert run.decision["decision"] == "NO-GO", run.output[-3000:]
    assert run.returncode != 0
    # every T-15 line fails, naming the contract's path; T-0 then moves no money: its writers are blocked, and only
    # the read-only checks run (the SQL-only ledger invariants hold on the sandbox's schema; the contract's
    # maintenance probe route is not one of this platform's)
    results = {lid: r for lid, r in _results(run, ("t15",)).items() if LINES_BY_ID[lid].mandatory}
    assert set(results.values()) == {"FAIL"}, results
    lines = {c["id"]: c["message"] for c in run.decision["checklist"]}
    for line, path in (("t15_api_health", "/api/health"), ("t15_deploy_completed", "/api/version"),
                       ("t15_migrations_at_head", "/api/readiness"), ("t15_admin_login", "/api/v1/auth/login"),
                       ("t15_admin_auth_enforced", "/api/v1/auth/me")):
        assert path in lines[line] and "404" in lines[line], (line, lines[line])
    t0 = _results(run, ("t0",))
    assert t0.pop("t0_ledger_invariants") == "PASS"
    assert t0.pop("t0_traffic_open") == "FAIL" and "/api/v1/player/wallet/balance answered 404" in \
        lines["t0_traffic_open"]
    assert set(t0.values()) == {"NOT_RUN"}, t0
    for line in ("t0_deposit", "t0_webhook_replay", "t0_idempotency"):
        assert lines[line].startswith("blocked: t15_") and lines[line].endswith(" FAIL"), (line, lines[line])


def _paths_only_profile(tmp_path: Path) -> Path:
    """The renamed platform's paths (and probe paths), but the default's field, state and request names."""
    data = tomllib.loads(PROFILE.read_text(encoding="utf-8"))
    text = "".join(f"[calls.{name}]\npath = {json.dumps(call['path'])}\n\n" for name, call in data["calls"].items())
    text += "[probes]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in data["probes"].items())
    path = tmp_path / "paths-only.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_paths_alone_do_not_drive_the_renamed_platform(gate: Callable[..., GateRun], gate_reports: Path,
                                                       renamed_platform: tuple[str, Standalone],
                                                       tmp_path: Path) -> None:
    run = _run(gate, gate_reports, renamed_platform, f"--profile={_paths_only_profile(tmp_path)}", "-m", "t15")
    assert run.decision["decision"] == "NO-GO", run.output[-3000:]
    lines = {c["id"]: c["message"] for c in run.decision["checklist"] if c["phase"] == "t15"}
    assert "field 'access_token' not found" in lines["t15_admin_login"], lines
    assert "field 'git_sha' not found" in lines["t15_deploy_completed"], lines
    assert "'UP'" in lines["t15_api_health"] and "'healthy'" in lines["t15_api_health"], lines
    assert "field 'alembic.db' not found" in lines["t15_migrations_at_head"], lines
