"""Plan mode: which checklist lines the selection would run, and which the record already satisfies."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from .catalogue import LINES, LINES_BY_ID
from .model import LineResult
from .record import Record, RecordError
from .run import item_lines
from .settings import GateSettings


def describe(settings: GateSettings, items: Sequence[pytest.Item]) -> str:
    selected: dict[str, list[str]] = {}
    for item in items:
        for lid in item_lines(item):
            selected.setdefault(lid, []).append(item.nodeid)
    recorded: dict[str, LineResult] = {}
    note = ""
    if settings.release_sha:
        try:
            recorded, _ = Record.load(settings.reports_dir).results_for(settings.release_sha)
        except RecordError as exc:
            note = f"(record unreadable: {exc})"
    else:
        note = "(no release SHA pinned: nothing can be satisfied from the record)"
    out = [f"# Cutover plan - release {settings.release_sha or '(not pinned)'}, target "
           f"{settings.target_url or 'embedded sandbox'}", ""]
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
