#!/usr/bin/env bash
# Installs what building the component needs; safe to run again.
set -euo pipefail
# wasm32-wasip2: the action component; wasm32-wasip1: the service module,
# which host-harness/build.rs makes a component with the proxy adapter.
for target in wasm32-wasip2 wasm32-wasip1; do
  if ! rustup target list --installed | grep -qx "$target"; then
    rustup target add "$target"
  fi
done
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    rustup component add "$component"
  fi
done
