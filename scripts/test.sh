#!/usr/bin/env bash
# The whole test suite: formatting and lints, unit tests of the host and of
# the drivers (natively), then the end-to-end suite against SQLite and
# Postgres.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

# Formatting and lints first: a failure there needs no test run.
echo "== format"
cargo fmt --all --check
cargo fmt --manifest-path plugins/Cargo.toml --all --check
cargo fmt --manifest-path tests/components/Cargo.toml --all --check

# The lint set is in the workspaces' Cargo.toml files. The drivers and the
# test components are linted natively (with their unit tests) and as the
# wasm32-wasip2 components they are built as (the export glue exists only
# there).
echo "== lints"
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo clippy --locked --manifest-path plugins/Cargo.toml --all-targets -- -D warnings
cargo clippy --locked --manifest-path plugins/Cargo.toml --target wasm32-wasip2 -- -D warnings
cargo clippy --locked --manifest-path tests/components/Cargo.toml --all-targets -- -D warnings
cargo clippy --locked --manifest-path tests/components/Cargo.toml --target wasm32-wasip2 -- -D warnings

echo "== driver unit tests (native)"
cargo test --locked --manifest-path plugins/Cargo.toml

echo "== host unit and end-to-end tests"
cargo test --locked --workspace

# Benchmarks are run by hand (docs/BENCHMARKS.md); here they only must build.
echo "== benchmarks build"
cargo build --locked --workspace --benches
