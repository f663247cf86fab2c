"""The alt dialect's request dependencies: its idempotency header, and the default ones it shares."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from cutover_sandbox.api.deps import require_idempotency_key

REQUEST_ID_HEADER = "X-Request-Id"


def require_request_id(x_request_id: Annotated[str | None, Header()] = None) -> str:
    """The idempotency key of an alt write: `X-Request-Id`, with the contract's rules (missing -> 400)."""
    return require_idempotency_key(x_request_id)


RequestId = Annotated[str, Depends(require_request_id)]
