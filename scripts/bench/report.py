"""Figures and reports of scripts/bench/harness.py: per-order arithmetic
over rusage snapshots, the machine's description, and the compare report."""

import os
import platform
import statistics
import subprocess
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADD_ORDER = "/0/private/AddOrder"


def per_order(end, start, orders):
    """Steady-state figures per order between two snapshots."""
    return {
        "user": (end["user"] - start["user"]) / orders,
        "sys": (end["sys"] - start["sys"]) / orders,
        "cpu": (end["user"] + end["sys"] - start["user"] - start["sys"]) / orders,
        "csw": (end["csw"] - start["csw"]) / orders,
        "wall": (end["wall"] - start["wall"]) / orders,
        "paths": minus(end["requests"], start["requests"]),
        "orders": orders,
    }


def total(requests):
    return sum(requests.values())


def minus(a, b):
    return {k: a.get(k, 0) - b.get(k, 0) for k in sorted(set(a) | set(b)) if a.get(k, 0) - b.get(k, 0)}


def median(values):
    return statistics.median(values)


def ms(seconds):
    return f"{seconds * 1000:.2f} ms"


def short(path):
    return path.rsplit("/", 1)[-1]


def before_add_order(paths):
    if ADD_ORDER not in paths:
        return paths
    return paths[: paths.index(ADD_ORDER)]


def machine():
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": model,
        "kernel": platform.release(),
        "load": load,
    }


def header(args, title):
    m = machine()
    rev = subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(f"## {title}\n")
    print(f"- command: `{args.command_line}`")
    print(f"- date: {m['date']}; tradehost at commit {rev or 'unknown'}")
    print(f"- machine: nproc={m['nproc']}, CPU: {m['cpu']}, kernel {m['kernel']}, load average at the end {m['load']}")



