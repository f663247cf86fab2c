"""Plan mode: which checklist lines the selection would run, and which the record already satisfies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from cutover_gate.config.settings import GateSettings
from cutover_gate.core.catalogue import LINES, LINES_BY_ID
from cutover_gate.evidence.history import CutoverRecord, RecordError
from cutover_gate.evidence.model import LineResult


def describe(settings: GateSettings, items: Mapping[str, Sequence[str]]) -> str:
    """`items`: each selected scenario's node id and the checklist lines it proves."""
    selected: dict[str, list[str]] = {}
    for nodeid, lines in items.items():
        for lid in lines:
            selected.setdefault(lid, []).append(nodeid)
    recorded: dict[str, LineResult] = {}
    note = ""
    if settings.release_sha:
        try:
            recorded, _ = CutoverRecord.load(settings.reports_dir).results_for(settings.release_sha)
        except RecordError as exc:
            note = f"(record unreadable: {exc})"
    else:
        note = "(no release SHA pinned: nothing can be satisfied from the record)"
    out = [f"# Cutover plan - release {settings.release_sha or '(not pinned)'}, target "
           f"{settings.target_name}", ""]
    if note:
        out += [note, ""]
    out += ["| line | phase | title | will run | in record |", "|---|---|---|---|---|"]
    for line in LINES:
        if line.id not in selected and line.id not in recorded:
            continue
        rec = recorded.get(line.id)
        in_record = f"{rec.result.value} at {rec.at}" if rec else "-"
        runs = f"yes ({len(selected[line.id])} scenario(s))" if line.id in selected else "no"
        out.append(f"| {line.id} | {line.phase} | {LINES_BY_ID[line.id].title(settings.lang)} | {runs} | {in_record} |")
    out += ["", "Nothing was sent to the target."]
    return "\n".join(out)


def write_plan(config: pytest.Config, settings: GateSettings, items: Mapping[str, Sequence[str]]) -> None:
    """Show the plan in the terminal and write plan.md."""
    text = describe(settings, items)
    config.get_terminal_writer().line(text)
    (settings.reports_dir / "plan.md").write_text(text + "\n", encoding="utf-8")
