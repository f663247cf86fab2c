"""The scribe's timeline (runbook, war room protocol): `timeline.jsonl`, append-only across runs and hash-chained.

One JSON object per line. `seq` numbers the lines from 1 across runs; `prev` is the sha256 hex of the previous line's
exact bytes (64 zeros for the first line); `hash` is the sha256 of the entry itself (canonical JSON without `hash`).
An edited line fails its own `hash`; an edited line whose `hash` was recomputed fails the next line's `prev`; a removed
or inserted line breaks `seq`. Either way `verify_chain` names the line. Truncating the newest lines (or emptying the
file) cannot be told from a shorter timeline by the chain alone: every run anchors the timeline in decision.json and
checklist.json (`{"entries": N, "head": <sha256 of line N>}`), and `verify_anchor` checks the file against it.

What each run appends (the scribe's marks and every step event) is built by reports/scribe.py.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cutover_gate.core.redact import REDACTOR

GENESIS = "0" * 64


# --- the chain -------------------------------------------------------------------------------------------------


def line_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def entry_digest(entry: Mapping[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    return lines[:-1] if lines and lines[-1] == b"" else lines


def _tail(path: Path) -> tuple[str, int, bool]:
    """(prev for the next line, its seq, whether the file lacks a final newline)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return GENESIS, 1, False
    lines = _lines(data)
    if not lines:
        return GENESIS, 1, False
    try:
        seq = int(json.loads(lines[-1])["seq"]) + 1
    except (ValueError, KeyError, TypeError):
        seq = len(lines) + 1  # an unreadable last line: continue anyway; verify_chain reports it
    return line_digest(lines[-1]), seq, not data.endswith(b"\n")


def append_entries(path: Path, entries: Iterable[Mapping[str, Any]]) -> int:
    """Append `entries` to the chain at `path` (created if missing), redacted; answers how many lines were written."""
    prev, seq, newline_missing = _tail(path)
    chunks: list[bytes] = [b"\n"] if newline_missing else []
    for entry in entries:
        body = {"seq": seq, "prev": prev, **REDACTOR.scrub_obj(dict(entry))}
        body["hash"] = entry_digest(body)
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        chunks.append(raw + b"\n")
        prev, seq = line_digest(raw), seq + 1
    written = len(chunks) - (1 if newline_missing else 0)
    if written:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as fh:
            fh.write(b"".join(chunks))
    return written


def verify_chain(path: Path) -> tuple[bool, int | None, str]:
    """(ok, first broken line number (1-based) or None, message). Raises OSError when the file cannot be read."""
    lines = _lines(path.read_bytes())
    prev_raw: bytes | None = None
    for number, raw in enumerate(lines, start=1):
        try:
            entry = json.loads(raw)
        except ValueError:
            return False, number, "not valid JSON"
        if not isinstance(entry, dict) or not {"seq", "prev", "hash"} <= entry.keys():
            return False, number, "not a timeline entry (seq, prev and hash are required)"
        if entry["hash"] != entry_digest(entry):
            return False, number, "content does not match its hash: the line was edited"
        if entry["seq"] != number:
            return False, number, (f"seq is {entry['seq']}, expected {number}: "
                                   "a line before it was removed or inserted")
        expected = GENESIS if prev_raw is None else line_digest(prev_raw)
        if entry["prev"] != expected:
            if prev_raw is None:
                return False, number, "the first line does not start the chain (prev is not 64 zeros)"
            return False, number - 1, (f"line {number - 1} was changed after line {number} was written "
                                       f"(line {number}'s prev no longer matches it)")
        prev_raw = raw
    return True, None, f"{len(lines)} lines, chain intact"


def anchor(path: Path) -> dict[str, Any]:
    """The timeline's anchor as the reports keep it: how many entries, and the digest of the last one."""
    lines = _lines(path.read_bytes()) if path.is_file() else []
    return {"entries": len(lines), "head": line_digest(lines[-1]) if lines else GENESIS}


def verify_anchor(path: Path, kept: Mapping[str, Any]) -> tuple[bool, str]:
    """(ok, message): the timeline still holds the entry an anchor recorded, at its place, unchanged."""
    lines = _lines(path.read_bytes())
    entries, head = int(kept.get("entries", 0)), str(kept.get("head", ""))
    if len(lines) < entries:
        return False, (f"cut short: the timeline has {len(lines)} entries, the anchor records {entries}"
                       + (" (emptied)" if not lines else ""))
    if entries and line_digest(lines[entries - 1]) != head:
        return False, f"line {entries}, the last one the anchor records, is not the entry it recorded"
    return True, f"anchor holds: entry {entries} is the one recorded"
