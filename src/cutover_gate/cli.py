"""`cutover-gate`: commands beside the pytest plugin.

    cutover-gate verify-timeline [PATH] [--anchor decision.json]
        check the hash chain of reports/timeline.jsonl and that it still holds the entries decision.json anchors
        (exit 0 intact, 1 broken or cut short)
    cutover-gate profile check FILE [--dsn DSN] | profile init [FILE] | profile show [FILE]
        validate a target profile (and its SQL), write a commented starter, print the effective merged profile
        (see profile_tools.py; check: exit 0 valid, 1 problems)
    cutover-gate schema profile|cutover [--markdown]
        print the JSON Schema of a profile or a cutover file, or its reference page in Markdown

Exit 2 for a usage error or a file that cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from cutover_gate import __version__, profile_tools
from cutover_gate.config import json_schemas
from cutover_gate.evidence import timeline
from cutover_gate.reports.allure_page import AllurePageError, write_page

DEFAULT_TIMELINE = Path("reports") / "timeline.jsonl"


def verify_timeline(args: argparse.Namespace) -> int:
    path: Path = args.path
    anchor_file: Path = args.anchor or path.parent / "decision.json"
    try:
        ok, line, message = timeline.verify_chain(path)
        kept = _anchor_of(anchor_file, required=args.anchor is not None)
    except FileNotFoundError as exc:
        print(f"cutover-gate: no such file: {exc.filename or path}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cutover-gate: cannot read {exc.filename or path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"cutover-gate: {anchor_file}: {exc}", file=sys.stderr)
        return 2
    if not ok:
        print(f"{path}: broken at line {line}: {message}")
        return 1
    if kept is not None:
        held, why = timeline.verify_anchor(path, kept)
        if not held:
            print(f"{path}: {why} ({anchor_file})")
            return 1
        message += f"; {why} ({anchor_file.name})"
    print(f"OK: {path}: {message}")
    return 0


def _anchor_of(path: Path, *, required: bool) -> dict[str, object] | None:
    """The `timeline` anchor of a decision.json / checklist.json; None when there is none to check against."""
    if not path.is_file() and not required:
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    kept = data.get("timeline") if isinstance(data, dict) else None
    if not isinstance(kept, dict) or "entries" not in kept or "head" not in kept:
        if required:
            raise ValueError("holds no timeline anchor ({\"timeline\": {\"entries\", \"head\"}})")
        return None
    return kept


def allure_page(args: argparse.Namespace) -> int:
    try:
        page = write_page(args.reports)
    except AllurePageError as exc:
        sys.stderr.write(f"cutover-gate allure: {exc}\n")
        return 1
    sys.stdout.write(f"{page}\n")
    return 0


def print_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(json_schemas.reference(args.kind) if args.markdown else json_schemas.text(args.kind))
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="cutover-gate",
                                  description="Go-live cutover gate: tools beside the pytest plugin.")
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    verify = commands.add_parser("verify-timeline", help="check the hash chain of a timeline.jsonl",
                                 description="Check that no line of the timeline was edited, removed or inserted.")
    verify.add_argument("path", nargs="?", type=Path, default=DEFAULT_TIMELINE,
                        help=f"the timeline file (default: {DEFAULT_TIMELINE})")
    verify.add_argument("--anchor", type=Path, default=None,
                        help="the decision.json or checklist.json whose timeline anchor must hold (default: the "
                             "decision.json beside the timeline, when there is one)")
    verify.set_defaults(run=verify_timeline)
    profile_tools.add_commands(commands)
    schemas = commands.add_parser("schema", help="print the JSON Schema of a profile or a cutover file",
                                  description="Print the JSON Schema an editor validates a profile or cutover file "
                                              "with (the checked-in copies are docs/schemas/*.schema.json).")
    schemas.add_argument("kind", choices=json_schemas.KINDS)
    schemas.add_argument("--markdown", action="store_true",
                         help="print the reference page instead: every section and key with its type, default and "
                              "description (docs/profile-reference.md is the profile's)")
    schemas.set_defaults(run=print_schema)
    allure = commands.add_parser("allure", help="write the Allure report as one page that opens from its file",
                                 description="Run Allure 3's generator on REPORTS/allure-results (npx -y allure@3, "
                                             "with REPORTS/allurerc.json) into REPORTS/allure-report/index.html, "
                                             "then declare the page's data before its app (reports/allure_page.py).")
    allure.add_argument("reports", nargs="?", type=Path, default=Path("reports"),
                        help="the gate's reports dir (default: reports)")
    allure.set_defaults(run=allure_page)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
