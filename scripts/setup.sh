#!/usr/bin/env bash
# One-time set-up both README commands run first: the wasm target the
# drivers are built for. Idempotent and quick when already installed.
set -euo pipefail
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  rustup target add wasm32-wasip2
fi
