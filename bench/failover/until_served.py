#!/usr/bin/env python3
"""bench/failover/until_served.py LAB T0_MS AUTHORITY TIMEOUT_S NODE...

Polls each NODE's status.json (every 10 ms) until its /watch is connected to AUTHORITY
("<id10>.<domain>:8443"); prints one JSON object: the milliseconds from T0_MS (the wall clock
when the other scout was killed) to the first poll that saw it, per node, and the nodes that
never moved within TIMEOUT_S.
"""
import json
import sys
import time


def main():
    lab, t0, authority, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    nodes = sys.argv[5:]
    want = "connected to " + authority
    moved, end = {}, time.time() + timeout
    while len(moved) < len(nodes) and time.time() < end:
        for n in nodes:
            if n in moved:
                continue
            try:
                with open(f"{lab}/n{n}/status.json") as f:
                    watch = json.load(f).get("watch", "")
            except (OSError, ValueError):
                continue  # being replaced: read it at the next poll
            if watch == want:
                moved[n] = int(time.time() * 1000) - t0
        time.sleep(0.01)
    print(json.dumps({"ms": moved, "stuck": [n for n in nodes if n not in moved]}))


if __name__ == "__main__":
    main()
