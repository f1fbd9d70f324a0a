#!/usr/bin/env python3
"""Runs the benchmarks of scripts/bench-vs-ccxt.sh (stdlib only).

  harness.py compare   tradehost vs the ccxt executor, same decisions, same fake
  harness.py batch     tradehost run over many assets with exchange latency

Every client run gets a fresh fake Kraken process (a standalone
`fake-exchange kraken`, loopback only, no rate limit) and a fresh SQLite
file, so both clients start from the same balance and neither inherits
the other's nonces, orders or database. Runs alternate between the clients
and each figure is the median over the rounds, because the machine is
shared and noisy.

Parameters come from the environment (see scripts/bench-vs-ccxt.sh).
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from report import header, median, ms, per_order, report_compare, short, total

HERE = Path(__file__).resolve().parent


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def env_int(name, default, minimum=0):
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        sys.exit(f"{name} must be a whole number, not {raw!r}")
    if value < minimum:
        sys.exit(f"{name} must be at least {minimum}, not {value}")
    return value


def env_str(name, default):
    return os.environ.get(name, "").strip() or default


# ---- the fake exchange ------------------------------------------------------


class Fake:
    """A `fake-exchange kraken` process. It exits when its stdin closes, so
    it cannot outlive this harness even if the harness is killed."""

    def __init__(self, binary, args, stderr):
        cmd = [binary, "kraken", "--port", "0", "--no-rate-limit", *args]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        line = self.proc.stdout.readline()
        fields = dict(w.split("=", 1) for w in line.split() if "=" in w)
        if "url" not in fields:
            self.close()
            sys.exit(f"fake-exchange did not start ({shlex.join(cmd)}): {line!r}")
        self.url = fields["url"]
        self.api_key = fields["api_key"]
        self.private_key = fields["private_key"]

    def admin(self, path):
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.load(response)

    def stats(self):
        return self.admin("/__fake/stats")

    def log_total(self):
        return self.admin("/__fake/log")["total"]

    def paths_since(self, n):
        return self.admin(f"/__fake/log?since={n}")["paths"]

    def close(self):
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---- processes ----------------------------------------------------------------


def timed(cmd, env, cwd, stdout_path, stderr_path):
    """Runs cmd to its end; (exit code, wall s, usage, stdout text). usage:
    CPU seconds (user, sys) and context switches of the process and all its
    threads, from wait4's rusage, which covers exactly this child."""
    with open(stdout_path, "w") as out, open(stderr_path, "w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    used = {"user": usage.ru_utime, "sys": usage.ru_stime, "csw": usage.ru_nvcsw + usage.ru_nivcsw}
    return proc.returncode, wall, used, Path(stdout_path).read_text()


def base_env():
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    if "HOME" in os.environ:
        env["HOME"] = os.environ["HOME"]
    return env


class Tradehost:
    def __init__(self, binary, scratch):
        self.binary = binary
        self.scratch = scratch
        # Shared across runs: the compiled driver is cached after the first
        # start. tradehost ignores a cache directory that is not private (0700).
        self.cache = scratch / "tradehost-cache"
        self.cache.mkdir(parents=True, exist_ok=True)
        self.cache.chmod(0o700)
        self.runs = 0

    def check_cache(self):
        """Start-up figures mean nothing if every run compiles the driver."""
        if not any(self.cache.iterdir()):
            sys.exit(f"tradehost did not fill its compiled-driver cache {self.cache}; see runs/*/stderr.log")

    def env(self, fake, rundir):
        env = base_env()
        env.update(
            {
                "KRAKEN_SANDBOX_MODE": "false",
                "TRADEHOST_PLUGIN": "kraken",
                "KRAKEN_API_KEY": fake.api_key,
                "KRAKEN_PRIVATE_KEY": fake.private_key,
                "KRAKEN_API_URL": fake.url,
                "TRADEHOST_RATE_LIMITS": "off",
                "DATABASE_URL": f"sqlite://{rundir / 'trades.db'}",
                "TRADEHOST_CACHE_DIR": str(self.cache),
            }
        )
        return env

    def rundir(self, label):
        self.runs += 1
        d = self.scratch / "runs" / f"{self.runs:03d}-tradehost-{label}"
        d.mkdir(parents=True)
        return d

    def run(self, fake, decisions_file, label):
        """`tradehost run --decisions FILE`; checks that no decision failed."""
        d = self.rundir(label)
        code, wall, used, out = timed(
            [self.binary, "run", "--decisions", str(decisions_file)],
            self.env(fake, d),
            d,
            d / "stdout.jsonl",
            d / "stderr.log",
        )
        counts = {}
        for line in out.splitlines():
            status = json.loads(line).get("status")
            counts[status] = counts.get(status, 0) + 1
        if code != 0 or counts.get("error"):
            sys.exit(f"tradehost run failed (exit {code}, {counts}); see {d}")
        return {"wall": wall, **used, "executed": counts.get("executed", 0), "counts": counts}

    def trace(self, fake, lines):
        """Feeds decisions one at a time on stdin and records, for each, the
        request paths the fake received until its result line came back."""
        d = self.rundir("trace")
        proc = subprocess.Popen(
            [self.binary, "run"],
            env=self.env(fake, d),
            cwd=d,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(d / "stderr.log", "w"),
            text=True,
        )
        trace = []
        for line in lines:
            seen = fake.log_total()
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
            result = json.loads(proc.stdout.readline())
            if result.get("status") != "executed":
                sys.exit(f"tradehost trace: {line} -> {result}; see {d}")
            trace.append(
                {"decision": json.loads(line), "status": result.get("status"), "paths": fake.paths_since(seen)}
            )
        proc.stdin.close()
        proc.wait(timeout=60)
        return trace


class Ccxt:
    def __init__(self, python, scratch, warmup):
        self.python = python
        self.scratch = scratch
        self.warmup = warmup
        self.runs = 0

    def run(self, fake, decisions_file, label, trace=False):
        self.runs += 1
        d = self.scratch / "runs" / f"{self.runs:03d}-ccxt-{label}"
        d.mkdir(parents=True)
        env = base_env()
        env.update({"KRAKEN_API_KEY": fake.api_key, "KRAKEN_PRIVATE_KEY": fake.private_key})
        cmd = [
            self.python,
            str(HERE / "ccxt_executor.py"),
            "--url", fake.url,
            "--decisions", str(decisions_file),
            "--db", str(d / "trades.db"),
            "--warmup", str(self.warmup),
        ]
        if trace:
            cmd.append("--trace")
        code, wall, used, out = timed(cmd, env, d, d / "stdout.json", d / "stderr.log")
        if code != 0:
            sys.exit(f"ccxt executor failed (exit {code}); see {d}/stderr.log")
        report = json.loads(out)
        report.update({"process_wall": wall, "process_cpu": used["user"] + used["sys"]})
        return report


# ---- decisions ----------------------------------------------------------------


def buy(symbol, amount):
    return json.dumps({"symbol": symbol, "action": "BUY", "amount_quote": str(amount)}, separators=(",", ":"))


def sell(symbol):
    return json.dumps({"symbol": symbol, "action": "SELL"}, separators=(",", ":"))


def cycles(symbol, amount, n):
    return [line for _ in range(n) for line in (buy(symbol, amount), sell(symbol))]


def spread(symbols, amount, n):
    """n decisions round-robin over the symbols: BUY every asset, then SELL
    every asset, and so on. Decisions for different assets are independent,
    so a concurrent `tradehost run` may overlap a whole sweep."""
    out = []
    for i in range(n):
        symbol = symbols[i % len(symbols)]
        out.append(buy(symbol, amount) if (i // len(symbols)) % 2 == 0 else sell(symbol))
    return out


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


# ---- compare ---------------------------------------------------------------------


def compare(args):
    n_cycles = env_int("CYCLES", 150, 2)
    rounds = env_int("ROUNDS", 3, 1)
    symbol = env_str("SYMBOL", "SOL/USD")
    amount = env_str("AMOUNT", "100")
    usd = env_str("USD", "10000")
    warmup = 2  # decisions: the first BUY+SELL cycle is left out of steady state

    scratch = args.scratch
    lines = cycles(symbol, amount, n_cycles)
    full = write(scratch / "decisions.jsonl", lines)
    warm = write(scratch / "decisions-warmup.jsonl", lines[:warmup])
    empty = write(scratch / "decisions-empty.jsonl", [])
    fake_args = ["--usd", usd]
    fake_err = open(scratch / "fake-stderr.log", "a")

    th = Tradehost(args.tradehost, scratch)
    cx = Ccxt(args.python, scratch, warmup)

    log("priming: tradehost compiles and caches its driver; Python loads ccxt once")
    with Fake(args.fake, fake_args, fake_err) as fake:
        th.run(fake, empty, "prime")
    th.check_cache()
    with Fake(args.fake, fake_args, fake_err) as fake:
        cx.run(fake, warm, "prime")

    per_round = []
    for r in range(rounds):
        row = {}
        order = ["ccxt", "tradehost"] if r % 2 == 0 else ["tradehost", "ccxt"]
        for client in order:
            log(f"round {r + 1}/{rounds}: {client} ({len(lines)} decisions)")
            if client == "ccxt":
                with Fake(args.fake, fake_args, fake_err) as fake:
                    rep = cx.run(fake, full, f"r{r + 1}")
                    stats = fake.stats()
                m = rep["marks"]
                steady = m["end"]["executed"] - m["warm"]["executed"]
                if stats["applied_orders"] != rep["results"]["executed"]:
                    sys.exit(f"ccxt: {rep['results']} but the fake applied {stats['applied_orders']}")
                row["ccxt"] = {
                    **per_order(m["end"], m["warm"], steady),
                    "startup_cpu": m["loaded"]["user"] + m["loaded"]["sys"],
                    # The process's wall outside its decision loop: start-up and exit.
                    "startup_wall": rep["process_wall"] - (m["end"]["wall"] - m["loaded"]["wall"]),
                    "startup_requests": m["loaded"]["requests"],
                    "process_cpu": rep["process_cpu"],
                    "process_wall": rep["process_wall"],
                    "executed": rep["results"]["executed"],
                }
                row["versions"] = {"ccxt": rep["ccxt"], "python": rep["python"]}
            else:
                res = {}
                for label, f in (("full", full), ("warm", warm), ("empty", empty)):
                    with Fake(args.fake, fake_args, fake_err) as fake:
                        res[label] = th.run(fake, f, f"{label}-r{r + 1}")
                        stats = fake.stats()
                        res[label]["requests"] = stats["requests"]
                        applied = stats["applied_orders"]
                    if applied != res[label]["executed"]:
                        sys.exit(f"tradehost {label}: {res[label]['counts']} but the fake applied {applied}")
                steady = res["full"]["executed"] - res["warm"]["executed"]
                row["tradehost"] = {
                    **per_order(res["full"], res["warm"], steady),
                    "startup_cpu": res["empty"]["user"] + res["empty"]["sys"],
                    "startup_wall": res["empty"]["wall"],
                    "startup_requests": res["empty"]["requests"],
                    "process_cpu": res["full"]["user"] + res["full"]["sys"],
                    "process_wall": res["full"]["wall"],
                    "executed": res["full"]["executed"],
                }
        per_round.append(row)

    log("tracing the requests of each decision (3 cycles, not timed)")
    trace_lines = cycles(symbol, amount, 3)
    with Fake(args.fake, fake_args, fake_err) as fake:
        th_trace = th.trace(fake, trace_lines)
    with Fake(args.fake, fake_args, fake_err) as fake:
        cx_trace = cx.run(fake, write(scratch / "decisions-trace.jsonl", trace_lines), "trace", trace=True)["trace"]

    (scratch / "results-compare.json").write_text(
        json.dumps({"rounds": per_round, "trace": {"tradehost": th_trace, "ccxt": cx_trace}}, indent=1)
    )
    report_compare(args, per_round, th_trace, cx_trace, n_cycles, rounds, symbol, amount)


# ---- batch ---------------------------------------------------------------------------


def batch(args):
    decisions = env_int("DECISIONS", 100, 1)
    assets = env_int("ASSETS", 20, 1)
    latency = env_int("LATENCY_MS", 50, 0)
    rounds = env_int("ROUNDS", 3, 1)
    amount = env_str("AMOUNT", "100")
    # Enough for every asset to hold a position at once, whatever the order.
    usd = env_str("USD", str(max(10000, assets * int(float(amount)) * 2)))

    scratch = args.scratch
    symbols = [f"TK{n:02d}/USD" for n in range(1, assets + 1)]
    lines = spread(symbols, amount, decisions)
    n_buys = sum('"BUY"' in line for line in lines)
    n_sells = len(lines) - n_buys
    # Single-order latencies, each the difference of two short runs on one
    # asset (so they stay one at a time even when `tradehost run` overlaps
    # assets): the first BUY of a process also loads the markets
    # (AssetPairs); a later BUY or SELL is what every other decision costs.
    a = symbols[0]
    files = {
        "empty": write(scratch / "batch-empty.jsonl", []),
        "buy": write(scratch / "batch-buy.jsonl", [buy(a, amount)]),
        "buy-sell": write(scratch / "batch-buy-sell.jsonl", [buy(a, amount), sell(a)]),
        "buy-sell-buy": write(scratch / "batch-buy-sell-buy.jsonl", [buy(a, amount), sell(a), buy(a, amount)]),
        "full": write(scratch / "batch-decisions.jsonl", lines),
    }
    fake_args = ["--usd", usd, "--extra-pairs", str(assets), "--latency-ms", str(latency)]
    fake_err = open(scratch / "fake-stderr.log", "a")
    th = Tradehost(args.tradehost, scratch)

    log("priming: tradehost compiles and caches its driver")
    with Fake(args.fake, fake_args, fake_err) as fake:
        th.run(fake, files["empty"], "prime")
    th.check_cache()

    per_round = []
    for r in range(rounds):
        row = {}
        for label, f in files.items():
            log(f"round {r + 1}/{rounds}: tradehost run, {label}")
            with Fake(args.fake, fake_args, fake_err) as fake:
                row[label] = th.run(fake, f, f"batch-{label}-r{r + 1}")
                stats = fake.stats()
                row[label]["paths"] = fake.paths_since(0)
            row[label]["requests"] = stats["requests"]
            if stats["applied_orders"] != row[label]["executed"]:
                sys.exit(f"tradehost {label}: {row[label]['counts']} but the fake applied {stats['applied_orders']}")
        per_round.append(row)
    (scratch / "results-batch.json").write_text(json.dumps(per_round, indent=1))

    def wall(label):
        return median([row[label]["wall"] for row in per_round])

    def diff_paths(longer, shorter):
        p_long, p_short = per_round[0][longer]["paths"], per_round[0][shorter]["paths"]
        return " → ".join(short(p) for p in p_long[len(p_short):])

    executed = per_round[0]["full"]["executed"]
    first_buy = wall("buy") - wall("empty")
    one_buy = wall("buy-sell-buy") - wall("buy-sell")
    one_sell = wall("buy-sell") - wall("buy")
    run_wall = wall("full") - wall("empty")
    one_at_a_time = first_buy + (n_buys - 1) * one_buy + n_sells * one_sell
    requests = median([total(row["full"]["requests"]) for row in per_round])
    startup_requests = median([total(row["empty"]["requests"]) for row in per_round])

    header(args, "tradehost run: a batch across assets, with exchange latency")
    print(
        f"- workload: {decisions} decisions ({n_buys} BUY, {n_sells} SELL) round-robin over {assets} assets"
        f" (BUY each, then SELL each, …; BUY {amount} USD), fake Kraken with {latency} ms added to every"
        f" request, no rate limits, SQLite; median of {rounds} rounds"
    )
    print(
        "- single-order latencies are differences of short `tradehost run`s (fresh fake and database each):"
        " first BUY = [BUY] − [], a SELL = [BUY, SELL] − [BUY], a BUY = [BUY, SELL, BUY] − [BUY, SELL], one asset"
    )
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| `tradehost run`, {decisions} decisions: wall | {wall('full') * 1000:.0f} ms |")
    print(f"| orders executed | {executed} |")
    print(f"| wall per order (start-up excluded) | {ms(run_wall / executed)} |")
    print(f"| one order's latency: a BUY | {ms(one_buy)} ({diff_paths('buy-sell-buy', 'buy-sell')}) |")
    print(f"| one order's latency: a SELL | {ms(one_sell)} ({diff_paths('buy-sell', 'buy')}) |")
    print(f"| one order's latency: the first BUY of a process | {ms(first_buy)} ({diff_paths('buy', 'empty')}) |")
    print(f"| start-up (no decisions) | {ms(wall('empty'))} ({startup_requests:.0f} requests) |")
    print(f"| exchange requests, whole run | {requests:.0f} ({requests / executed:.2f} per order) |")
    print(f"| the same decisions one at a time (from the latencies above) | {one_at_a_time * 1000:.0f} ms |")
    print(f"| speed-up over one at a time (1.0 = sequential) | {one_at_a_time / run_wall:.2f}× |")
    cpu = median([row["full"]["user"] + row["full"]["sys"] for row in per_round])
    print(f"| CPU, whole run (user+sys) | {ms(cpu)} |")
    counts = per_round[0]["full"]["counts"]
    if counts.get("executed", 0) != decisions:
        print(f"\n**Not every decision executed:** {counts} (a SELL that overtook its BUY is skipped).")
    print()
    labels = list(files)
    print(f"Per round (wall ms {' / '.join(labels)}):", ", ".join(
        " / ".join(f"{row[label]['wall'] * 1000:.0f}" for label in labels) for row in per_round
    ))
    print(f"Raw numbers: {args.scratch / 'results-batch.json'}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["compare", "batch"])
    ap.add_argument("--tradehost", required=True)
    ap.add_argument("--fake", required=True)
    ap.add_argument("--python", default=sys.executable, help="the venv's Python, with ccxt")
    ap.add_argument("--scratch", help="directory for runs (default: a new temporary one)")
    ap.add_argument("--command-line", default=" ".join(sys.argv), help="shown in the report")
    args = ap.parse_args()
    args.scratch = Path(args.scratch or tempfile.mkdtemp(prefix="tradehost-bench-")).resolve()
    args.scratch.mkdir(parents=True, exist_ok=True)
    log(f"scratch: {args.scratch}")
    {"compare": compare, "batch": batch}[args.mode](args)


if __name__ == "__main__":
    main()
