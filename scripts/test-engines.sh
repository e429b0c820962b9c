#!/usr/bin/env bash
# The service component on engines other than this project's host, as CI
# runs it after `cargo test --workspace` (which builds the components and the
# CLI; run alone, this builds them first):
#
# - wasmCloud as released: the wasmCloud build
#   (target/guest/siptel_sms_service.wasmcloud.wasm) served by wash-runtime
#   0.1.0 from the crate registry (tests/engines/wash, a workspace of its
#   own) against the stub Siptel, with real sends.
# - Spin 3.x and the wasmCloud build's world are checked by tests/world.rs
#   (part of `cargo test --workspace`).
#
# The runner's target directory is kept across runs, outside the work tree
# ($SIPTEL_SMS_ENGINES_TARGET, default ~/.cache/siptel-sms-engines/wash-target):
# wash-runtime brings wasmtime 31: cold, about 5 minutes to build and 2.5 to
# lint on 2 cores; warm, the whole script takes 15-25 seconds.
# Not under ~/.cache/siptel-sms: that is the host's wasmtime compile cache
# (`default_compile_cache`), whose cleanup deletes files it did not write.
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

step() { printf '\n==> %s\n' "$*"; }

# Where the main workspace builds (CI may set CARGO_TARGET_DIR).
main_target="${CARGO_TARGET_DIR:-$PWD/target}"
case "$main_target" in /*) ;; *) main_target="$PWD/$main_target" ;; esac
runner_target="${SIPTEL_SMS_ENGINES_TARGET:-$HOME/.cache/siptel-sms-engines/wash-target}"
mkdir -p "$runner_target"

step "the components and the CLI (seconds after cargo test --workspace)"
# The targets `cargo test --workspace` builds, so nothing compiles again.
cargo build --locked --workspace --lib --bins --tests --examples

step "format and clippy (the wash-runtime runner, its own workspace)"
cargo fmt --manifest-path tests/engines/wash/Cargo.toml -- --check
CARGO_TARGET_DIR="$runner_target" \
  cargo clippy --locked --manifest-path tests/engines/wash/Cargo.toml --all-targets -- -D warnings

step "the service on wash-runtime 0.1.0 against the stub Siptel"
SIPTEL_SMS_BIN="$main_target/debug/siptel-sms" \
SIPTEL_SMS_SERVICE_WASMCLOUD="$main_target/guest/siptel_sms_service.wasmcloud.wasm" \
CARGO_TARGET_DIR="$runner_target" \
  cargo test --locked --manifest-path tests/engines/wash/Cargo.toml
