"""The JSON Schemas of a profile file and a cutover file, from their pydantic models, for editors (Taplo and the VS
Code TOML extensions validate a file whose first line is `#:schema <path>` as it is typed).

A profile file is an overlay merged over the default profile: any key may be left out at any depth (an override of
a call may give its `codes` alone), so nothing is `required` in its schema; unknown keys and wrong types are still
refused, as `cutover-gate profile check` refuses them. The checked-in copies under `docs/schemas/` are kept current
by a test.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from cutover_gate.config.cutover_file import CutoverFile
from cutover_gate.config.profile_schema import ProfileModel

KINDS = ("profile", "cutover")


class _FactoryDefaults(GenerateJsonSchema):
    """Shows a default made by a factory (`Field(default_factory=list)`, `[200]`) like any other default."""

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        factory = schema.get("default_factory")
        if factory is not None and not schema.get("default_factory_takes_data"):
            made = {key: value for key, value in schema.items() if key != "default_factory"}
            schema = core_schema.WithDefaultSchema(**{**made, "default": factory()})  # type: ignore[typeddict-item]
        return super().default_schema(schema)


def _models_schema(kind: str) -> dict[str, Any]:
    """The model's own schema, `required` included (schema() drops it from a profile's: an overlay)."""
    if kind not in KINDS:
        raise ValueError(f"unknown schema '{kind}': one of {', '.join(KINDS)}")
    model = ProfileModel if kind == "profile" else CutoverFile
    return model.model_json_schema(schema_generator=_FactoryDefaults)


def _optional_everywhere(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _optional_everywhere(v) for k, v in node.items() if k != "required"}
    if isinstance(node, list):
        return [_optional_everywhere(v) for v in node]
    return node


def schema(kind: str) -> dict[str, Any]:
    found = _models_schema(kind)
    if kind == "profile":
        found = _optional_everywhere(found)
        found["title"] = "cutover-gate target profile (merged over the default profile)"
    else:
        found["title"] = "cutover-gate cutover file"
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **found}


def text(kind: str) -> str:
    return json.dumps(schema(kind), indent=2, sort_keys=True) + "\n"


# ------------------------------------------------------------------------------------------------ the reference page
_REFERENCE_INTRO = {
    "profile": ("A profile file says only what differs from the default profile "
                "(`src/cutover_gate/config/profiles/default.toml`, CONTRACT §1); it is merged over it key by key, so "
                "any key may be left out. A key marked *required* must be there after the merge (the default profile "
                "gives it). `<name>` stands for a name the profile chooses (a call, a webhook route, a variable)."),
    "cutover": "The cutover file of a release (`--cutover-file=FILE`; the sandbox's is `fixtures/cutover.toml`).",
}


def _ref(node: dict[str, Any]) -> str | None:
    ref = node.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _children(node: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(path suffix, node) of what a field's value may hold: `` for itself, `.<name>` for a table's values."""
    out: list[tuple[str, dict[str, Any]]] = []
    for option in node.get("anyOf", [node]):
        out.append(("", option))
        if isinstance(option.get("additionalProperties"), dict):
            out.extend((".<name>" + suffix, child) for suffix, child in _children(option["additionalProperties"]))
        if isinstance(option.get("items"), dict):
            out.extend(_children(option["items"]))
    return out


def _sections(root: dict[str, Any], node: dict[str, Any], path: str = "",
              found: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Each definition -> the key paths where it is found, in the order of the file (a table, then its tables)."""
    found = {} if found is None else found
    for key, prop in node.get("properties", {}).items():
        for suffix, child in _children(prop):
            name = _ref(child)
            if name is None:
                continue
            where = f"{path}.{key}{suffix}".lstrip(".")
            first = name not in found
            found.setdefault(name, []).append(where)
            if first:
                _sections(root, root["$defs"][name], where, found)
    return found


def _slug(text: str) -> str:
    """The anchor MkDocs (Python-Markdown's toc) and GitHub give a heading made of this text."""
    return re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", text).strip().lower())


def _heading(paths: list[str]) -> str:
    return ", ".join(f"`[{p}]`" for p in paths)


def _type(node: dict[str, Any], sections: dict[str, list[str]]) -> str:
    name = _ref(node)
    if name is not None:
        return f"[table]({'#' + _slug(_heading(sections[name]).replace('`', ''))})"
    if "anyOf" in node:
        return " or ".join(_type(option, sections) for option in node["anyOf"] if option.get("type") != "null")
    if "const" in node:
        return f"`{json.dumps(node['const'])}`"
    if "enum" in node:
        return " or ".join(f"`{json.dumps(v)}`" for v in node["enum"])
    kind = node.get("type")
    if kind == "array":
        return f"list of {_type(node['items'], sections)}" if "items" in node else "list"
    if kind == "object":
        values = node.get("additionalProperties")
        keys = node.get("propertyNames", {}).get("enum")
        keyed = f" (keys: {', '.join(f'`{k}`' for k in keys)})" if keys else ""
        return (f"table of {_type(values, sections)}{keyed}" if isinstance(values, dict) else "table") if values \
            is not False else "table"
    words = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}
    return words.get(str(kind), "any value")


_BOUNDS = (("minimum", "≥ {}"), ("exclusiveMinimum", "> {}"), ("maximum", "≤ {}"), ("exclusiveMaximum", "< {}"),
           ("minItems", "at least {} item(s)"), ("minLength", "at least {} character(s)"))


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _row(key: str, prop: dict[str, Any], required: bool, sections: dict[str, list[str]]) -> str:
    kind = _type(prop, sections) + "".join(f", {word.format(prop[b])}" for b, word in _BOUNDS if b in prop)
    if required:
        default = "*required*"
    elif isinstance(prop.get("default"), dict) and any(_ref(c) for _, c in _children(prop)):
        default = "its keys' defaults"
    elif "default" in prop:
        default = "unset" if prop["default"] is None else f"`{json.dumps(prop['default'], ensure_ascii=False)}`"
    else:
        default = "—"
    return f"| `{key}` | {_cell(kind)} | {_cell(default)} | {_cell(prop.get('description', '—'))} |"


def _table(node: dict[str, Any], sections: dict[str, list[str]]) -> list[str]:
    required = set(node.get("required", []))
    rows = [_row(key, prop, key in required, sections) for key, prop in node.get("properties", {}).items()]
    return ["| key | type | default | description |", "|---|---|---|---|", *rows]


def reference(kind: str) -> str:
    """The reference page of a profile or cutover file: every section and key with its type, default and the
    description its model gives (docs/profile-reference.md is this page for a profile, kept current by a test)."""
    root = _models_schema(kind)
    sections = _sections(root, root)
    title = "Profile reference" if kind == "profile" else "Cutover file reference"
    lines = [f"# {title}", "", f"<!-- generated by `cutover-gate schema {kind} --markdown`: do not edit -->", "",
             _REFERENCE_INTRO[kind], "", "## The top level", "", *_table(root, sections)]
    for name, paths in sections.items():
        node = root["$defs"][name]
        lines += ["", f"## {_heading(paths)}", ""]
        if node.get("description"):
            lines += [" ".join(node["description"].split()), ""]
        lines += _table(node, sections)
    return "\n".join(lines) + "\n"
