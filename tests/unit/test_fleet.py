"""A cutover of several targets, without running any: the arguments and environment each target's run gets, the
cutover file as each target sees it, and how the decisions combine."""

from __future__ import annotations

from pathlib import Path

import pytest

from cutover_gate.config.cutover_file import TargetEntry, load_cutover
from cutover_gate.core.errors import UsageError
from cutover_gate.fleet import forwarded, target_env


def test_forwarded_keeps_the_selection_and_drops_what_each_target_gets_its_own() -> None:
    args = ["-m", "t0", "-n", "2", "--lang=tr", "--reports-dir", "r", "--cutover-file=c.toml", "-n4", "--dist=load",
            "-k", "money", "--profile", "p.toml", "--env-name=staging", "--html=x.html", "--self-contained-html"]
    assert forwarded(args) == ["-m", "t0", "--lang=tr", "-k", "money", "--env-name=staging"]


def test_a_prefixed_target_gets_its_own_secrets_and_no_other_targets() -> None:
    base = {"CUTOVER_ADMIN_PASSWORD": "shared-pass", "EU_CUTOVER_ADMIN_PASSWORD": "eu-pass",
            "EU_CUTOVER_DB_DSN": "postgresql://eu", "CUTOVER_WEBHOOK_SECRET": "shared-hook", "PATH": "/bin",
            "CUTOVER_EXECUTOR": "ops", "PYTEST_XDIST_WORKER": "gw0", "CUTOVER_TARGET_URL": "http://127.0.0.1:1"}
    env = target_env(TargetEntry(url="http://127.0.0.1:9", env_prefix="EU_"), "eu", base)
    assert env["CUTOVER_ADMIN_PASSWORD"] == "eu-pass" and env["CUTOVER_DB_DSN"] == "postgresql://eu"
    assert "CUTOVER_WEBHOOK_SECRET" not in env, "another target's secret reached this one"
    assert env["PATH"] == "/bin" and env["CUTOVER_EXECUTOR"] == "ops" and env["CUTOVER_FLEET_TARGET"] == "eu"
    assert "PYTEST_XDIST_WORKER" not in env and "CUTOVER_TARGET_URL" not in env
    assert env["CUTOVER_SANDBOX_FAULTS"] == ""


def test_an_unprefixed_embedded_target_inherits_the_environment_and_boots_with_its_faults() -> None:
    env = target_env(TargetEntry(sandbox_faults=["approve_noop", "cors_wildcard"]), "tr",
                     {"CUTOVER_ADMIN_PASSWORD": "p", "CUTOVER_SANDBOX_FAULTS": "ledger_unbalanced"})
    assert env["CUTOVER_ADMIN_PASSWORD"] == "p"
    assert env["CUTOVER_SANDBOX_FAULTS"] == "approve_noop,cors_wildcard"


FILE = '''
[release]
sha = "060f1658c0f32b260ef61eddb625805d5849d8b7"

[canary]
deposit_amount = "10"
max_amount = "10"

[targets.eu]
url = "https://eu.pay.invalid"

[targets.tr]
profile = "tr.toml"
[targets.tr.canary]
deposit_amount = "8"
tenant_id = "casino-tr"
'''


def test_each_target_sees_the_file_with_its_own_sections_merged(tmp_path: Path) -> None:
    path = tmp_path / "cutover.toml"
    path.write_text(FILE, encoding="utf-8")
    whole = load_cutover(path)
    assert list(whole.targets) == ["eu", "tr"] and whole.targets["eu"].url == "https://eu.pay.invalid"
    tr = load_cutover(path, "tr")
    assert not tr.targets and str(tr.canary.deposit_amount) == "8" and tr.canary.tenant_id == "casino-tr"
    assert str(tr.canary.max_amount) == "10" and tr.release.sha == whole.release.sha
    assert str(load_cutover(path, "eu").canary.deposit_amount) == "10"
    with pytest.raises(UsageError, match="lists no target 'us'"):
        load_cutover(path, "us")


def test_a_problem_of_any_target_stops_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "cutover.toml"
    path.write_text(FILE + '\n[targets.eu.canary]\ndeposit_amount = "ten"\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"\(target eu\) is invalid: canary.deposit_amount: not a decimal"):
        load_cutover(path)
    path.write_text(FILE + '\n[targets.us]\nurl = "https://us.pay.invalid"\nsurprise = 1\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"targets\.us\.surprise: unknown key"):
        load_cutover(path)
