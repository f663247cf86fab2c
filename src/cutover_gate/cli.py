"""`cutover-gate`: commands beside the pytest plugin.

    cutover-gate verify-timeline [PATH]   check the hash chain of reports/timeline.jsonl (exit 0 intact, 1 broken)

Exit 2 for a usage error or a file that cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from cutover_gate import __version__
from cutover_gate.evidence import timeline

DEFAULT_TIMELINE = Path("reports") / "timeline.jsonl"


def verify_timeline(args: argparse.Namespace) -> int:
    path: Path = args.path
    try:
        ok, line, message = timeline.verify_chain(path)
    except FileNotFoundError:
        print(f"cutover-gate: no such file: {path}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cutover-gate: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if ok:
        print(f"OK: {path}: {message}")
        return 0
    print(f"{path}: broken at line {line}: {message}")
    return 1


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="cutover-gate",
                                  description="Go-live cutover gate: tools beside the pytest plugin.")
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    verify = commands.add_parser("verify-timeline", help="check the hash chain of a timeline.jsonl",
                                 description="Check that no line of the timeline was edited, removed or inserted.")
    verify.add_argument("path", nargs="?", type=Path, default=DEFAULT_TIMELINE,
                        help=f"the timeline file (default: {DEFAULT_TIMELINE})")
    verify.set_defaults(run=verify_timeline)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
