"""A usage error stops the run before it sends anything, with exit code 4 and one message; every decision anchors
the timeline, so that a timeline cut short is detected."""

from __future__ import annotations

import json

import pytest

from cutover_gate import cli
from cutover_gate.evidence import timeline
from tests.plugin.conftest import GateProject, mandatory_features


def test_decision_and_checklist_anchor_the_timeline(project: GateProject, capsys: pytest.CaptureFixture[str]) -> None:
    project.features(mandatory_features())
    project.run()
    second = project.run()

    path = project.reports / "timeline.jsonl"
    checklist = json.loads((project.reports / "checklist.json").read_text(encoding="utf-8"))
    assert second.decision["timeline"] == timeline.anchor(path) == checklist["timeline"]
    assert second.decision["timeline"]["entries"] == len(path.read_text(encoding="utf-8").splitlines())
    capsys.readouterr()
    assert cli.main(["verify-timeline", str(path)]) == 0
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-3]), encoding="utf-8")
    assert cli.main(["verify-timeline", str(path)]) == 1
    assert "cut short" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "expected"), [
    (("--lang=de",), "*--lang: invalid choice: 'de'*"),
    (("--profile=missing-profile.toml",), "*cannot read profile missing-profile.toml*"),
])
def test_bad_options_are_one_usage_error(project: GateProject, args: tuple[str, ...], expected: str) -> None:
    project.features(mandatory_features())
    run = project.run(*args)
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    run.run.stderr.fnmatch_lines([expected])
    assert "Traceback" not in run.output and run.written is None
    assert project.steps_ran() == []


def test_an_invalid_cutover_file_lists_every_problem_and_sends_nothing(project: GateProject) -> None:
    project.features(mandatory_features())
    cutover = project.path / "cutover.toml"
    cutover.write_text('[canary]\nmax_amount = "lots"\n[owner]\nic = "x"\n', encoding="utf-8")

    run = project.run(f"--cutover-file={cutover}")

    assert run.ret == pytest.ExitCode.USAGE_ERROR
    err = "\n".join(run.run.errlines)
    assert "canary.max_amount: not a decimal" in err and "owner: unknown key" in err
    assert err.count("Traceback") == 0 and run.written is None and project.steps_ran() == []
