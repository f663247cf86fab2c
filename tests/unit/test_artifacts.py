"""RC artifacts: the manifest, each file's hash, missing / extra / tampered / escaping entries."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import IO, Any

import pytest

from cutover_gate.checks.preflight import Finding, Status, overall
from cutover_gate.checks.preflight import artifacts as artifacts_module
from cutover_gate.checks.preflight.artifacts import sha256_file, verify_artifacts

RC_PROOF = Path(__file__).resolve().parents[2] / "fixtures" / "rc-proof"
FILES = ["backend-regression.xml", "e2e-money-loop.txt", "logs/ledger-invariants.log", "payouts-router.json"]


@pytest.fixture
def rc(tmp_path: Path) -> Path:
    return Path(shutil.copytree(RC_PROOF, tmp_path / "rc-proof"))


def fails(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.rule, f.subject) for f in findings if f.status is Status.FAIL]


def append(rc: Path, line: str) -> None:
    with (rc / "SHA256SUMS").open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def test_fixture_passes_with_one_finding_per_file() -> None:
    findings = verify_artifacts(RC_PROOF)
    assert [(f.rule, f.subject, f.status) for f in findings] == [("artifact_verified", n, Status.PASS) for n in FILES]
    assert overall(findings) is Status.PASS


def test_missing_file_fails_naming_it(rc: Path) -> None:
    (rc / "payouts-router.json").unlink()
    findings = verify_artifacts(rc)
    assert fails(findings) == [("artifact_missing", "payouts-router.json")]
    assert "payouts-router.json" in next(f.message for f in findings if f.status is Status.FAIL)


def test_unlisted_files_fail_naming_them(rc: Path) -> None:
    (rc / "extra.txt").write_text("not in the manifest\n")
    (rc / "logs" / "debug.log").write_text("nor this\n")
    assert fails(verify_artifacts(rc)) == [("artifact_unlisted", "extra.txt"), ("artifact_unlisted", "logs/debug.log")]


def test_tampered_file_fails_naming_it(rc: Path) -> None:
    (rc / "e2e-money-loop.txt").write_text("result: PASS (edited after hashing)\n")
    findings = verify_artifacts(rc)
    assert fails(findings) == [("artifact_hash_mismatch", "e2e-money-loop.txt")]
    assert sum(f.status is Status.PASS for f in findings) == 3


@pytest.mark.parametrize("listed", ["../outside.txt", "/etc/hostname", "logs/../../outside.txt"])
def test_paths_escaping_the_directory_fail(rc: Path, listed: str) -> None:
    (rc.parent / "outside.txt").write_text("outside\n")
    append(rc, f"{'0' * 64}  {listed}")
    (bad,) = [f for f in verify_artifacts(rc) if f.status is Status.FAIL]
    assert (bad.rule, bad.subject) == ("artifact_path_escape", listed) and listed in bad.message


def test_symlink_leaving_the_directory_fails(rc: Path) -> None:
    outside = rc.parent / "outside.txt"
    outside.write_text("outside\n")
    (rc / "link.txt").symlink_to(outside)
    append(rc, f"{sha256_file(outside)}  link.txt")
    assert fails(verify_artifacts(rc)) == [("artifact_path_escape", "link.txt")]


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_empty_manifest_fails(rc: Path, content: str) -> None:
    (rc / "SHA256SUMS").write_text(content)
    assert fails(verify_artifacts(rc)) == [("manifest_empty", "SHA256SUMS")]


def test_missing_manifest_or_directory_fails(rc: Path, tmp_path: Path) -> None:
    (rc / "SHA256SUMS").unlink()
    assert fails(verify_artifacts(rc)) == [("manifest_missing", "SHA256SUMS")]
    absent = tmp_path / "absent"
    (finding,) = verify_artifacts(absent)
    assert (finding.rule, finding.status) == ("artifacts_dir_missing", Status.FAIL)
    assert str(absent) in finding.message


def test_malformed_and_duplicate_lines_fail(rc: Path) -> None:
    append(rc, "not a checksum line")
    append(rc, f"{sha256_file(rc / 'e2e-money-loop.txt')}  e2e-money-loop.txt")
    assert fails(verify_artifacts(rc)) == [("manifest_malformed", "SHA256SUMS:5"),
                                           ("manifest_malformed", "e2e-money-loop.txt")]


def test_binary_marker_uppercase_hex_and_dot_slash_accepted(rc: Path) -> None:
    lines = (rc / "SHA256SUMS").read_text().splitlines()
    digest, name = lines[0].split("  ")
    (rc / "SHA256SUMS").write_text("\n".join([f"{digest.upper()} *./{name}", *lines[1:]]) + "\n")
    assert fails(verify_artifacts(rc)) == []


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="GNU sha256sum not installed")
def test_gnu_escaped_file_names(rc: Path) -> None:
    (rc / "back\\slash.txt").write_text("escaped name\n")
    out = subprocess.run(["sha256sum", "back\\slash.txt"], cwd=rc, capture_output=True, text=True, check=True)
    assert out.stdout.startswith("\\")
    append(rc, out.stdout.rstrip("\n"))
    assert fails(verify_artifacts(rc)) == []


class ReadSpy:
    """Wraps a binary file handle and records the size of every read."""

    def __init__(self, handle: IO[Any], sizes: list[int]) -> None:
        self.handle, self.sizes = handle, sizes

    def __enter__(self) -> ReadSpy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()

    def read(self, size: int = -1) -> bytes:
        self.sizes.append(size)
        return bytes(self.handle.read(size))


def test_hashing_streams_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.bin"
    data = bytes(range(256)) * 20_000
    big.write_bytes(data)
    sizes: list[int] = []
    real_open = Path.open
    monkeypatch.setattr(artifacts_module, "_CHUNK", 4096)
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: ReadSpy(real_open(self, *a, **k), sizes))
    assert sha256_file(big) == hashlib.sha256(data).hexdigest()
    assert len(sizes) > len(data) // 4096 and set(sizes) == {4096}
