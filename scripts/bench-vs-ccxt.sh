#!/usr/bin/env bash
# Side-by-side benchmark of tradehost and a ccxt executor (the Python
# prototype's flow, story 3.1) against the same local fake Kraken, and a
# batch benchmark of `tradehost run` across many assets with exchange
# latency. By hand only, not in CI: it builds in release and installs ccxt
# from PyPI into a venv under the target directory.
#
#   scripts/bench-vs-ccxt.sh [compare]   tradehost vs ccxt (the default)
#   scripts/bench-vs-ccxt.sh batch       tradehost run, many assets, latency
#
# compare: CYCLES (150 BUY+SELL cycles), SYMBOL (SOL/USD), AMOUNT (100 USD
#          per BUY), ROUNDS (3), USD (10000, the account's starting balance)
# batch:   DECISIONS (100), ASSETS (20), LATENCY_MS (50), ROUNDS (3), AMOUNT (100)
# both:    BENCH_SCRATCH (a new directory under the target dir), CARGO_TARGET_DIR
#
# Prints a Markdown report on stdout (progress on stderr). Everything runs on
# 127.0.0.1; the only credentials are the fake exchange's public test key.
set -euo pipefail

mode="${1:-compare}"
case "$mode" in
  compare | batch) ;;
  *)
    echo "usage: $0 [compare|batch]" >&2
    exit 2
    ;;
esac

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
target="${CARGO_TARGET_DIR:-$repo/target}"
# Parameters set in the environment belong to the command that was run.
command_line=""
for var in CYCLES SYMBOL AMOUNT ROUNDS USD DECISIONS ASSETS LATENCY_MS; do
  if [[ -n "${!var:-}" ]]; then command_line+="$var=$(printf '%q' "${!var}") "; fi
done
command_line+="$(printf '%q ' "$0" "$@")"

./scripts/setup.sh
# Release builds: debug timings would say nothing about either client.
echo "building tradehost and fake-exchange (release)…" >&2
cargo build --release --locked -p tradehost --bin tradehost >&2
cargo build --release --locked -p fake-exchange --bin fake-exchange >&2

python="python3"
if [[ "$mode" == compare ]]; then
  # A venv of its own, kept between runs: the pin decides which ccxt is measured.
  venv="$target/bench-venv"
  if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
  fi
  requirements="$repo/scripts/bench/requirements.txt"
  stamp="$venv/.requirements"
  if ! cmp -s "$requirements" "$stamp"; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
    cp "$requirements" "$stamp"
  fi
  python="$venv/bin/python"
fi

scratch="${BENCH_SCRATCH:-$target/bench-runs/$mode-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$scratch"

# The harness (stdlib Python) starts a fresh fake per client run, times the
# processes (wait4 rusage) and prints the report.
exec "$python" "$repo/scripts/bench/harness.py" "$mode" \
  --tradehost "$target/release/tradehost" \
  --fake "$target/release/fake-exchange" \
  --python "$python" \
  --scratch "$scratch" \
  --command-line "${command_line% }"
