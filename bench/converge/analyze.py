#!/usr/bin/env python3
"""bench/converge/analyze.py SAMPLES OUT SYNC — the convergence table, results.json and cdf.png.

SAMPLES holds one JSON object per line, written by bench/converge/run: per event, N, mode and
node, the milliseconds from the operator's action until that node had applied it; "crosscheck"
lines (status.json's time against the first `wg show` listing the peer); "rss" lines (kB).
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
    samples_path, out, sync = sys.argv[1], sys.argv[2], sys.argv[3]
    interval_ms = int(float(sync.rstrip("s")) * 1000)
    groups = defaultdict(list)
    cross = defaultdict(list)
    rss = defaultdict(list)
    pss = defaultdict(list)
    private = defaultdict(list)
    for line in open(samples_path):
        s = json.loads(line)
        key = (s["n"], s["mode"])
        if s["event"] == "rss":
            rss[key].append(s["kb"])
            pss[key].append(s.get("pss_kb", 0))
            private[key].append(s.get("private_kb", 0))
        elif s["event"] == "crosscheck":
            cross[key].append(s["wg_show_ms"] - s["status_ms"])
        else:
            groups[(s["event"],) + key].append(s["ms"])

    events = ["approve-one", "endpoint-change", "remove-one", "remove-peer"]
    results = []
    print(f"\nconvergence (ms from the operator's action until each node applied it; sync interval {sync})")
    print(f"{'event':<16} {'N':>4} {'fast path':>9} {'nodes':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  target")
    for (event, n, mode), v in sorted(groups.items(), key=lambda kv: (events.index(kv[0][0]), kv[0][1], kv[0][2])):
        # SPEC §9: removal → every survivor on the new key p99 <= 2 s; any other operator action
        # applied everywhere p99 <= 1 s with the fast path, <= interval + 1 s without.
        target = 2000 if event.startswith("remove") and mode == "on" else (1000 if mode == "on" else interval_ms + 1000)
        row = {"event": event, "n": n, "fast_path": mode, "nodes": len(v), "p50": pct(v, 50), "p95": pct(v, 95),
               "p99": pct(v, 99), "max": max(v), "target_p99": target, "met": pct(v, 99) <= target}
        results.append(row)
        print(f"{event:<16} {n:>4} {mode:>9} {len(v):>6} {row['p50']:>7} {row['p95']:>7} {row['p99']:>7} {row['max']:>7}"
              f"  p99 <= {target} {'met' if row['met'] else 'MISSED'}")
    print("\nfast path against DNS polling alone (p99 ratio, off / on):")
    for event in events:
        for n in sorted({k[1] for k in groups if k[0] == event}):
            on, off = groups.get((event, n, "on")), groups.get((event, n, "off"))
            if on and off:
                print(f"  {event:<16} N={n:<4} {pct(off, 99) / max(1, pct(on, 99)):.1f}x")
    print("\n`wg show` against the agents' status (ms the device listed the peer after status said so):")
    for (n, mode), d in sorted(cross.items()):
        print(f"  N={n:<4} fast path {mode:<3}: {', '.join(str(x) for x in d)}")
    print("\nagent resident memory (target <= 6 MB RSS, wireguard-go apart; PSS shares the libraries' pages")
    print("out among the processes mapping them, private is the agent's own):")
    for (n, mode), kb in sorted(rss.items()):
        print(f"  N={n:<4} fast path {mode:<3}: RSS median {pct(kb, 50) / 1024:.1f} MB, max {max(kb) / 1024:.1f} MB"
              f" {'met' if max(kb) <= 6 * 1024 else 'MISSED'}; PSS max {max(pss[(n, mode)]) / 1024:.1f} MB;"
              f" private max {max(private[(n, mode)]) / 1024:.1f} MB ({len(kb)} agents)")
    json.dump({"sync": sync, "results": results,
               "crosscheck_ms": {f"{n}/{m}": d for (n, m), d in cross.items()},
               "rss_kb": {f"{n}/{m}": kb for (n, m), kb in rss.items()},
               "pss_kb": {f"{n}/{m}": kb for (n, m), kb in pss.items()},
               "private_kb": {f"{n}/{m}": kb for (n, m), kb in private.items()}},
              open(f"{out}/results.json", "w"), indent=1)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\n(no matplotlib: cdf.png not drawn)")
        return
    fig, axes = plt.subplots(1, len(events), figsize=(20, 4.5))
    for ax, event in zip(axes, events):
        for (e, n, mode), v in sorted(groups.items()):
            if e != event:
                continue
            s = sorted(v)
            ax.step(s, [(i + 1) / len(s) for i in range(len(s))], where="post",
                    label=f"N={n}, fast path {mode}", linestyle="-" if mode == "on" else "--")
        ax.set_xscale("log")
        ax.set_xlabel("ms until applied")
        ax.set_title(event)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("fraction of nodes")
    fig.tight_layout()
    fig.savefig(f"{out}/cdf.png", dpi=110)
    print(f"\nwrote {out}/results.json and {out}/cdf.png")


if __name__ == "__main__":
    main()
