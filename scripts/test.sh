#!/usr/bin/env bash
# Every check CI runs: format, lints (host, wasm32 guest and service), native
# unit and property tests, the component builds, harness tests against the
# stub Siptel (the service component's included), the check of the
# components' worlds, and the same components in Node (jco, jco serve) and the
# action in Python (wasmtime-py).
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

step "clippy (service component for wasm32-wasip1, the target build.rs builds it for)"
cargo clippy --locked --package siptel-sms-service --lib --target wasm32-wasip1 -- -D warnings

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

step "portability: the bare component in wasmtime-py (no policy), the conformance file"
bash scripts/test-portability-python.sh
