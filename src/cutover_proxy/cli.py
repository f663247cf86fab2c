"""`cutover-proxy --upstream URL [--upstream URL ...] [--port N] [--latency-ms N] [--jitter-ms N --seed S]
[--record FILE]`

Several `--upstream`s make it a round-robin load balancer over them (replicas of one platform). Prints the proxy's
URL (and a `CUTOVER_PROXY_READY {json}` line for programs), then forwards until SIGTERM or Ctrl-C, and stops
everything. Exit 0 on a clean stop, 4 on a usage error (a non-loopback upstream, a port in use).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from types import FrameType

from cutover_proxy.server import FaultProxy

READY = "CUTOVER_PROXY_READY "


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cutover-proxy", description="A loopback HTTP fault proxy in front of a target.")
    p.add_argument("--upstream", required=True, action="append",
                   help="the target's base URL (loopback http:// only); repeat it for several replicas, which take "
                        "the requests in turn (round-robin)")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--latency-ms", type=float, default=0.0, help="fixed delay added to every request")
    p.add_argument("--jitter-ms", type=float, default=0.0, help="random 0..N ms delay added to every request")
    p.add_argument("--seed", type=int, default=None, help="seed of the jitter (reproducible delays)")
    p.add_argument("--record", default=None, metavar="FILE", help="append every exchange to FILE as JSON lines")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.latency_ms < 0 or args.jitter_ms < 0:
        print("cutover-proxy: delays cannot be negative", file=sys.stderr)
        return 4
    try:
        proxy = FaultProxy(args.upstream, port=args.port, record=args.record)
        proxy.start()
    except (ValueError, OSError) as exc:
        print(f"cutover-proxy: {exc}", file=sys.stderr)
        return 4
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if args.latency_ms:
            proxy.latency(args.latency_ms)
        if args.jitter_ms:
            proxy.jitter(args.jitter_ms, seed=args.seed)
        print(proxy.url, flush=True)
        print(READY + json.dumps({"url": proxy.url, "upstream": proxy.upstream_url,
                                  "upstreams": list(proxy.upstream_urls),
                                  "rules": [r.describe() for r in proxy.rules]}), flush=True)
        while not done.wait(0.5):
            pass
    finally:
        proxy.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(f"cutover-proxy: stopped after {len(proxy.log)} requests", file=sys.stderr, flush=True)
    return 0
