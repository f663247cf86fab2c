"""The profile reference page (docs/profile-reference.md) is generated from the models' field descriptions, so it
cannot drift: the checked-in page is current, and it names every section and key of the profile's schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from cutover_gate.cli import main
from cutover_gate.config import json_schemas

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "profile-reference.md"


def test_the_checked_in_profile_reference_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "profile", "--markdown"]) == 0
    printed = capsys.readouterr().out
    assert printed == json_schemas.reference("profile")
    assert PAGE.read_text(encoding="utf-8") == printed, (
        "docs/profile-reference.md is stale: cutover-gate schema profile --markdown > docs/profile-reference.md")


def test_every_section_and_key_has_a_row_with_its_description() -> None:
    schema = json_schemas.schema("profile")
    page = PAGE.read_text(encoding="utf-8")
    tables = [schema, *schema["$defs"].values()]
    for table in tables:
        for key, prop in table["properties"].items():
            rows = [line for line in page.splitlines() if line.startswith(f"| `{key}` |")]
            assert rows, f"no row for {key}"
            if "description" in prop:
                assert any(" ".join(prop["description"].split()).replace("|", "\\|") in row for row in rows), key
    headings = [line for line in page.splitlines() if line.startswith("## ")]
    assert len(headings) == 1 + len(schema["$defs"])  # the top level, then one section per table


@pytest.mark.parametrize("kind", json_schemas.KINDS)
def test_a_reference_page_gives_every_default_and_marks_what_is_required(kind: str) -> None:
    page = json_schemas.reference(kind)
    assert page.startswith("# ") and "| key | type | default | description |" in page
    if kind == "profile":
        assert "| `path` | string | *required* |" in page
        assert "| `accept` | list of integer | `[200]` | The statuses that mean success. |" in page
