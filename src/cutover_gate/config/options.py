"""The suite's command-line options and ini keys (CONTRACT §2)."""

from __future__ import annotations

import pytest

from cutover_gate.core.catalogue import LANGS

ENV_NAMES = ("prod", "staging", "sandbox")


def addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cutover", "go-live cutover gate")
    group.addoption("--target-url", default=None,
                    help="base URL of the platform under test (env CUTOVER_TARGET_URL); absent: the embedded sandbox")
    group.addoption("--profile", default=None, help="TOML profile for a platform that differs from the contract")
    group.addoption("--env-name", choices=ENV_NAMES, default=None,
                    help="prod turns on the safety guards (default: sandbox for the embedded sandbox, else prod)")
    group.addoption("--release-sha", default=None, help="the release SHA or tag being cut over (env RELEASE_SHA)")
    group.addoption("--lang", choices=LANGS, default="en", help="Gherkin set and sign-off artifact language")
    group.addoption("--reports-dir", default=None, help="where the artifacts are written (default reports/)")
    group.addoption("--decider", default=None, help="who decides GO/NO-GO (default: the incident commander)")
    group.addoption("--cutover-file", default=None,
                    help="cutover TOML (owners, canary amounts, inputs; env CUTOVER_FILE); sandbox: fixtures/")
    group.addoption("--plan", action="store_true", default=False,
                    help="list the checklist lines the selection would run and which are already satisfied; "
                         "sends nothing to the target")
    parser.addini("cutover_gate", type="bool", default=False,
                  help="run as the cutover gate (decision and sign-off artifacts) in this rootdir")
