#!/usr/bin/env python3
"""bench/vlan/analyze.py SAMPLES OUT — the L2 overlay's figures, results.json and member-add.png.

SAMPLES holds one JSON object per line, written by bench/vlan/run: "member-add" and
"member-failure" times (ms, per add or per member), "arp" counts with neigh_suppress on and off,
"iperf3" runs over the vlan and over wg0, the largest unfragmented "payload" on each, "memory" per
node.
"""
import json
import math
import statistics
import sys
from collections import defaultdict


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def main():
    samples_path, out = sys.argv[1], sys.argv[2]
    times = defaultdict(list)
    arp, payload, memory = [], [], defaultdict(list)
    iperf = defaultdict(list)
    for line in open(samples_path):
        s = json.loads(line)
        if s["event"] in ("member-add", "member-failure"):
            times[(s["event"], s["n"], s["mode"])].append(s["ms"])
        elif s["event"] == "arp":
            arp.append(s)
        elif s["event"] == "iperf3":
            iperf[(s["n"], s["path"])].append(s["bps"])
        elif s["event"] == "payload":
            payload.append(s)
        elif s["event"] == "memory":
            memory[s["n"]].append(s)

    results = {"times": [], "arp": arp, "throughput": [], "payload": payload, "memory": {}}
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
    print("\nthroughput between two members (iperf3, TCP, median of alternating runs), and the largest"
          " ICMP payload sent with DF:")
    for n in sorted({k[0] for k in iperf}):
        vlan, wg0 = iperf[(n, "vlan")], iperf[(n, "wg0")]
        if not vlan or not wg0:
            continue
        ratio = statistics.median(vlan) / max(1, statistics.median(wg0))
        results["throughput"].append({"n": n, "vlan_bps": vlan, "wg0_bps": wg0, "ratio_of_medians": ratio,
                                      "met": ratio >= 0.9})
        print(f"  N={n:<4} vlan {statistics.median(vlan) / 1e6:.0f} Mbit/s ({min(vlan) / 1e6:.0f}-{max(vlan) / 1e6:.0f}),"
              f" wg0 {statistics.median(wg0) / 1e6:.0f} Mbit/s ({min(wg0) / 1e6:.0f}-{max(wg0) / 1e6:.0f}),"
              f" {len(vlan)} runs each: {ratio:.2f}x (target >= 0.9x {'met' if ratio >= 0.9 else 'MISSED'})")
    for p in payload:
        print(f"  N={p['n']:<4} payload vlan {p['vlan']} B, wg0 {p['wg0']} B")
    print("\nresident memory per node:")
    for n, rows in sorted(memory.items()):
        agent = [r["agent_kb"] for r in rows]
        anon = [r["agent_anon_kb"] for r in rows]
        pss = [r["agent_pss_kb"] for r in rows]
        frr = [r["frr_kb"] for r in rows]
        results["memory"][n] = {"agent_kb": agent, "agent_anon_kb": anon, "agent_pss_kb": pss, "frr_kb": frr}
        print(f"  N={n:<4} agent RSS median {pct(agent, 50) / 1024:.1f} MB, max {max(agent) / 1024:.1f} MB"
              f" (target <= 6 MB {'met' if max(agent) <= 6 * 1024 else 'MISSED'}); of it anonymous median"
              f" {pct(anon, 50) / 1024:.1f} MB, max {max(anon) / 1024:.1f} MB; PSS median {pct(pss, 50) / 1024:.1f} MB")
        print(f"  N={n:<4} FRR (zebra+bfdd+bgpd) RSS median {pct(frr, 50) / 1024:.1f} MB, max {max(frr) / 1024:.1f} MB")
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
