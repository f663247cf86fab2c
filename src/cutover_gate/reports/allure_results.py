"""Allure integration: the run's environment, categories per rollback-matrix row, executor, and evidence attachments.

`write_allure_extras` fills the files Allure reads beside the results (`environment.properties`, `categories.json`,
`executor.json`) and writes `allurerc.json` into the reports dir: the Allure 3 configuration that makes Allure's
generator (run by `cutover-gate allure reports`, reports/allure_page.py) write one self-contained `index.html` (the
awesome report's `singleFile`), which opens from a file, where the default multi-file report only spins (its data is
fetched, and browsers refuse that on file://). The gate calls it at session
end when `--alluredir` is set. `attach_record` attaches one test's redacted record to the running Allure test case;
it does nothing when Allure is not recording.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cutover_gate.core.catalogue import TRIGGERS
from cutover_gate.core.redact import REDACTOR
from cutover_gate.reports.context import ReportContext

FAILED_STATUSES: list[str] = ["failed", "broken"]


def _properties_value(value: str) -> str:
    """Escape a value for a Java .properties file (one line, backslashes doubled)."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def environment_properties(ctx: ReportContext) -> str:
    values = {
        "release.sha": ctx.release_sha or "not pinned",
        "target": ctx.target,
        "env.name": ctx.env_name,
        "language": ctx.lang,
        "decision": ctx.decision.decision.value,
        "decided.by": ctx.decider,
        "generated.at": ctx.decision.generated_at,
    }
    return "".join(f"{key}={_properties_value(REDACTOR.scrub(value))}\n" for key, value in values.items())


def categories() -> list[dict[str, Any]]:
    """One category per rollback-matrix row, matched on a message naming the row id; then a catch-all.

    Allure matches `messageRegex` against the whole message (Java `matches`), hence `(?s).*` around the id; a test
    falls into every category that matches, so a trigger's failure shows under its row and under "Checklist FAIL".
    """
    rows = [{"name": f"Rollback trigger: {row.title_en} ({row.id}, {row.action.value})",
             "matchedStatuses": FAILED_STATUSES,
             "messageRegex": rf"(?s).*\b{row.id}\b.*"} for row in TRIGGERS]
    return [*rows, {"name": "Checklist FAIL", "matchedStatuses": FAILED_STATUSES}]


def executor(ctx: ReportContext) -> dict[str, Any]:
    sha = ctx.release_sha or "unpinned"
    return {"name": "cutover-gate", "type": "pytest", "buildName": f"cutover {sha} ({ctx.env_name})",
            "reportName": f"Cutover gate: {ctx.decision.decision.value} for {sha}"}


ALLURE_CONFIG = "allurerc.json"


def allure_config(ctx: ReportContext) -> dict[str, Any]:
    """Allure 3's configuration for this run: one self-contained HTML file, in the run's language."""
    sha = ctx.release_sha or "unpinned"
    return {"name": f"Cutover gate: {ctx.decision.decision.value} for {sha}",
            "plugins": {"awesome": {"options": {"singleFile": True, "reportLanguage": ctx.lang,
                                                "reportName": f"Cutover gate {sha}"}}}}


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(REDACTOR.scrub_obj(data), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_allure_extras(alluredir: Path, ctx: ReportContext) -> None:
    alluredir.mkdir(parents=True, exist_ok=True)
    (alluredir / "environment.properties").write_text(environment_properties(ctx), encoding="utf-8")
    for name, data in (("categories.json", categories()), ("executor.json", executor(ctx))):
        _write_json(alluredir / name, data)
    ctx.reports_dir.mkdir(parents=True, exist_ok=True)
    _write_json(ctx.reports_dir / ALLURE_CONFIG, allure_config(ctx))


def attach_record(record: Mapping[str, Any]) -> None:
    """Attach a test's redacted HTTP exchanges, steps, evidence and triggers to the current Allure test case."""
    try:
        import allure
    except ImportError:
        return
    for key, name in (("steps", "Steps"), ("http", "HTTP exchanges"), ("evidence", "Evidence"),
                      ("triggers", "Rollback triggers")):
        if not record.get(key):
            continue
        body = json.dumps(REDACTOR.scrub_obj(record[key]), indent=2, ensure_ascii=False, default=str)
        try:
            allure.attach(body, name=name, attachment_type=allure.attachment_type.JSON)
        except KeyError:
            return  # Allure is recording but no test case is open (called outside a test): nothing to attach to
