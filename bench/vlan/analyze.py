#!/usr/bin/env python3
"""bench/vlan/analyze.py SAMPLES OUT — the L2 overlay's figures, results.json and member-add.png.

SAMPLES holds one JSON object per line, written by bench/vlan/run: "member-add" and
"member-failure" times (ms, per add or per member), "arp" counts with neigh_suppress on and off,
"throughput" over the vlan and over wg0 with the largest unfragmented payloads, "memory" per node.
"""
import json
import math
import sys
from collections import defaultdict


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def main():
    samples_path, out = sys.argv[1], sys.argv[2]
    times = defaultdict(list)
    arp, throughput, memory = [], [], defaultdict(list)
    for line in open(samples_path):
        s = json.loads(line)
        if s["event"] in ("member-add", "member-failure"):
            times[(s["event"], s["n"], s["mode"])].append(s["ms"])
        elif s["event"] == "arp":
            arp.append(s)
        elif s["event"] == "throughput":
            throughput.append(s)
        elif s["event"] == "memory":
            memory[s["n"]].append(s)

    results = {"times": [], "arp": arp, "throughput": throughput, "memory": {}}
    print("\nthe L2 overlay (ms; member-add: from the operator's call until every other member reaches the new"
          " member's SVI; member-failure: from the underlay cut until its MACs left each member's FDB)")
    print(f"{'event':<15} {'N':>4} {'fast path':>9} {'samples':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  target")
    for (event, n, mode), v in sorted(times.items()):
        target = 1000 if (event == "member-failure" or (mode == "on" and n >= 50)) else None
        row = {"event": event, "n": n, "fast_path": mode, "samples": len(v), "p50": pct(v, 50), "p95": pct(v, 95),
               "p99": pct(v, 99), "max": max(v), "target_p99": target,
               "met": None if target is None else pct(v, 99) <= target}
        results["times"].append(row)
        verdict = "" if target is None else f"p99 <= {target} {'met' if row['met'] else 'MISSED'}"
        print(f"{event:<15} {n:>4} {mode:>9} {len(v):>8} {row['p50']:>7} {row['p95']:>7} {row['p99']:>7}"
              f" {row['max']:>7}  {verdict}")
    for n in sorted({k[1] for k in times}):
        on, off = times.get(("member-add", n, "on")), times.get(("member-add", n, "off"))
        if on and off:
            print(f"member-add N={n}: DNS polling alone / fast path, p99: {pct(off, 99) / max(1, pct(on, 99)):.1f}x")
    print("\nARP requests that crossed VXLAN during a ping sweep of every member (neigh_suppress on / off):")
    for a in arp:
        print(f"  N={a['n']:<4} {a['members']} members: {a['suppressed']} / {a['unsuppressed']}")
    print("\nthroughput between two members (iperf3, TCP), and the largest ICMP payload sent with DF:")
    for t in throughput:
        ratio = t["vlan_bps"] / max(1, t["wg0_bps"])
        t["ratio"] = ratio
        print(f"  N={t['n']:<4} vlan {t['vlan_bps'] / 1e6:.0f} Mbit/s, wg0 {t['wg0_bps'] / 1e6:.0f} Mbit/s:"
              f" {ratio:.2f}x (target >= 0.9x {'met' if ratio >= 0.9 else 'MISSED'});"
              f" payload vlan {t['vlan_payload']} B, wg0 {t['wg0_payload']} B")
    print("\nresident memory per node:")
    for n, rows in sorted(memory.items()):
        agent = [r["agent_kb"] for r in rows]
        frr = [r["frr_kb"] for r in rows]
        results["memory"][n] = {"agent_kb": agent, "frr_kb": frr}
        print(f"  N={n:<4} agent median {pct(agent, 50) / 1024:.1f} MB, max {max(agent) / 1024:.1f} MB"
              f" (target <= 6 MB {'met' if max(agent) <= 6 * 1024 else 'MISSED'});"
              f" FRR (zebra+bfdd+bgpd) median {pct(frr, 50) / 1024:.1f} MB, max {max(frr) / 1024:.1f} MB")
    json.dump(results, open(f"{out}/results.json", "w"), indent=1)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\n(no matplotlib: member-add.png not drawn)")
        return
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, event in zip(axes, ["member-add", "member-failure"]):
        for (e, n, mode), v in sorted(times.items()):
            if e != event:
                continue
            s = sorted(v)
            ax.step(s, [(i + 1) / len(s) for i in range(len(s))], where="post",
                    label=f"N={n}, fast path {mode}", linestyle="-" if mode == "on" else "--")
        ax.set_xscale("log")
        ax.set_xlabel("ms")
        ax.set_title(event)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("fraction")
    fig.tight_layout()
    fig.savefig(f"{out}/member-add.png", dpi=110)
    print(f"\nwrote {out}/results.json and {out}/member-add.png")


if __name__ == "__main__":
    main()
