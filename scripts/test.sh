#!/usr/bin/env bash
# Every check CI runs: format, lints (host and wasm32 guest), native unit and
# property tests, the component build, harness tests against the stub Siptel,
# the check of the component's world against wit/, and the same component in
# Node (jco) and in Python (wasmtime-py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --all -- --check
cargo fmt --manifest-path host-harness/test-components/Cargo.toml --all -- --check

step "clippy (host, native guest logic)"
cargo clippy --locked --workspace --all-targets -- -D warnings

step "clippy (guest for wasm32-wasip2)"
cargo clippy --locked --package siptel-sms --lib --target wasm32-wasip2 -- -D warnings

step "clippy (test components, their own workspace and target dir)"
CARGO_TARGET_DIR=target/test-components cargo clippy --locked \
  --manifest-path host-harness/test-components/Cargo.toml --workspace \
  --target wasm32-wasip2 -- -D warnings

step "tests: native logic, component build, harness against the stub, world check"
cargo test --locked --workspace

step "the same component in Node (jco), against the stub started from the CLI"
bash scripts/test-js.sh

step "the same component in Python (wasmtime-py), against the stub started from the CLI"
bash scripts/test-python.sh
