"""Profiles: the default is the contract; a TOML file deep-merges over it; a missing key names section and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from cutover_gate.config.target_profile import Profile, ProfileError, dig, load_profile


def test_the_default_profile_is_the_contract() -> None:
    profile = load_profile(None)
    assert profile.name == "default"
    assert profile.path("health") == "/api/health"
    assert profile.path("payout_status", tx_id="tx-9") == "/api/v1/payouts/status/tx-9"
    assert profile.field("login_user_id") == "user.id"
    assert profile.state("withdraw_paid") == "paid"
    assert profile.states("deposit_failed") == ("failed", "canceled", "rejected")
    assert profile.states("withdraw_paid") == ("paid",)


def test_a_profile_file_deep_merges_over_the_default(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text('[paths]\nhealth = "/healthz"\n\n[states]\nwithdraw_paid = "settled"\n\n[extra]\nkey = 1\n',
                    encoding="utf-8")
    profile = load_profile(path)
    assert profile.name == "acme"
    assert profile.path("health") == "/healthz"
    assert profile.path("readiness") == "/api/readiness"  # the rest of [paths] stays
    assert profile.state("withdraw_paid") == "settled"
    assert profile.state("withdraw_approved") == "approved"
    assert profile.value("extra", "key") == 1
    assert load_profile(None).path("health") == "/api/health"  # the default is not changed


def test_a_missing_key_names_the_profile_section_and_key(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text("", encoding="utf-8")
    profile = load_profile(path)
    with pytest.raises(ProfileError, match=r"profile 'acme' has no \[paths\] nowhere"):
        profile.path("nowhere")
    with pytest.raises(ProfileError, match=r"has no \[nosection\] key"):
        profile.value("nosection", "key")


def test_bad_toml_is_a_profile_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[paths\nhealth = ", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"bad\.toml is not valid TOML"):
        load_profile(path)


def test_an_unreadable_profile_is_a_profile_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read profile"):
        load_profile(tmp_path / "absent.toml")


def test_dig_follows_dotted_paths_and_names_the_missing_part() -> None:
    body = {"user": {"id": 7, "wallet": {"available_real": "10.00"}}}
    assert dig(body, "user.id") == 7
    assert dig(body, "user.wallet.available_real") == "10.00"
    with pytest.raises(KeyError, match=r"field 'user.wallet.held_real' not found \(missing 'held_real'\)"):
        dig(body, "user.wallet.held_real")
    with pytest.raises(KeyError, match="missing 'id'"):
        dig({"user": "not-a-dict"}, "user.id")


def test_invariants_and_probes_come_from_the_profile() -> None:
    profile = Profile("p", {"invariants": {"a": "select 1"}, "probes": {"x": [1, 2]}})
    assert profile.invariants() == {"a": "select 1"}
    assert profile.probe("x") == [1, 2]
    assert Profile("q", {}).invariants() == {}
