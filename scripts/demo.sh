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
unset TRADEHOST_PLUGIN DATABASE_URL KRAKEN_SANDBOX_MODE KRAKEN_API_KEY KRAKEN_PRIVATE_KEY KRAKEN_API_URL BINANCE_API_KEY BINANCE_API_SECRET BINANCE_API_URL
export TRADEHOST_SANDBOX_MODE=true

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

# The service: an order over the API, a stop-loss the monitor acts on, a
# graceful stop. Loopback only, on a free port.
printf '\n$ tradehost serve   (API, stop monitor, background reconciliation)\n'
export TRADEHOST_API_TOKEN="demo-token-$(date +%s)-$RANDOM$RANDOM"
export TRADEHOST_MONITOR_SECS=0.25
"$bin" serve --listen 127.0.0.1:0 > serve.out 2> serve.log &
serve_pid=$!
for _ in $(seq 1 600); do grep -q listening serve.out 2>/dev/null && break; sleep 0.1; done
api="$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' serve.out)"
echo "listening on $api"
call() { curl -sS -H "Authorization: Bearer $TRADEHOST_API_TOKEN" "$@"; echo; }
printf '\n$ POST /v1/orders  (Idempotency-Key demo-sol-1; sent twice, executed once)\n'
order='{"symbol":"SOL/USD","action":"BUY","amount_usd":"100","stop_loss_price":"140"}'
call -H "Idempotency-Key: demo-sol-1" -d "$order" "$api/v1/orders"
call -H "Idempotency-Key: demo-sol-1" -d "$order" -o /dev/null -w 'retry: HTTP %{http_code}, replayed' "$api/v1/orders"
step sandbox set-price SOL/USD 139
for _ in $(seq 1 100); do
  call "$api/v1/positions" | grep -q SOL || break
  sleep 0.1
done
printf '\n$ GET /v1/trades?limit=1  (closed by the stop-loss)\n'
call "$api/v1/trades?limit=1"
step sandbox set-price SOL/USD --clear
kill -TERM "$serve_pid"
wait "$serve_pid"
echo "service stopped (exit $?)"
