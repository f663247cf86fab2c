"""The runbook's order: phases run T-60 -> T-30 -> T-15 -> T-0; an earlier phase's mandatory FAIL blocks every later
scenario that changes data (in the run, or on record for the release); a later run of an earlier phase makes the
later phases' results stale."""

from __future__ import annotations

from tests.plugin.conftest import GateProject, feature, mandatory_features, phase_ids, scenario

T0_FIRST = feature("@t0", "canary", [scenario("t0_deposit", "When the check is made")])
T60_LAST = feature("@t60", "pre-flight", [scenario("t60_release_pinned", "Given the check passes")])


def test_phases_run_in_the_runbook_order_whatever_the_files_say(project: GateProject) -> None:
    project.features({"a_t0": T0_FIRST, "z_t60": T60_LAST})

    project.run()

    assert project.steps_ran() == ["passes", "made"]  # T-60's step before T-0's, though its file sorts last


def test_an_earlier_fail_blocks_later_writers_but_not_read_only_checks(project: GateProject) -> None:
    project.features({
        "t60": feature("@t60", "pre-flight", [scenario("t60_prod_env_verified", 'When the check fails with "CORS *"')]),
        "t15": feature("@t15 @read_only", "smoke", [scenario("t15_api_health", "Given the check passes")]),
        "t0": feature("@t0", "canary", [scenario("t0_deposit", "When the check is made")]),
    })

    run = project.run()

    assert project.steps_ran() == ["passes"]  # the read-only T-15 check ran; the canary sent nothing
    run.run.assert_outcomes(passed=1, failed=1, skipped=1)
    assert run.result("t15_api_health") == "PASS"
    assert run.result("t0_deposit") == "NOT_RUN"
    assert run.line("t0_deposit")["message"] == "blocked: t60_prod_env_verified FAIL"
    assert run.decision["decision"] == "NO-GO"


def test_a_fail_on_record_blocks_a_later_run_until_its_phase_passes_again(project: GateProject) -> None:
    failing = feature("@t60", "pre-flight", [scenario("t60_prod_env_verified", 'When the check fails with "x"')])
    passing = feature("@t60", "pre-flight", [scenario("t60_prod_env_verified", "Given the check passes")])
    canary = feature("@t0", "canary", [scenario("t0_deposit", "When the check is made")])
    project.features({"t60": failing, "t0": canary})

    project.run("-m", "t60")
    blocked = project.run("-m", "t0")
    (project.path / "features" / "en" / "t60.feature").unlink()  # pytest-bdd caches a parsed file by its path
    project.features({"t60_fixed": passing})
    project.run("-m", "t60")
    unblocked = project.run("-m", "t0")

    assert blocked.result("t0_deposit") == "NOT_RUN"
    assert blocked.line("t0_deposit")["message"] == ("blocked: t60_prod_env_verified FAIL (on record from an "
                                                     "earlier run)")
    assert unblocked.result("t0_deposit") == "PASS"
    assert project.steps_ran().count("made") == 1


def test_a_re_run_of_an_earlier_phase_makes_the_later_results_stale(project: GateProject) -> None:
    project.features(mandatory_features())

    full = project.run()
    redeploy = project.run("-m", "t15")
    again = project.run("-m", "t0")

    assert full.decision["decision"] == "GO"
    assert redeploy.decision["decision"] == "PENDING"
    stale = [lid for lid in phase_ids("t0") if lid != "t0_canary_report"]
    assert all(redeploy.result(lid) == "NOT_RUN" for lid in stale)
    assert all(redeploy.line(lid)["message"].startswith("stale: measured ") and "before the t15 run at" in
               redeploy.line(lid)["message"] and redeploy.line(lid)["message"].endswith("run t0 again")
               for lid in stale)
    assert any("not yet PASS: " in r and "t0_deposit" in r for r in redeploy.decision["reasons"])
    assert again.decision["decision"] == "GO"
