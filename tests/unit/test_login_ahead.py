"""T-15's admin login started with the run's first scenario (steps/common.login_ahead) is taken only while fresh: a
login that failed in the background, or one older than READ_AHEAD_AGE_S (a long snapshot in between, a token that
may have expired), makes the login step log in again."""

from __future__ import annotations

import time
from concurrent.futures import Future
from typing import Any

from steps.ahead import READ_AHEAD_AGE_S
from steps.common import ADMIN_LOGIN_AHEAD, Shared, ahead_login


def started(value: Any = None, error: Exception | None = None) -> Shared:
    shared = Shared()
    future: Future[Any] = Future()
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)
    shared.background[ADMIN_LOGIN_AHEAD] = future
    return shared


def test_a_fresh_login_started_ahead_is_taken() -> None:
    answer = object()
    assert ahead_login(started((answer, time.monotonic()))) is answer


def test_none_started_none_taken() -> None:
    assert ahead_login(Shared()) is None


def test_an_old_login_is_not_taken() -> None:
    assert ahead_login(started((object(), time.monotonic() - READ_AHEAD_AGE_S - 1))) is None


def test_a_login_that_failed_beside_the_scenarios_is_asked_again() -> None:
    assert ahead_login(started(error=ConnectionError("reset"))) is None
