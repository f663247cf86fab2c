"""Benchmarks that print figures (no assertions): sandbox cold boot, and the gate's T-15 + T-0 wall time.

    python bench/bench_gate.py [--runs 3]

1. Sandbox boot: `cutover-sandbox serve --port 0` until its READY line (PostgreSQL initdb + start, migrations, seed,
   HTTP up), with the initdb cache off (truly cold) and on (the default).
2. `pytest -m "t15 or t0"` against an already running sandbox (what the deployer and the payments owner wait for),
   and the same for the canary money loop and the smoke alone.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READY = "CUTOVER_SANDBOX_READY "
RELEASE = "060f1658c0f32b260ef61eddb625805d5849d8b7"


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CUTOVER_", "RELEASE_SHA"))}
    for line in (ROOT / "fixtures" / "sandbox.env").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    env.update(extra or {})
    return env


@contextmanager
def sandbox(extra_env: dict[str, str] | None = None) -> Iterator[tuple[float, dict[str, str]]]:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "cutover_sandbox", "serve", "--port", "0", "--git-sha", RELEASE],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env(extra_env))
    assert proc.stdout is not None
    info: dict[str, str] = {}
    for line in proc.stdout:
        if line.startswith(READY):
            info = json.loads(line[len(READY):])
            break
    elapsed = time.perf_counter() - start
    try:
        if not info:
            raise SystemExit("sandbox did not start")
        yield elapsed, info
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        proc.stdout.close()


def gate_run(url: str, dsn: str, marker: str, keyword: str | None = None) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--reports-dir={tmp}/reports",
               "--target-url", url, "--env-name", "staging", f"--cutover-file={ROOT / 'fixtures' / 'cutover.toml'}",
               "-m", marker]
        if keyword:
            cmd += ["-k", keyword]
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=_env({"CUTOVER_DB_DSN": dsn}), capture_output=True, text=True,
                              check=False)
        return time.perf_counter() - start, proc.returncode


def summary(label: str, values: list[float]) -> None:
    print(f"{label:<52} min {min(values):6.2f} s   median {statistics.median(values):6.2f} s   "
          f"max {max(values):6.2f} s   (n={len(values)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")

    cold = []
    for _ in range(args.runs):
        with sandbox({"CUTOVER_PG_CACHE_DIR": "off"}) as (elapsed, _info):
            cold.append(elapsed)
    summary("sandbox boot, cold (no initdb cache)", cold)
    warm = []
    for _ in range(args.runs):
        with sandbox() as (elapsed, _info):
            warm.append(elapsed)
    summary("sandbox boot (initdb cache on, the default)", warm)

    with sandbox() as (_elapsed, info):
        for label, marker, keyword in (
            ('pytest -m "t15 or t0" (smoke, canary, webhook kit)', "t15 or t0", None),
            ('pytest -m "t15 or t0" -k "not webhook" (smoke+canary)', "t15 or t0", "not webhook and not idempotency"),
            ("pytest -m t15 (smoke)", "t15", None),
        ):
            times, codes = [], []
            for _ in range(args.runs):
                elapsed, code = gate_run(info["url"], info["dsn"], marker, keyword)
                times.append(elapsed)
                codes.append(code)
            summary(label, times)
            if any(codes):
                print(f"  note: exit codes {codes} (non-zero = the gate did not pass)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
