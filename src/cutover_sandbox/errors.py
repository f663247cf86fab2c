"""Domain errors that reach the client as `{"error_code": ..., "message": ...}` with an HTTP status."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status_code: int, error_code: str, message: str = "",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message or error_code)
        self.status_code = status_code
        self.error_code = error_code
        self.message = message or error_code.replace("_", " ").lower()
        self.headers = headers
        """Extra response headers (e.g. `Retry-After` of a 429)."""


def not_found(what: str = "transaction") -> ApiError:
    return ApiError(404, f"{what.upper()}_NOT_FOUND", f"{what} not found")


class IllegalTransition(ApiError):
    """A withdrawal action its current state does not allow; `state` and `action` let a dialect say it its way."""

    def __init__(self, state: str, action: str) -> None:
        super().__init__(409, "ILLEGAL_TRANSACTION_STATE_TRANSITION",
                         f"cannot {action} a withdrawal in state {state!r}")
        self.state = state
        self.action = action


def illegal_transition(state: str, action: str) -> ApiError:
    return IllegalTransition(state, action)


def idempotency_conflict() -> ApiError:
    return ApiError(409, "IDEMPOTENCY_KEY_REUSE_CONFLICT", "this Idempotency-Key was used with a different request")
