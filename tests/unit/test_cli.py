"""`cutover-gate verify-timeline`: OK with the line count, the broken line, clear errors without a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cutover_gate import cli
from cutover_gate.evidence import timeline


def write_chain(path: Path, count: int) -> None:
    timeline.append_entries(path, [{"kind": "note", "at": f"2025-03-01T08:0{i}:00Z", "n": i} for i in range(count)])


def test_intact_timeline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "timeline.jsonl"
    write_chain(path, 4)
    assert cli.main(["verify-timeline", str(path)]) == 0
    assert capsys.readouterr().out == f"OK: {path}: 4 lines, chain intact\n"


def test_broken_timeline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "timeline.jsonl"
    write_chain(path, 4)
    lines = path.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[2])
    entry["n"] = 99
    lines[2] = json.dumps(entry)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli.main(["verify-timeline", str(path)]) == 1
    assert f"{path}: broken at line 3: " in capsys.readouterr().out


def test_default_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    write_chain(tmp_path / "reports" / "timeline.jsonl", 2)
    assert cli.main(["verify-timeline"]) == 0
    assert "2 lines" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["missing.jsonl", "."])
def test_unreadable_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    assert cli.main(["verify-timeline", str(tmp_path / name)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cutover-gate: ") and "Traceback" not in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([], ["no-such-command"]):
        with pytest.raises(SystemExit) as exc:
            cli.main(argv)
        assert exc.value.code == 2
    assert "usage: cutover-gate" in capsys.readouterr().err


def anchored(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "timeline.jsonl"
    write_chain(path, count)
    (tmp_path / "decision.json").write_text(json.dumps({"decision": "GO", "timeline": timeline.anchor(path)}),
                                            encoding="utf-8")
    return path


def test_the_anchor_of_decision_json_holds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = anchored(tmp_path, 4)
    write_chain(path, 2)  # a later run appends: the anchor still holds
    assert cli.main(["verify-timeline", str(path)]) == 0
    assert "6 lines, chain intact; anchor holds: entry 4 is the one recorded (decision.json)" in capsys.readouterr().out


@pytest.mark.parametrize(("keep", "expected"), [(2, "cut short: the timeline has 2 entries, the anchor records 4"),
                                                (0, "cut short: the timeline has 0 entries, the anchor records 4 "
                                                    "(emptied)")])
def test_a_timeline_cut_short_or_emptied_is_detected(tmp_path: Path, capsys: pytest.CaptureFixture[str], keep: int,
                                                     expected: str) -> None:
    path = anchored(tmp_path, 4)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:keep]), encoding="utf-8")  # the chain of what is left is intact
    assert timeline.verify_chain(path)[0]
    assert cli.main(["verify-timeline", str(path)]) == 1
    assert expected in capsys.readouterr().out


def test_a_rewritten_chain_under_the_anchor_is_detected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = anchored(tmp_path, 3)
    path.write_text("", encoding="utf-8")  # a whole new, valid chain of the same length, other content
    timeline.append_entries(path, [{"kind": "note", "at": "2030-01-01T00:00:00Z", "n": i} for i in range(3)])
    assert cli.main(["verify-timeline", str(path)]) == 1
    assert "line 3, the last one the anchor records, is not the entry it recorded" in capsys.readouterr().out


def test_an_explicit_anchor_file_without_an_anchor_is_an_error(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "timeline.jsonl"
    write_chain(path, 2)
    other = tmp_path / "checklist.json"
    other.write_text("{}", encoding="utf-8")
    assert cli.main(["verify-timeline", str(path), f"--anchor={other}"]) == 2
    assert "holds no timeline anchor" in capsys.readouterr().err
