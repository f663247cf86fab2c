"""Writing the reports dir: every file passes through the redactor; the evidence file of each line."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import Any

from cutover_gate.core.catalogue import LINES_BY_ID
from cutover_gate.core.redact import REDACTOR
from cutover_gate.evidence.model import LineResult
from cutover_gate.evidence.results import ScenarioRun

EVIDENCE_DIR = "evidence"


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(REDACTOR.scrub_obj(data), indent=2, ensure_ascii=False, default=str)
    path.write_text(text + "\n", encoding="utf-8")


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(REDACTOR.scrub(text), encoding="utf-8")


def scrub_tree(directory: Path) -> None:
    """Second line of defence for files other plugins wrote (Allure results): mask any secret that slipped in."""
    if not directory.is_dir():
        return
    for path in directory.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".txt", ".properties", ".xml", ".html"):
            text = path.read_text(encoding="utf-8", errors="replace")
            clean = REDACTOR.scrub(text)
            if clean != text:
                path.write_text(clean, encoding="utf-8")


def evidence_files(reports_dir: Path, runs: list[ScenarioRun], results: dict[str, LineResult]) -> dict[str, str]:
    """One JSON file per line this run touched: its result, steps, evidence and redacted HTTP exchanges."""
    refs: dict[str, str] = {}
    http = {run.nodeid: run.http for run in runs}
    for lid, res in results.items():
        steps = [s.to_json() for run in runs for s in run.steps
                 if s.line == lid or (s.line is None and lid in run.lines)]
        exchanges = [ex for nodeid in res.nodeids for ex in http.get(nodeid, []) if ex.get("line") in (lid, None)]
        rel = f"{EVIDENCE_DIR}/{lid}.json"
        write_json(reports_dir / rel, {"line": lid, "title": LINES_BY_ID[lid].title_en if lid in LINES_BY_ID else lid,
                                       "result": res.to_json(), "steps": steps, "http": exchanges})
        refs[lid] = rel
    return refs


def executor_name() -> str:
    try:
        return os.environ.get("CUTOVER_EXECUTOR") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
