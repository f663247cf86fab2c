"""Line ids are names, not strings: the catalogue's constants and its lines (and matrix rows) are the same set, and
code refers to a line through its constant, so a misspelt id fails at import or under mypy."""

from __future__ import annotations

import re
from pathlib import Path

from cutover_gate.core import catalogue
from cutover_gate.evidence import canary_keys

ROOT = Path(__file__).resolve().parents[2]
LINE_NAME = re.compile(r"(T60|T30|T15|T0|HC|RB)_[A-Z0-9_]+")
LINE_LITERAL = re.compile(r"""["']((?:t60|t30|t15|t0|hc|rb)_[a-z0-9_]+)["']""")


def _constants(module: object, pattern: re.Pattern[str]) -> dict[str, object]:
    return {name: value for name, value in vars(module).items() if pattern.fullmatch(name)}


def test_one_constant_per_checklist_line_both_ways() -> None:
    constants = _constants(catalogue, LINE_NAME)
    assert constants == {line.id.upper(): line.id for line in catalogue.LINES}


def test_one_constant_per_rollback_matrix_row_both_ways() -> None:
    constants = _constants(catalogue, re.compile(r"ROW_[A-Z0-9_]+"))
    assert constants == {f"ROW_{row.id.upper()}": row.id for row in catalogue.TRIGGERS}


def test_the_canary_evidence_keys_are_declared_once() -> None:
    constants = _constants(canary_keys, re.compile(r"[A-Z][A-Z0-9_]*"))
    declared = {name: value for name, value in constants.items() if isinstance(value, str)}
    assert declared == {key.upper(): key for key in canary_keys.CANARY_KEYS}
    assert len(set(canary_keys.CANARY_KEYS)) == len(canary_keys.CANARY_KEYS)
    assert set(canary_keys.REPORT_FIELDS) <= set(canary_keys.CANARY_KEYS)


def test_no_module_spells_a_checklist_line_id() -> None:
    """Outside the catalogue, src/cutover_gate and steps name lines through the catalogue's constants (the templates
    through `ids`). The sandbox plays the platform, not the gate, and is not held to it."""
    sources = [*(ROOT / "src" / "cutover_gate").rglob("*.py"), *(ROOT / "src" / "cutover_gate").rglob("*.j2"),
               *(ROOT / "steps").rglob("*.py")]
    spelled = {
        f"{path.relative_to(ROOT)}: {literal}"
        for path in sources if path != Path(catalogue.__file__).resolve()
        for literal in LINE_LITERAL.findall(path.read_text(encoding="utf-8")) if literal in catalogue.LINES_BY_ID
    }
    assert not spelled, sorted(spelled)
