"""`--lang` picks the Gherkin set: a Turkish feature proves its line; the other language's set is not collected."""

from __future__ import annotations

from tests.plugin.conftest import GateProject

TURKISH = """
    # language: tr
    @t15
    Özellik: T-15 smoke

      @t15_api_health
      Senaryo: API health 200 döner
        Diyelim ki kontrol geçer
        Eğer ki kontrol yapılır
        O zaman sonuç doğrudur
        Ve sonuç doğrudur
"""

ENGLISH = """
    @t15
    Feature: T-15 smoke

      @t15_admin_login
      Scenario: Admin login
        Given the check passes
        When the check is made
        Then the result is right
"""


def test_turkish_feature_proves_its_line_with_lang_tr(project: GateProject) -> None:
    project.feature("smoke", TURKISH, lang="tr")
    project.feature("smoke", ENGLISH, lang="en")

    run = project.run("--lang", "tr")

    run.run.assert_outcomes(passed=1)
    assert run.ret == 0
    assert run.result("t15_api_health") == "PASS"
    assert run.result("t15_admin_login") == "NOT_RUN"
    assert run.decision["lang"] == "tr"
    assert project.steps_ran() == ["passes", "made", "right", "right"]
    assert "features/en" not in run.output


def test_english_set_runs_alone_with_lang_en(project: GateProject) -> None:
    project.feature("smoke", TURKISH, lang="tr")
    project.feature("smoke", ENGLISH, lang="en")

    run = project.run("--lang", "en")

    run.run.assert_outcomes(passed=1)
    assert run.result("t15_admin_login") == "PASS"
    assert run.result("t15_api_health") == "NOT_RUN"
    assert "features/tr" not in run.output


def test_collect_only_lists_one_language(project: GateProject) -> None:
    project.feature("smoke", TURKISH, lang="tr")
    project.feature("smoke", ENGLISH, lang="en")

    run = project.run("--lang", "tr", "--collect-only", "-q")

    run.run.stdout.fnmatch_lines(["features/tr/test_features_tr.py::test_api_health_200_döner*"])
    assert "test_features_en" not in run.output
