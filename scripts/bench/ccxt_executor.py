#!/usr/bin/env python3
"""The Python prototype's executor (story 3.1), rebuilt on ccxt for the
side-by-side benchmark in scripts/bench-vs-ccxt.sh.

It executes the same JSON-line decisions as `tradehost run`, the way the
story's execute_buy / execute_sell did:

  BUY   open-position check (SQL) -> fetch_ticker -> market buy of
        amount / ticker['last'] -> fetch_order (the AddOrder answer has no
        fill) -> INSERT the trade, committed
  SELL  open-position lookup (SQL) -> market sell of the position's size
        -> fetch_order -> UPDATE the trade to CLOSED, committed

Deliberate differences from the story, each so that both clients do the
same work against the same fake exchange:
  * `oflags=fciq` on every order (tradehost sends it too). Without it Kraken
    takes a sell's fee in the base currency, and selling the whole position
    fails with "Insufficient funds" -- `--oflags ''` reproduces the story.
  * no rate limiter (enableRateLimit=False), like TRADEHOST_RATE_LIMITS=off.
  * SQLite in WAL mode with synchronous=FULL, tradehost's own settings
    (host/src/db/mod.rs): a committed trade is on disk, as tradehost's are.

Measurement: CPU (user+sys, getrusage RUSAGE_SELF: every thread of this
process) and wall time are read after the markets are loaded, after the
first `--warmup` decisions, and at the end; the steady-state figures are
from the second to the third, so import, load_markets and the first cycle
(connection set-up, lazy initialisation) are left out, the same way the
harness leaves tradehost's start-up and first cycle out. The exchange's
request counters are read at the same points from the fake's admin route
(which the fake does not count as a request).

Credentials come from KRAKEN_API_KEY / KRAKEN_PRIVATE_KEY, as in the story.
Prints one JSON object on stdout.
"""

import argparse
import json
import os
import resource
import sqlite3
import sys
import time
import urllib.request
import uuid
from datetime import datetime, timezone
from decimal import Decimal

import ccxt

SCHEMA = """
CREATE TABLE IF NOT EXISTS trade (
    id TEXT PRIMARY KEY,
    asset_id TEXT NOT NULL,
    status TEXT NOT NULL,
    entry_price TEXT NOT NULL,
    size TEXT NOT NULL,
    entry_time TEXT NOT NULL,
    stop_loss_price TEXT,
    take_profit_price TEXT,
    exit_price TEXT,
    exit_time TEXT,
    pnl TEXT,
    order_id TEXT,
    fees TEXT
);
CREATE INDEX IF NOT EXISTS trade_asset_status ON trade (asset_id, status);
"""


def dec(x):
    """A float from ccxt as the story stored it: Decimal(str(x))."""
    return Decimal(str(x))


