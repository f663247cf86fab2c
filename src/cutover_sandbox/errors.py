"""Domain errors that reach the client as `{"error_code": ..., "message": ...}` with an HTTP status."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status_code: int, error_code: str, message: str = "") -> None:
        super().__init__(message or error_code)
        self.status_code = status_code
        self.error_code = error_code
        self.message = message or error_code.replace("_", " ").lower()


def not_found(what: str = "transaction") -> ApiError:
    return ApiError(404, f"{what.upper()}_NOT_FOUND", f"{what} not found")


def illegal_transition(state: str, action: str) -> ApiError:
    return ApiError(409, "ILLEGAL_TRANSACTION_STATE_TRANSITION", f"cannot {action} a withdrawal in state {state!r}")


def idempotency_conflict() -> ApiError:
    return ApiError(409, "IDEMPOTENCY_KEY_REUSE_CONFLICT", "this Idempotency-Key was used with a different request")
