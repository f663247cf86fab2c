"""T-60 RC artifacts check: the `rc-proof/` directory and its `SHA256SUMS` manifest.

The manifest is in `sha256sum` format: `<64 hex><space><space or *><relative path>` per line (a line starting with a
backslash carries `\\\\` / `\\n` escapes in its path, as GNU sha256sum writes them); blank lines are skipped.

Rules (rule id, subject):
- `artifacts_dir_missing` (the directory): the directory does not exist;
- `manifest_missing` / `manifest_empty` / `manifest_malformed` (`SHA256SUMS`, or `SHA256SUMS:<line>`);
- `artifact_path_escape` (the listed path): absolute, containing `..`, or resolving outside the directory (symlink);
- `artifact_missing`: a listed file is absent or not a regular file;
- `artifact_hash_mismatch`: its SHA-256 differs from the manifest;
- `artifact_unlisted`: a file (or symlink) in the directory tree that the manifest does not list, SHA256SUMS aside;
- `artifact_verified` (PASS): one per listed file whose hash matches.

Files are hashed in a stream (1 MiB chunks), so large artifacts do not load into memory.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path, PurePosixPath

from cutover_gate.checks.preflight import Finding, Status
from cutover_gate.core.i18n import N_
from cutover_gate.core.reasons import Reason

MANIFEST = "SHA256SUMS"
_LINE = re.compile(r"^(?P<digest>[0-9a-fA-F]{64}) (?P<mode>[ *])(?P<path>.+)$")
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def parse_manifest(text: str) -> tuple[list[tuple[int, str, str]], list[Finding]]:
    """(line number, relative path, lower-case digest) per entry, and a FAIL finding per malformed line."""
    entries: list[tuple[int, str, str]] = []
    problems: list[Finding] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        escaped = raw.startswith("\\")
        match = _LINE.match(raw[1:] if escaped else raw)
        if match is None:
            problems.append(_fail("manifest_malformed", f"{MANIFEST}:{number}",
                                  Reason.of(N_("%(manifest)s line %(number)s is not '<sha256>  <path>'"),
                                            manifest=MANIFEST, number=number)))
            continue
        path = match["path"]
        if escaped:
            path = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), path)
        entries.append((number, path, match["digest"].lower()))
    return entries, problems


def verify_artifacts(directory: Path) -> list[Finding]:
    """Every finding for the artifacts directory; one PASS per verified file."""
    if not directory.is_dir():
        return [_fail("artifacts_dir_missing", str(directory),
                      Reason.of(N_("artifacts directory %(directory)s does not exist"), directory=directory))]
    manifest = directory / MANIFEST
    try:
        text = manifest.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return [_fail("manifest_missing", MANIFEST,
                      Reason.of(N_("%(manifest)s is missing or unreadable in %(directory)s"), manifest=MANIFEST,
                                directory=directory))]
    entries, findings = parse_manifest(text)
    if not entries and not findings:
        return [_fail("manifest_empty", MANIFEST, Reason.of(N_("%(manifest)s in %(directory)s lists no file"),
                                                            manifest=MANIFEST, directory=directory))]
    root = directory.resolve()
    listed: set[str] = set()
    for number, name, expected in entries:
        posix = PurePosixPath(name)
        if posix.is_absolute() or ".." in posix.parts or name.startswith("\\") or re.match(r"^[A-Za-z]:", name):
            findings.append(_fail("artifact_path_escape", name,
                                  Reason.of(N_("%(name)s (line %(number)s) leaves the directory"), name=name,
                                            number=number)))
            continue
        relative = posix.as_posix().removeprefix("./")
        if relative in listed:
            findings.append(_fail("manifest_malformed", name, Reason.of(N_("%(name)s is listed twice in %(manifest)s"),
                                                                        name=name, manifest=MANIFEST)))
            continue
        listed.add(relative)
        findings.append(_check_file(root, relative, expected))
    findings.extend(_fail("artifact_unlisted", name,
                          Reason.of(N_("%(name)s is in the directory but not listed in %(manifest)s"), name=name,
                                    manifest=MANIFEST))
                    for name in sorted(_tree(root) - listed - {MANIFEST}))
    return findings


def _check_file(root: Path, relative: str, expected: str) -> Finding:
    candidate = root / relative
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError):
        return _fail("artifact_missing", relative, Reason.of(N_("%(name)s cannot be resolved"), name=relative))
    if not resolved.is_relative_to(root):
        return _fail("artifact_path_escape", relative,
                     Reason.of(N_("%(name)s resolves outside the artifacts directory"), name=relative))
    if not resolved.is_file():
        return _fail("artifact_missing", relative, Reason.of(N_("%(name)s is listed in %(manifest)s but missing"),
                                                             name=relative, manifest=MANIFEST))
    try:
        actual = sha256_file(resolved)
    except OSError:
        return _fail("artifact_missing", relative, Reason.of(N_("%(name)s cannot be read"), name=relative))
    if actual != expected:
        return _fail("artifact_hash_mismatch", relative,
                     Reason.of(N_("%(name)s does not match its SHA-256 in %(manifest)s"), name=relative,
                               manifest=MANIFEST))
    return Finding.of("artifact_verified", relative, Status.PASS,
                      Reason.of(N_("%(name)s matches its SHA-256 in %(manifest)s"), name=relative, manifest=MANIFEST))


def _tree(root: Path) -> set[str]:
    """Relative POSIX paths of every file and symlink under root (symlinked directories are not followed)."""
    names: set[str] = set()
    for current, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(current)
        links = [d for d in dirnames if (base / d).is_symlink()]
        for name in (*filenames, *links):
            names.add((base / name).relative_to(root).as_posix())
    return names


def _fail(rule: str, subject: str, message: Reason) -> Finding:
    return Finding.of(rule, subject, Status.FAIL, message)
