"""Fixtures the step modules use: the gate session, the target client, the database, the evidence recorder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from .client import TargetClient
from .db import Database
from .recorder import Evidence
from .sandbox_boot import EmbeddedSandbox, SandboxInfo
from .secrets import Secret
from .settings import GateSettings

SETTINGS = pytest.StashKey[GateSettings]()
SANDBOX = pytest.StashKey[SandboxInfo]()


@dataclass
class Gate:
    settings: GateSettings
    url: str
    dsn: Secret | None
    sandbox: SandboxInfo | None = None

    def __repr__(self) -> str:  # reports (Allure step parameters) show this: the target, nothing else
        return f"Gate(target={self.url!r}, env={self.settings.env_name!r}, release={self.settings.release_sha!r})"


def sandbox_env(settings: GateSettings) -> dict[str, str]:
    """The credentials the embedded sandbox is seeded with: the same the suite uses, so both always agree."""
    env: dict[str, str] = {}
    if settings.admin_email:
        env["CUTOVER_ADMIN_EMAIL"] = settings.admin_email
    for name, var in (("admin_password", "CUTOVER_ADMIN_PASSWORD"), ("webhook_secret", "CUTOVER_WEBHOOK_SECRET"),
                      ("adyen_hmac_key", "CUTOVER_ADYEN_HMAC_KEY"),
                      ("stripe_webhook_secret", "CUTOVER_STRIPE_WEBHOOK_SECRET")):
        secret = settings.secret(name)
        if secret is not None:
            env[var] = secret.reveal()
    return env


def boot_sandbox(settings: GateSettings) -> tuple[EmbeddedSandbox, SandboxInfo]:
    box = EmbeddedSandbox(git_sha=settings.release_sha, env=sandbox_env(settings),
                          log_path=settings.reports_dir / "sandbox.log")
    return box, box.start()


def gate_from(settings: GateSettings, info: SandboxInfo | None) -> Gate:
    if info is not None:
        dsn_env = os.environ.get("CUTOVER_DB_DSN")
        dsn = Secret(dsn_env or info.dsn, "CUTOVER_DB_DSN")
        return Gate(settings, info.url.rstrip("/"), dsn, info)
    assert settings.target_url is not None
    return Gate(settings, settings.target_url, settings.secret("db_dsn"))


@pytest.fixture(scope="session")
def gate(request: pytest.FixtureRequest) -> Iterator[Gate]:
    config = request.config
    settings = config.stash[SETTINGS]
    if not settings.embedded:
        yield gate_from(settings, None)
        return
    info = config.stash.get(SANDBOX, None)
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if info is None and workerinput and workerinput.get("cutover_sandbox"):
        info = SandboxInfo(**workerinput["cutover_sandbox"])
    if info is not None:
        yield gate_from(settings, info)
        return
    box, info = boot_sandbox(settings)
    try:
        yield gate_from(settings, info)
    finally:
        box.stop()


@pytest.fixture(scope="session")
def target(gate: Gate) -> Iterator[TargetClient]:
    client = TargetClient(gate.url, gate.settings.profile)
    yield client
    client.close()


@pytest.fixture
def evidence(request: pytest.FixtureRequest, target: TargetClient) -> Iterator[Evidence]:
    ev = Evidence(request.node)
    previous = target.on_exchange
    target.on_exchange = lambda ex: ev.http(ex.to_json())
    yield ev
    target.on_exchange = previous


@pytest.fixture(scope="session")
def database(gate: Gate) -> Database:
    return Database(gate.dsn, gate.settings.profile)
