#!/usr/bin/env bash
# Every check CI runs: format, lints (host, wasm32 guest and service), native
# unit and property tests, the component builds, harness tests against the
# stub Siptel (the service component's included, and the conformance file
# through the Rust host), the check of the components' worlds; the Python
# and Node packages over the Rust host (each with the conformance file); and
# the bare components in jco (and jco serve) and wasmtime-py, no policy, the
# proof that any WASI 0.2 host runs them.
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

step "the service on wash-runtime 0.1.0 (wasmCloud's released runtime), real sends to the stub"
bash scripts/test-engines.sh

step "the Python package (PyO3 over the Rust host), against the stub started from the CLI"
bash scripts/test-python.sh

step "the Node package (napi-rs over the Rust host), installed from its tarball"
bash scripts/test-node.sh

step "portability: the bare component in jco (no policy), and the service under jco serve"
bash scripts/test-js.sh

step "portability: the bare component in wasmtime-py (no policy), the conformance file"
bash scripts/test-portability-python.sh
