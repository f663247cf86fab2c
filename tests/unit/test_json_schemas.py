"""Help in the editor: the JSON Schemas of a profile file and a cutover file come from the pydantic models, the
checked-in copies are current, every example file names its schema on its first line (`#:schema`, as Taplo and the
VS Code TOML extensions read it) and validates against it, and the schema refuses what `profile check` refuses."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

from cutover_gate.cli import main
from cutover_gate.config import json_schemas

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "schemas"
PROFILES = sorted((ROOT / "fixtures").rglob("*.toml"))


@pytest.mark.parametrize("kind", json_schemas.KINDS)
def test_the_checked_in_schema_is_current(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", kind]) == 0
    printed = capsys.readouterr().out
    assert printed == json_schemas.text(kind)
    assert (SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8") == printed, (
        f"docs/schemas/{kind}.schema.json is stale: cutover-gate schema {kind} > docs/schemas/{kind}.schema.json")


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_names_its_schema_and_validates(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("#:schema "), f"{path} does not start with a #:schema directive"
    schema_path = (path.parent / first.split(" ", 1)[1]).resolve()
    assert schema_path.parent == SCHEMAS.resolve() and schema_path.is_file()
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(tomllib.loads(path.read_text("utf-8"))))
    assert not errors, [e.message for e in errors]


def test_the_profile_schema_refuses_what_profile_check_refuses_and_lets_an_overlay_be_partial() -> None:
    validator = jsonschema.Draft202012Validator(json_schemas.schema("profile"))
    assert validator.is_valid({"calls": {"deposit": {"codes": {"risk_refusal": ["RISK_BLOCK"]}}}})  # an overlay
    assert not validator.is_valid({"calls": {"deposit": {"methd": "POST"}}})  # a typo
    assert not validator.is_valid({"flows": {"payout": "later"}})
    assert not validator.is_valid({"webhooks": {"routes": {"adyen": {"key_encoding": "hexa"}}}})
    cutover = jsonschema.Draft202012Validator(json_schemas.schema("cutover"))
    assert cutover.is_valid({"kit_budget": {"withdrawals": 2, "amount": "3.50"}})
    assert not cutover.is_valid({"kit_budget": {"withdrawals": -1}})


def test_the_starter_profile_names_its_schema() -> None:
    from cutover_gate.profile_tools import STARTER

    assert STARTER.startswith("#:schema ./profile.schema.json\n")
    assert "cutover-gate schema profile > profile.schema.json" in STARTER.replace("\n# ", " ")
