#!/usr/bin/env bash
# Sandbox demo on the embedded defaults: the kraken-sandbox driver and a
# SQLite file. Runs in a scratch directory so it never touches your data.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
cargo build --locked --quiet --manifest-path "$root/Cargo.toml" --bin tradehost
bin="$root/target/debug/tradehost"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
# Only the sandbox: whatever the caller's environment says.
unset TRADEHOST_PLUGIN DATABASE_URL KRAKEN_API_KEY KRAKEN_PRIVATE_KEY KRAKEN_API_URL
export KRAKEN_SANDBOX_MODE=true

step() { printf '\n$ tradehost %s\n' "$*"; "$bin" "$@"; }
step check
step balance USD
step buy SOL/USD --usd 100 --stop-loss 140 --take-profit 180
step positions
step sell SOL/USD --amount 0.2
step close SOL/USD
step trades
step trades --history --limit 9
step reconcile
step balance
printf '\n$ tradehost run   (decisions on stdin)\n'
printf '%s\n' '{"symbol":"BTC/USD","action":"BUY","amount_usd":"250"}' '{"symbol":"BTC/USD","action":"BUY","amount_usd":"250"}' \
  '{"symbol":"BTC/USD","action":"HOLD"}' '{"symbol":"BTC/USD","action":"SELL"}' | "$bin" run
