"""Profiles: the default is the contract; a TOML file merges over it, can replace or remove any entry; the merged
profile is validated, every problem listed with its key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from cutover_gate.config.target_profile import Profile, ProfileError, dig, load_profile, problems_of


def write(tmp_path: Path, text: str, name: str = "acme.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_default_profile_is_the_contract() -> None:
    profile = load_profile(None)
    assert profile.name == "default"
    assert profile.path("health") == "/api/health"
    assert profile.path("payout_status", tx_id="tx-9") == "/api/v1/payouts/status/tx-9"
    assert profile.call("player_login").answer["player_id"] == "user.id"
    assert profile.call("deposit").idempotent and profile.call("deposit").auth == "player"
    assert profile.state("withdraw_paid") == "paid"
    assert profile.states("deposit_failed") == ("failed", "canceled", "rejected")
    assert profile.states("withdraw_paid") == ("paid",)
    assert set(profile.webhooks.routes) == {"payout", "adyen", "stripe"}
    assert profile.flows.deposit.methods["card"] == "webhook" and profile.flows.kyc.mode == "call"


def test_a_profile_file_merges_over_the_default(tmp_path: Path) -> None:
    path = write(tmp_path, '[calls.health]\npath = "/healthz"\n\n[states]\nwithdraw_paid = "settled"\n\n'
                           '[calls.deposit.body]\nchannel = "{method}"\n')
    profile = load_profile(path)
    assert profile.name == "acme"
    assert profile.path("health") == "/healthz"
    assert profile.call("health").answer == {"status": "status"}  # the rest of the call stays
    assert profile.path("readiness") == "/api/readiness"
    assert profile.state("withdraw_paid") == "settled"
    assert profile.state("withdraw_approved") == "approved"
    assert profile.call("deposit").body == {"amount": "{amount}", "method": "{method}", "channel": "{method}"}
    assert load_profile(None).path("health") == "/api/health"  # the default is not changed


def test_replace_swaps_a_whole_table_and_remove_drops_entries(tmp_path: Path) -> None:
    path = write(tmp_path, '[profile]\nreplace = ["calls.deposit.body"]\n'
                           'remove = ["invariants.no_negative_balance", "webhooks.routes.adyen"]\n\n'
                           '[calls.deposit.body]\nvalue = "{amount}"\n')
    profile = load_profile(path)
    assert profile.call("deposit").body == {"value": "{amount}"}  # the default's keys are gone
    assert "no_negative_balance" not in profile.invariants() and "movement_balanced" in profile.invariants()
    assert set(profile.webhooks.routes) == {"payout", "stripe"}


def test_every_problem_is_listed_with_its_key_path(tmp_path: Path) -> None:
    path = write(tmp_path, '[profile]\nremove = ["calls.deposit", "calls.nowhere"]\nreplace = ["states.x"]\n\n'
                           '[calls.withdraw]\nbody = { amount = "{amonut}" }\nmethod = "FETCH"\n\n'
                           '[webhooks.routes.payout]\nscheme = "rsa"\n\n'
                           '[webhooks.routes.psp2]\ncall = "webhook_psp2"\nscheme = "none"\nsecret = "S"\n'
                           'completes = "deposit"\npayload = { ref = "{txid}" }\n\n[surprise]\nkey = 1\n')
    _data, problems = problems_of(path)
    text = "\n".join(problems)
    for expected in ("profile.remove: 'calls.nowhere' is not an entry", "profile.replace: 'states.x' is not a table",
                     "calls.withdraw.method: not one of the allowed values", "webhooks.routes.payout.scheme: not one",
                     "surprise: unknown key"):
        assert expected in text, text
    with pytest.raises(ProfileError, match=r"is invalid: .*surprise: unknown key"):
        load_profile(path)


def test_a_missing_call_and_unknown_placeholders_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[profile]\nremove = ["calls.deposit"]\n\n[calls.withdraw.body]\namount = "{amonut}"\n\n'
                           '[webhooks.routes.psp2]\ncall = "webhook_psp2"\nscheme = "none"\nsecret = "S"\n'
                           'completes = "deposit"\npayload = { ref = "{txid}" }\n')
    _data, problems = problems_of(path)
    assert "calls.deposit: missing (the gate makes this call)" in problems
    assert "calls.withdraw: unknown placeholder {amonut}" in problems
    assert "webhooks.routes.psp2.call: no call 'webhook_psp2' in [calls]" in problems
    assert "webhooks.routes.psp2.payload: unknown placeholder {txid}" in problems
    assert any(p.startswith("webhooks.routes.psp2.deposit_method: missing") for p in problems)


def test_flows_decide_which_calls_are_needed(tmp_path: Path) -> None:
    path = write(tmp_path, '[profile]\nremove = ["calls.kyc_review", "calls.verify_sms_send"]\n\n'
                           '[flows.kyc]\nmode = "none"\n')
    _data, problems = problems_of(path)
    assert problems == ["flows.verification.channels.sms: no call 'verify_sms_send' in [calls]"]


def test_a_missing_key_names_the_profile_section_and_key(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, ""))
    with pytest.raises(ProfileError, match=r"profile 'acme' has no call 'nowhere' in \[calls\]"):
        profile.path("nowhere")
    with pytest.raises(ProfileError, match=r"has no \[nosection\] key"):
        profile.value("nosection", "key")


def test_bad_toml_is_a_profile_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[paths\nhealth = ", "bad.toml")
    with pytest.raises(ProfileError, match=r"bad\.toml is not valid TOML"):
        load_profile(path)


def test_an_unreadable_profile_is_a_profile_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read profile"):
        load_profile(tmp_path / "absent.toml")


def test_dig_follows_dotted_paths_json_pointers_and_names_the_missing_part() -> None:
    body = {"user": {"id": 7, "wallet": {"available_real": "10.00"}}, "items": [{"id": "a/b"}]}
    assert dig(body, "user.id") == 7
    assert dig(body, "user.wallet.available_real") == "10.00"
    assert dig(body, "/user/wallet/available_real") == "10.00" and dig(body, "items.0.id") == "a/b"
    with pytest.raises(KeyError, match=r"field 'user.wallet.held_real' not found \(missing 'held_real'\)"):
        dig(body, "user.wallet.held_real")
    with pytest.raises(KeyError, match="missing 'id'"):
        dig({"user": "not-a-dict"}, "user.id")


def test_invariants_and_probes_come_from_the_profile() -> None:
    profile = Profile("p", {"invariants": {"a": "select 1"}, "probes": {"x": [1, 2]}})
    assert profile.invariants() == {"a": "select 1"}
    assert profile.probe("x") == [1, 2]
    assert Profile("q", {}).invariants() == {}


def test_admin_only_calls_must_be_admin_reads_the_profile_declares(tmp_path: Path) -> None:
    path = write(tmp_path, '[probes]\nadmin_only_calls = ["dashboard", "withdrawal_review", "wallet_balance", '
                           '"nope"]\n')
    _data, problems = problems_of(path)
    assert "probes.admin_only_calls: no call 'nope' in [calls]" in problems
    assert "probes.admin_only_calls: 'withdrawal_review' is a POST; the probe only reads" in problems
    assert "probes.admin_only_calls: 'wallet_balance' does not take the admin session" in problems
    assert not [p for p in problems if "'dashboard'" in p]
    _data, problems = problems_of(write(tmp_path, '[probes]\nadmin_only_calls = []\n'))
    assert problems == ["probes.admin_only_calls: not a non-empty list of call names"]