class Executor:
    def __init__(self, exchange, db, oflags):
        self.exchange = exchange
        self.db = db
        self.params = {"oflags": oflags} if oflags else {}

    def open_trade(self, asset):
        return self.db.execute(
            "SELECT id, size, entry_price, fees FROM trade WHERE asset_id = ? AND status = 'OPEN'",
            (asset,),
        ).fetchone()

    def buy(self, symbol, amount_usd):
        asset = symbol.split("/")[0]
        if self.open_trade(asset) is not None:
            return "skipped"
        ticker = self.exchange.fetch_ticker(symbol)
        quantity = amount_usd / ticker["last"]
        placed = self.exchange.create_market_buy_order(symbol, quantity, self.params)
        order = self.exchange.fetch_order(placed["id"], symbol)
        self.db.execute(
            "INSERT INTO trade (id, asset_id, status, entry_price, size, entry_time, order_id, fees)"
            " VALUES (?, ?, 'OPEN', ?, ?, ?, ?, ?)",
            (
                str(uuid.uuid4()),
                asset,
                str(dec(order["average"])),
                str(dec(order["filled"])),
                datetime.now(timezone.utc).isoformat(),
                order["id"],
                str(dec(order["fee"]["cost"])) if order.get("fee") else "0",
            ),
        )
        self.db.commit()
        return "executed"

    def sell(self, symbol):
        asset = symbol.split("/")[0]
        trade = self.open_trade(asset)
        if trade is None:
            return "skipped"
        trade_id, size, entry_price, buy_fees = trade
        placed = self.exchange.create_market_sell_order(symbol, float(size), self.params)
        order = self.exchange.fetch_order(placed["id"], symbol)
        exit_price = dec(order["average"])
        filled = dec(order["filled"])
        fees = Decimal(buy_fees) + (dec(order["fee"]["cost"]) if order.get("fee") else 0)
        pnl = (exit_price - Decimal(entry_price)) * filled - fees
        self.db.execute(
            "UPDATE trade SET status = 'CLOSED', exit_price = ?, exit_time = ?, pnl = ?, fees = ?"
            " WHERE id = ?",
            (str(exit_price), datetime.now(timezone.utc).isoformat(), str(pnl), str(fees), trade_id),
        )
        self.db.commit()
        return "executed"

    def decide(self, line):
        decision = json.loads(line)
        action = decision["action"].upper()
        if action == "BUY":
            amount = decision.get("amount_quote", decision.get("amount_usd"))
            return self.buy(decision["symbol"], float(amount))
        if action == "SELL":
            return self.sell(decision["symbol"])
        return "held"


def usage():
    """CPU seconds (user, sys) and context switches of every thread so far."""
    u = resource.getrusage(resource.RUSAGE_SELF)
    return {"user": u.ru_utime, "sys": u.ru_stime, "csw": u.ru_nvcsw + u.ru_nivcsw}


def admin(url, path):
    with urllib.request.urlopen(url + path, timeout=10) as response:
        return json.load(response)


def snapshot(url, executed):
    stats = admin(url, "/__fake/stats")
    return {
        **usage(),
        "wall": time.perf_counter(),
        "executed": executed,
        "requests": stats["requests"],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True, help="the fake exchange's base URL")
    ap.add_argument("--decisions", required=True)
    ap.add_argument("--db", required=True, help="SQLite file (created)")
    ap.add_argument("--warmup", type=int, default=2, help="decisions left out of steady state")
    ap.add_argument("--oflags", default="fciq", help="AddOrder oflags ('' = none, as in the story)")
    ap.add_argument("--trace", action="store_true", help="record each decision's request paths")
    args = ap.parse_args()

    exchange = ccxt.kraken(
        {
            "apiKey": os.environ["KRAKEN_API_KEY"],
            "secret": os.environ["KRAKEN_PRIVATE_KEY"],
            "enableRateLimit": False,
            "options": {"defaultType": "spot"},
        }
    )
    # Public and private both go to the fake.
    exchange.urls["api"] = dict(exchange.urls["api"], public=args.url, private=args.url)

    db = sqlite3.connect(args.db)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(SCHEMA)
    db.commit()

    with open(args.decisions) as f:
        lines = [line for line in f if line.strip()]

    exchange.load_markets()
    executor = Executor(exchange, db, args.oflags)

    results = {"executed": 0, "skipped": 0, "held": 0}
    trace = []
    marks = {"loaded": snapshot(args.url, results["executed"])}
    for i, line in enumerate(lines):
        if i == args.warmup:
            marks["warm"] = snapshot(args.url, results["executed"])
        seen = admin(args.url, "/__fake/log")["total"] if args.trace else 0
        outcome = executor.decide(line)
        results[outcome] += 1
        if args.trace:
            paths = admin(args.url, f"/__fake/log?since={seen}")["paths"]
            trace.append({"decision": json.loads(line), "status": outcome, "paths": paths})
    if "warm" not in marks:
        marks["warm"] = snapshot(args.url, results["executed"])
    marks["end"] = snapshot(args.url, results["executed"])

    json.dump(
        {
            "ccxt": ccxt.__version__,
            "python": sys.version.split()[0],
            "decisions": len(lines),
            "warmup": min(args.warmup, len(lines)),
            "results": results,
            "marks": marks,
            "trace": trace,
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
