"""The JSON Schemas of a profile file and a cutover file, from their pydantic models, for editors (Taplo and the VS
Code TOML extensions validate a file whose first line is `#:schema <path>` as it is typed).

A profile file is an overlay merged over the default profile: any key may be left out at any depth (an override of
a call may give its `codes` alone), so nothing is `required` in its schema; unknown keys and wrong types are still
refused, as `cutover-gate profile check` refuses them. The checked-in copies under `docs/schemas/` are kept current
by a test.
"""

from __future__ import annotations

import json
from typing import Any

from cutover_gate.config.cutover_file import CutoverFile
from cutover_gate.config.profile_schema import ProfileModel

KINDS = ("profile", "cutover")


def _optional_everywhere(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _optional_everywhere(v) for k, v in node.items() if k != "required"}
    if isinstance(node, list):
        return [_optional_everywhere(v) for v in node]
    return node


def schema(kind: str) -> dict[str, Any]:
    if kind == "profile":
        found = _optional_everywhere(ProfileModel.model_json_schema())
        found["title"] = "cutover-gate target profile (merged over the default profile)"
    elif kind == "cutover":
        found = CutoverFile.model_json_schema()
        found["title"] = "cutover-gate cutover file"
    else:
        raise ValueError(f"unknown schema '{kind}': one of {', '.join(KINDS)}")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **found}


def text(kind: str) -> str:
    return json.dumps(schema(kind), indent=2, sort_keys=True) + "\n"
