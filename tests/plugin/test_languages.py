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


FAILING_TR = """
    # language: tr
    @t15
    Özellik: T-15 smoke

      @t15_api_health
      Senaryo: API health 200 döner
        Diyelim ki kontrol geçer
        Eğer ki kontrol "no step of the scenario proved this line" ile başarısız olur

      @t15_admin_login
      Senaryo: Admin login
        Diyelim ki kontrol uygulanmaz

      @t15_dashboard_loads
      Senaryo: Dashboard
        Diyelim ki kontrol bir tetikleyici gözler
"""

SKIPPING_STEP = '''
from pytest_bdd import given as _given

from cutover_gate.evidence.recording import skip as _skip


@_given("kontrol uygulanmaz")
def _skips() -> None:
    _skip("blocked: %(cause)s", cause="t60_release_pinned FAIL")


@_given("kontrol bir tetikleyici gözler")
def _observes(evidence) -> None:
    from cutover_gate.core.reasons import Reason

    evidence.trigger("migration_failure", Reason.of("error: %(cause)s", cause="alembic 0042"))
'''


def test_a_checks_cause_is_said_in_the_runs_language(project: GateProject) -> None:
    """A check's failure and a skip's cause travel as records: the Turkish reports say them in Turkish, while
    decision.json's `message` stays English beside the record it was said from."""
    project.feature("smoke", FAILING_TR, lang="tr")
    project.conftest_extra(SKIPPING_STEP)

    run = project.run("--lang", "tr", "-p", "xdist", "-n", "1")

    failed, skipped = run.line("t15_api_health"), run.line("t15_admin_login")
    assert failed["result"] == "FAIL" and skipped["result"] == "NOT_RUN"
    step = "Eğer ki kontrol \"no step of the scenario proved this line\" ile başarısız olur"
    assert failed["message"] == f"step '{step}': no step of the scenario proved this line"
    assert failed["reason"]["msgid"] == "step '%(step)s': %(cause)s"
    assert skipped["message"] == "blocked: t60_release_pinned FAIL"
    checklist = (run.reports / "checklist.md").read_text(encoding="utf-8")
    assert f"adım '{step}': senaryonun hiçbir adımı bu satırı kanıtlamadı" in checklist
    assert "engellendi: t60_release_pinned FAIL" in checklist
    decision = (run.reports / "decision.md").read_text(encoding="utf-8")
    assert "senaryonun hiçbir adımı bu satırı kanıtlamadı" in decision
    assert "no step of the scenario proved this line\n" not in decision
    trigger = run.decision["triggers"][0]
    assert trigger["evidence"] == "error: alembic 0042" and trigger["reason"]["msgid"] == "error: %(cause)s"
    assert "hata: alembic 0042" in decision and "error: alembic 0042" not in decision
