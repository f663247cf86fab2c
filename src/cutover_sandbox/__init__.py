"""The reference platform ("sandbox"): a payments backend implementing the contract the cutover suite talks to.

Start it with `cutover-sandbox serve` or, from Python, `with Sandbox() as sb: ...` (see `cutover_sandbox.server`).
Faults from the named catalogue in `cutover_sandbox.faults` make it break one runbook checklist line each.
"""

from cutover_sandbox.core.config import DEFAULT_GIT_SHA

__version__ = "0.1.0"

__all__ = ["DEFAULT_GIT_SHA", "__version__"]
