#!/usr/bin/env bash
# The whole test suite: unit tests of the host and of the drivers (natively),
# then the end-to-end suite against SQLite and Postgres.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

echo "== driver unit tests (native)"
cargo test --locked --manifest-path plugins/Cargo.toml

echo "== host unit and end-to-end tests"
cargo test --locked --workspace

# Benchmarks are run by hand (docs/BENCHMARKS.md); here they only must build.
echo "== benchmarks build"
cargo build --locked --workspace --benches
