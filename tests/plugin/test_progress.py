"""Live progress in the terminal: phase, scenario, each step's PASS or FAIL, the elapsed time and the decision so far,
in the run's language; plain lines off a TTY (the inner runs write to a pipe), one line per scenario with `-q`."""

from __future__ import annotations

import re

import pytest

from tests.plugin.conftest import GateProject, GateResult

SMOKE = """
    @t15
    Feature: smoke

      @t15_api_health
      Scenario: API health answers 200
        Given the check passes
        When the check is made
        Then the result is right

      @t15_admin_login
      Scenario: Admin login
        Given the check passes
        When the check fails with "admin login answered 500"
        Then the result is right
"""

TURKISH = """
    # language: tr
    @t15
    Özellik: smoke

      @t15_api_health
      Senaryo: API health 200 döner
        Diyelim ki kontrol geçer
        Eğer ki kontrol yapılır
        O zaman sonuç doğrudur
"""

ELAPSED = r"\d+:\d\d:\d\d"
CURSOR_TRICKS = re.compile(r"\r(?!\n)|\x1b\[\d*[ABCDEFGHJKST]|\x1b\[\d*;\d*[Hf]|\x1b\[\?25[lh]|\x1b\[[su]")


def progress_lines(run: GateResult) -> list[str]:
    return [line for line in run.run.outlines if line.startswith(("==", "  ", "PASS", "FAIL", "ATLANDI", "SKIPPED"))]


def test_progress_shows_phase_scenario_steps_elapsed_and_the_decision_so_far(project: GateProject) -> None:
    project.feature("smoke", SMOKE)

    run = project.run()

    run.run.stdout.fnmatch_lines([
        "== T-15 Deploy + migration + smoke ==",
        "  > API health answers 200",
        "      PASS  Given the check passes",
        "      PASS  When the check is made",
        "      PASS  Then the result is right",
        "  PASS  API health answers 200  (*:*:* elapsed, decision so far: PENDING)",
        "  > Admin login",
        "      PASS  Given the check passes",
        "      FAIL  When the check fails with \"admin login answered 500\"  -- admin login answered 500",
        "  FAIL  Admin login  (*:*:* elapsed, decision so far: NO-GO)",
    ])
    assert re.search(rf"\(({ELAPSED}) elapsed", run.output)
    assert "Then the result is right" not in run.output.split("  > Admin login")[1]  # never reached
    run.run.assert_outcomes(passed=1, failed=1)  # pytest still counts every test
    run.run.stdout.fnmatch_lines(["FAILED features/en/test_features_en.py::test_admin_login - *"])
    assert not re.search(r"^features/en/\S+ [.F]+", run.output, re.M), "pytest's progress dots are still there"


def test_plain_lines_off_a_tty(project: GateProject) -> None:
    project.feature("smoke", SMOKE)

    run = project.run()

    assert progress_lines(run)
    assert "\x1b[" not in run.output, "colour codes in a log that is not a terminal"
    assert not CURSOR_TRICKS.search(run.output)


def test_colour_on_a_terminal_but_never_a_cursor_trick(project: GateProject) -> None:
    project.feature("smoke", SMOKE)

    run = project.run("--color=yes")

    assert re.search(r"\x1b\[[0-9;]*m\s*FAIL  Admin login", run.output), "no colour for a failing scenario"
    assert not CURSOR_TRICKS.search(run.output)


def test_quiet_keeps_one_line_per_scenario(project: GateProject) -> None:
    project.feature("smoke", SMOKE)

    run = project.run("-q")

    run.run.stdout.fnmatch_lines([
        "PASS  t15  API health answers 200  *:*:*  so far: PENDING",
        "FAIL  t15  Admin login  *:*:*  so far: NO-GO",
    ])
    assert "Given the check passes" not in run.output and "== T-15" not in run.output
    run.run.stdout.fnmatch_lines(["FAILED features/en/test_features_en.py::test_admin_login - *"])  # pytest's own


def test_very_quiet_shows_no_progress(project: GateProject) -> None:
    project.feature("smoke", SMOKE)

    run = project.run("-qq")

    assert "so far" not in run.output and "API health answers 200" not in run.output


def test_progress_in_turkish(project: GateProject) -> None:
    project.feature("smoke", TURKISH, lang="tr")

    run = project.run("--lang", "tr")

    run.run.stdout.fnmatch_lines([
        "== T-15 Deploy + Migration + Smoke ==",
        "  > API health 200 döner",
        "      PASS  Diyelim ki kontrol geçer",
        "      PASS  Eğer ki kontrol yapılır",
        "      PASS  O zaman sonuç doğrudur",
        "  PASS  API health 200 döner  (geçen süre *:*:*, şu ana kadarki karar: BEKLEMEDE)",
    ])
    assert "Diyelim Ki" not in run.output and "decision so far" not in run.output


def test_a_secret_in_a_failing_step_is_masked_in_the_progress(project: GateProject,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    password = "Vq7-progress-secret-passphrase-2290"
    project.with_admin_login(monkeypatch, password, "Given the check passes",
                             "When the admin login fails revealing the password")

    run = project.run()

    run.run.stdout.fnmatch_lines(["      FAIL  When the admin login fails revealing the password  -- *"])
    assert password not in run.output


def test_under_xdist_the_steps_come_with_each_scenario(project: GateProject) -> None:
    project.feature("smoke", SMOKE)

    run = project.run("-p", "xdist", "-n", "2")

    lines = progress_lines(run)
    for name, steps, verdict in (("API health answers 200", 3, "PASS"), ("Admin login", 2, "FAIL")):
        start = lines.index(f"  > {name}")
        shown = lines[start + 1:start + 1 + steps]
        assert all(re.match(r"      (PASS|FAIL)  ", s) for s in shown), shown
        assert lines[start + 1 + steps].startswith(f"  {verdict}  {name}  (")
    assert "decision so far: NO-GO" in run.output


def test_the_summary_speaks_the_run_language(project: GateProject) -> None:
    project.feature("smoke", TURKISH, lang="tr")

    run = project.run("--lang", "tr")

    run.run.stdout.fnmatch_lines(["*= cutover kararı =*", "BEKLEMEDE  release * hedef *", "   t60: ÇALIŞTIRILMADI",
                                  "  raporlar: *"])
    assert "cutover decision" not in run.output
