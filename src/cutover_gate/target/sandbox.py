"""Boot the embedded reference platform for a session when no target URL is given.

It runs `python -m cutover_sandbox serve` as a child process (the same thing a user starts by hand), reads its READY
line, and stops it with SIGTERM at the end of the session. Its output goes, redacted, to `sandbox.log`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from cutover_gate.config.settings import GateSettings
from cutover_gate.core.redact import REDACTOR

READY = "CUTOVER_SANDBOX_READY "
BOOT_TIMEOUT_S = 120.0


class SandboxBootError(RuntimeError):
    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage
        """The sandbox refused its input (exit code 2: an unknown fault name), not a failure to start."""


USAGE_EXIT = 2


@dataclass
class SandboxInfo:
    url: str
    dsn: str
    bindir: str | None
    faults: list[str]
    git_sha: str | None


class EmbeddedSandbox:
    def __init__(self, *, git_sha: str | None, env: dict[str, str], log_path: Path) -> None:
        self.git_sha = git_sha
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[str] | None = None
        self.info: SandboxInfo | None = None
        self._lines: list[str] = []
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None

    def start(self) -> SandboxInfo:
        cmd = [sys.executable, "-m", "cutover_sandbox", "serve", "--port", "0"]
        if self.git_sha:
            cmd += ["--git-sha", self.git_sha]
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1", "CUTOVER_SANDBOX_PARENT_PID": str(os.getpid())}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     text=True, env=env, start_new_session=True)
        assert self.proc.stdout is not None
        self._reader = threading.Thread(target=self._drain, args=(self.proc.stdout,), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        while not self._ready.wait(0.1):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self._reader.join(timeout=2)
                tail = " | ".join(line.strip() for line in self._lines[-5:] if line.strip())
                code = self.proc.poll()
                self.stop()
                if code == USAGE_EXIT:
                    raise SandboxBootError(f"the embedded sandbox refused its input: {tail or 'no output'}",
                                           usage=True)
                why = f"exited with code {code}" if code is not None else f"not ready after {BOOT_TIMEOUT_S:g} s"
                raise SandboxBootError(f"embedded sandbox {why}: {tail or 'no output'}")
        assert self.info is not None
        return self.info

    def _drain(self, stream: IO[str]) -> None:
        with open(self.log_path, "a", encoding="utf-8") as log:
            for line in stream:
                if line.startswith(READY) and self.info is None:
                    data = json.loads(line[len(READY):])
                    self.info = SandboxInfo(url=data["url"], dsn=data["dsn"], bindir=data.get("bindir"),
                                            faults=list(data.get("faults", [])), git_sha=data.get("git_sha"))
                    REDACTOR.register(_dsn_password(self.info.dsn))
                    self._ready.set()
                    line = READY + "{...}\n"
                self._lines.append(REDACTOR.scrub(line))
                log.write(REDACTOR.scrub(line))
                log.flush()

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        if self._reader is not None:
            self._reader.join(timeout=5)


def _dsn_password(dsn: str) -> str | None:
    from psycopg.conninfo import conninfo_to_dict

    try:
        value = conninfo_to_dict(dsn).get("password")
    except Exception:  # a DSN we cannot parse has nothing to register
        return None
    return str(value) if value else None


def sandbox_env(settings: GateSettings) -> dict[str, str]:
    """The credentials the embedded sandbox is seeded with: the same the suite uses, so both always agree."""
    env: dict[str, str] = {}
    if settings.admin_email:
        env["CUTOVER_ADMIN_EMAIL"] = settings.admin_email
    for name, var in (("admin_password", "CUTOVER_ADMIN_PASSWORD"), ("webhook_secret", "CUTOVER_WEBHOOK_SECRET"),
                      ("adyen_hmac_key", "CUTOVER_ADYEN_HMAC_KEY"), ("stripe_webhook_secret",
                                                                     "CUTOVER_STRIPE_WEBHOOK_SECRET"),
                      ("verify_code", "CUTOVER_VERIFY_CODE")):
        secret = settings.secret(name)
        if secret is not None:
            env[var] = secret.reveal()
    return env


def boot_sandbox(settings: GateSettings) -> tuple[EmbeddedSandbox, SandboxInfo]:
    box = EmbeddedSandbox(git_sha=settings.release_sha, env=sandbox_env(settings),
                          log_path=settings.reports_dir / "sandbox.log")
    return box, box.start()
