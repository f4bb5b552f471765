#!/usr/bin/env python3
"""Tabulate several runs of the peers harness against issue 15's targets.

Each run is one `../shared/bench/peers/run.sh . --json FILE`; single runs move by several
percent, so the verdict is read over many. Usage, from the project root:
    scripts/peers-runs.py target/peers-bench/target/peers-run{21..34}.json
Prints this crate's ratios to raw per run with `openstack`'s beside them, which targets each
run meets (at the report's two decimals), and the median ratio of every client over the runs.
Then each ratio's geometric mean over all the runs with a 95 % interval, which says whether a
client differs from raw at all and whether a target holds beyond the noise. Latency and
throughput are paired rep by rep (within a rep the clients run seconds apart, so the ratio to
raw's figure in the same rep cancels most of the machine's drift); CPU is reported per run
only, so its ratios are per run.
"""
import json
import math
import os
import statistics
import sys

OURS, PEER = "openstack-compute", "openstack"


def ratios(run):
    """{client: {cell: ratio to raw}} for one run's JSON."""
    lat = {r["client"]: r for r in run["latency"]}
    thr = {r["client"]: r for r in run["throughput"]}

    def cpu(r):
        return r["cpu_user_us_per_action"] + r["cpu_sys_us_per_action"]

    return {
        c: {
            "seq. latency": lat[c]["median_us"] / lat["raw"]["median_us"],
            "seq. CPU": cpu(lat[c]) / cpu(lat["raw"]),
            "throughput": thr[c]["median_actions_per_s"] / thr["raw"]["median_actions_per_s"],
            "CPU, 64 in flight": cpu(thr[c]) / cpu(thr["raw"]),
        }
        for c in lat
    }


def misses(ours, peer):
    """The cells where `ours` misses a target, compared as the report prints them."""
    r = {k: round(v, 2) for k, v in ours.items()}
    p = {k: round(v, 2) for k, v in peer.items()}
    out = []
    if r["seq. latency"] > 1.03:
        out.append("seq. latency")
    if r["throughput"] < 0.97:
        out.append("throughput")
    for cell in ("seq. CPU", "CPU, 64 in flight"):
        if r[cell] > p[cell] or r[cell] > 1.05:
            out.append(cell)
    return out


def main(paths):
    runs = [(path, ratios(json.load(open(path)))) for path in paths]
    cells = list(runs[0][1][OURS])
    print(f"| run | {' | '.join(f'{c} ({PEER})' for c in cells)} | targets |")
    print("|---" * (len(cells) + 2) + "|")
    met = 0
    for path, r in runs:
        missed = misses(r[OURS], r[PEER])
        met += not missed
        row = " | ".join(f"{r[OURS][c]:.2f} ({r[PEER][c]:.2f})" for c in cells)
        print(f"| {os.path.basename(path)} | {row} | {'missed: ' + ', '.join(missed) if missed else 'all met'} |")
    print(f"\n{met} of {len(runs)} runs meet every target. Median ratio to raw over the runs:\n")
    print(f"| | {' | '.join(cells)} |")
    print("|---" * (len(cells) + 1) + "|")
    for client in runs[0][1]:
        if client != "raw":
            medians = (statistics.median(r[client][c] for _, r in runs) for c in cells)
            print(f"| {client} | {' | '.join(f'{m:.2f}' for m in medians)} |")
    intervals([json.load(open(path)) for path in paths])


# Two-sided 95 % quantiles of Student's t by degrees of freedom (a smaller df is the safe side).
T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26,
       10: 2.23, 12: 2.18, 15: 2.13, 20: 2.09, 25: 2.06, 30: 2.04, 40: 2.02, 60: 2.00, 120: 1.98}


def t95(df):
    return T95[max(k for k in T95 if k <= df)]


def intervals(docs):
    """Geometric mean and 95 % interval (Student's t) of the ratios to raw: latency and
    throughput per rep, CPU per run (the harness reports CPU per run, not per rep)."""

    def cpu(r):
        return r["cpu_user_us_per_action"] + r["cpu_sys_us_per_action"]

    cells = {
        "seq. latency (per rep)": lambda d: per_rep(d, "latency", "rep_medians_us"),
        "seq. CPU (per run)": lambda d: per_run(d, "latency", cpu),
        "throughput (per rep)": lambda d: per_rep(d, "throughput", "reps_actions_per_s"),
        "CPU, 64 in flight (per run)": lambda d: per_run(d, "throughput", cpu),
    }

    def per_rep(d, mode, key):
        by = {r["client"]: r[key] for r in d[mode]}
        return lambda client: [a / b for a, b in zip(by[client], by["raw"])]

    def per_run(d, mode, figure):
        by = {r["client"]: figure(r) for r in d[mode]}
        return lambda client: [by[client] / by["raw"]]

    reps = sum(len(d["latency"][0]["rep_medians_us"]) for d in docs)
    print(f"\nRatio to raw within the same rep ({reps} reps) or run ({len(docs)} runs): geometric mean [95 % interval]:\n")
    print(f"| | {' | '.join(cells)} |")
    print("|---" * (len(cells) + 1) + "|")
    for client in (r["client"] for r in docs[0]["latency"]):
        if client == "raw":
            continue
        shown = []
        for ratios_of in cells.values():
            logs = [math.log(x) for d in docs for x in ratios_of(d)(client)]
            if len(logs) < 2:
                shown.append(f"{math.exp(logs[0]):.3f}")
                continue
            mean = statistics.mean(logs)
            half = t95(len(logs) - 1) * statistics.stdev(logs) / math.sqrt(len(logs))
            shown.append(f"{math.exp(mean):.3f} [{math.exp(mean - half):.3f}, {math.exp(mean + half):.3f}]")
        print(f"| {client} | {' | '.join(shown)} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
