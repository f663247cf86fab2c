"""`cutover-gate profile check|init|show` without a database: the starter is valid, show is the merged profile,
check lists every problem with its key path."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from cutover_gate.cli import main
from cutover_gate.config.target_profile import default_data, load_profile


def test_init_writes_a_starter_that_checks_and_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                                ) -> None:
    path = tmp_path / "acme.toml"
    assert main(["profile", "init", str(path)]) == 0
    assert "[calls.deposit]" in path.read_text(encoding="utf-8")
    assert main(["profile", "check", str(path)]) == 0
    assert "is a valid profile" in capsys.readouterr().out
    path.write_text("# mine\n", encoding="utf-8")
    assert main(["profile", "init", str(path)]) == 2
    assert path.read_text(encoding="utf-8") == "# mine\n"


def test_show_prints_the_merged_profile_which_loads_back_the_same(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "acme.toml"
    path.write_text('[profile]\nname = "acme"\nremove = ["webhooks.routes.adyen"]\n\n'
                    '[calls.deposit]\npath = "/v2/deposits"\n', encoding="utf-8")
    assert main(["profile", "show", str(path)]) == 0
    shown = tomllib.loads(capsys.readouterr().out)
    assert shown["calls"]["deposit"]["path"] == "/v2/deposits"
    assert shown["calls"]["deposit"]["method"] == default_data()["calls"]["deposit"]["method"]
    assert "adyen" not in shown["webhooks"]["routes"] and "stripe" in shown["webhooks"]["routes"]
    again = tmp_path / "shown.toml"
    again.write_text(tomllib_dump(shown), encoding="utf-8")
    assert load_profile(again).data["sql"] == shown["sql"]


def tomllib_dump(data: dict[str, object]) -> str:
    import tomli_w
    return tomli_w.dumps({k: v for k, v in data.items() if k != "profile"}, multiline_strings=True)


def test_check_lists_every_problem_with_its_key_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[calls.deposit]\npath = "/d/{amonut}"\n\n[webhooks.routes.payout]\nscheme = "rsa"\n\n'
                    '[prod_env.flags]\nBOOTSTRAP_ENABLED = "no"\n\n[surprise]\nx = 1\n', encoding="utf-8")
    assert main(["profile", "check", str(path)]) == 1
    out = capsys.readouterr().out
    for expected in ("webhooks.routes.payout.scheme: not one of the allowed values", "surprise: unknown key",
                     "prod_env.flags.BOOTSTRAP_ENABLED", "calls.deposit: unknown placeholder {amonut}"):
        assert expected in out, out


def test_check_of_a_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "check", str(tmp_path / "nowhere.toml")]) == 2
    assert "cannot read profile" in capsys.readouterr().err


def test_the_readmes_profile_example_is_valid_and_does_what_it_says(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "docs" / "profiles.md").read_text(encoding="utf-8")
    section = readme.split("# Profiles", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "acme.toml"
    path.write_text(example, encoding="utf-8")
    profile = load_profile(path)
    assert profile.name == "acme"
    assert profile.call("deposit").body == {"value": "{amount}", "instrument": "{method}"}
    assert profile.call("deposit").method == "POST" and profile.call("deposit").idempotent
    assert "adyen" not in profile.webhooks.routes and "no_negative_balance" not in profile.invariants()
    assert "KYC_MOCK_ENABLED" not in profile.prod_env.flags
    assert profile.prod_env.trusted_proxies is not None and profile.prod_env.trusted_proxies.format == "comma"