def report_compare(args, per_round, th_trace, cx_trace, n_cycles, rounds, symbol, amount):
    def med(client, key):
        return median([row[client][key] for row in per_round])

    def med_paths(client):
        keys = sorted({k for row in per_round for k in row[client]["paths"]})
        return {k: median([row[client]["paths"].get(k, 0) for row in per_round]) for k in keys}

    versions = per_round[0]["versions"]
    ccxt_label = f"ccxt {versions['ccxt']} (Python {versions['python']})"
    cpu = {c: med(c, "cpu") for c in ("ccxt", "tradehost")}
    wall = {c: med(c, "wall") for c in ("ccxt", "tradehost")}
    paths = {c: med_paths(c) for c in ("ccxt", "tradehost")}
    orders = {c: per_round[0][c]["orders"] for c in ("ccxt", "tradehost")}
    # Steady state: the last BUY and SELL of the trace (the first cycle warms up).
    def last_paths(trace, action):
        return [t for t in trace if t["decision"]["action"] == action][-1]["paths"]

    steady = {
        side: {"tradehost": last_paths(th_trace, side), "ccxt": last_paths(cx_trace, side)}
        for side in ("BUY", "SELL")
    }

    header(args, "tradehost vs ccxt: market orders against the fake Kraken")
    print(
        f"- workload: {n_cycles} BUY+SELL cycles on {symbol} ({2 * n_cycles} market orders, BUY {amount} USD,"
        f" SELL the whole position), SQLite, no rate limits, fake Kraken on loopback without added latency;"
        f" median of {rounds} alternating rounds"
    )
    print(
        "- method: steady state leaves out each client's start-up and first cycle. ccxt: getrusage(RUSAGE_SELF)"
        " and perf_counter read inside the executor after load_markets and the first cycle, and at the end."
        " tradehost: `tradehost run` on the full file minus the same binary on the first cycle alone (fresh"
        f" fake and database each), divided by the {orders['tradehost']} orders in between; CPU and context"
        " switches from wait4's rusage."
        " Requests from the fake's /__fake/stats, per order."
    )
    print()
    print(f"| per order, steady state | {ccxt_label} | tradehost | ccxt ÷ tradehost |")
    print("|---|---|---|---|")
    print(f"| CPU (user+sys) | {ms(cpu['ccxt'])} | {ms(cpu['tradehost'])} | {cpu['ccxt'] / cpu['tradehost']:.2f}× |")
    split = {c: f"{ms(med(c, 'user'))} / {ms(med(c, 'sys'))}" for c in cpu}
    print(f"| CPU user / sys | {split['ccxt']} | {split['tradehost']} | |")
    print(f"| context switches | {med('ccxt', 'csw'):.1f} | {med('tradehost', 'csw'):.1f} | |")
    print(f"| wall | {ms(wall['ccxt'])} | {ms(wall['tradehost'])} | {wall['ccxt'] / wall['tradehost']:.2f}× |")
    req = {c: total(paths[c]) / orders[c] for c in paths}
    print(f"| exchange requests | {req['ccxt']:.2f} | {req['tradehost']:.2f} | |")
    for side in ("BUY", "SELL"):
        cells = []
        for c in ("ccxt", "tradehost"):
            before = before_add_order(steady[side][c])
            names = ", ".join(short(p) for p in before) or "none"
            cells.append(f"{len(before)} ({names})")
        print(f"| requests before AddOrder, one {side} | {cells[0]} | {cells[1]} | |")
    for side in ("BUY", "SELL"):
        cells = [" → ".join(short(p) for p in steady[side][c]) for c in ("ccxt", "tradehost")]
        print(f"| requests of one {side}, in order | {cells[0]} | {cells[1]} | |")
    first = [" → ".join(short(p) for p in t[0]["paths"]) for t in (cx_trace, th_trace)]
    print(f"| requests of the first BUY of a process | {first[0]} | {first[1]} | |")
    print()
    print("| once per process | ccxt | tradehost |")
    print("|---|---|---|")
    start = {c: (med(c, "startup_cpu"), med(c, "startup_wall")) for c in ("ccxt", "tradehost")}
    print(
        f"| start-up: CPU / wall | {ms(start['ccxt'][0])} / {ms(start['ccxt'][1])}"
        " (interpreter, import ccxt, load_markets; wall includes exit) |"
        f" {ms(start['tradehost'][0])} / {ms(start['tradehost'][1])}"
        " (`tradehost run` on no decisions: start, database, cached driver, exit) |"
    )
    c_sr = per_round[0]["ccxt"]["startup_requests"]
    t_sr = per_round[0]["tradehost"]["startup_requests"]
    fmt = lambda r: ", ".join(f"{short(k)} {v}" for k, v in r.items()) or "none"  # noqa: E731
    print(f"| start-up requests | {fmt(c_sr)} | {fmt(t_sr)} |")
    executed = per_round[0]["tradehost"]["executed"]
    print(
        f"| whole process, {executed} orders: CPU / wall |"
        f" {ms(med('ccxt', 'process_cpu'))} / {ms(med('ccxt', 'process_wall'))} |"
        f" {ms(med('tradehost', 'process_cpu'))} / {ms(med('tradehost', 'process_wall'))} |"
    )
    # Whole-process CPU of n orders is start-up + n × per order: where the lines cross.
    extra = cpu["tradehost"] - cpu["ccxt"]
    saved = start["ccxt"][0] - start["tradehost"][0]
    if extra > 0 and saved > 0:
        verdict = f"tradehost uses less CPU up to ≈ {saved / extra:.0f} orders per process, ccxt beyond"
    elif extra <= 0 and saved >= 0:
        verdict = "tradehost uses less CPU at any number of orders per process"
    elif extra > 0:
        verdict = "ccxt uses less CPU at any number of orders per process"
    else:
        verdict = f"ccxt uses less CPU up to ≈ {saved / extra:.0f} orders per process, tradehost beyond"
    print()
    print(f"CPU break-even (start-up + orders × steady state): {verdict}.")
    print()
    print("| requests per order, by path | ccxt | tradehost |")
    print("|---|---|---|")
    for p in sorted(set(paths["ccxt"]) | set(paths["tradehost"])):
        cells = [f"{paths[c].get(p, 0) / orders[c]:.2f}" for c in ("ccxt", "tradehost")]
        print(f"| {p} | {cells[0]} | {cells[1]} |")
    print()
    print("Per round (CPU ms per order ccxt / tradehost):", ", ".join(
        f"{row['ccxt']['cpu'] * 1000:.2f} / {row['tradehost']['cpu'] * 1000:.2f}" for row in per_round
    ))
    print(f"Raw numbers and traces: {args.scratch / 'results-compare.json'}")
