"""The product's own loopback fault proxy: put it between the gate and a target to prove the gate against faults
below the application (latency, jitter, hangs, connection resets, a target dying mid-run, 5xx bursts), and record
what crossed it. Standard library only; it imports nothing of the gate or the sandbox.

    from cutover_proxy import FaultProxy

    with FaultProxy(sandbox_url, record="proxy.jsonl") as proxy:
        proxy.hang(method="POST", path=r"/api/v1/player/wallet/withdraw")
        ...  # run the client against proxy.url
        outcomes = [e.outcome for e in proxy.log]
"""

from cutover_proxy.recording import Exchange
from cutover_proxy.rules import Rule
from cutover_proxy.server import FaultProxy

__all__ = ["Exchange", "FaultProxy", "Rule"]
