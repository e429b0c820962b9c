#!/usr/bin/env bash
# The portability proof in Python: runs tests/conformance/cases.json through
# the bare component on wasmtime-py with the WASI shim of
# tests/portability/wasmtime-py (no sandbox policy; see its README.md).
# Makes or updates a venv under target/portability-venv with the exact pins of
# tests/portability/wasmtime-py/requirements.txt (skipped when the venv
# already holds exactly them), then runs pytest there. The tests start the
# stub Siptel themselves (`siptel-sms stub --port 0`, a child process).
#
# Needs `cargo build -p siptel-sms-host` to have run (the .wasm and the CLI),
# and Python 3.11 or newer with the venv module.
#
# Environment:
#   PYTHON                 the interpreter that makes the venv (default python3)
#   SIPTEL_SMS_WASM        the component (default target/guest/wasm32-wasip2/guest/siptel_sms.wasm)
#   SIPTEL_SMS_BIN         the CLI the tests run the stub with (default target/debug/siptel-sms)
#   SIPTEL_PY_REINSTALL=1  install again even when the venv is up to date
# Arguments are passed to pytest (e.g. -k timeout).
set -euo pipefail

# Relative paths in the environment are taken from the caller's directory.
abs() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
root="$(cd "$(dirname "$0")/.." && pwd)"
wasm="$(abs "${SIPTEL_SMS_WASM:-$root/target/guest/wasm32-wasip2/guest/siptel_sms.wasm}")"
bin="$(abs "${SIPTEL_SMS_BIN:-$root/target/debug/siptel-sms}")"
python="${PYTHON:-python3}"
tests="$root/tests/portability/wasmtime-py"

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

command -v "$python" >/dev/null || die "$python is not installed (Python 3.11 or newer is needed)"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  die "$("$python" --version) is too old: 3.11 or newer is needed"
[ -f "$wasm" ] || die "no component at $wasm: run \`cargo build -p siptel-sms-host\` first, or set SIPTEL_SMS_WASM"
[ -x "$bin" ] || die "no CLI at $bin: run \`cargo build -p siptel-sms-host\` first, or set SIPTEL_SMS_BIN"

venv="$root/target/portability-venv"
requirements="$tests/requirements.txt"
if [ ! -x "$venv/bin/python" ]; then
  step "python -m venv target/portability-venv ($("$python" --version))"
  "$python" -m venv "$venv"
fi

# Installing takes seconds and needs the network: skip it when the venv
# already holds what the requirements pin, as recorded by the last install.
stamp="$venv/.siptel-requirements-stamp"
want="$(sha256sum "$requirements" | cut -d' ' -f1) $("$venv/bin/python" --version)"
if [ "${SIPTEL_PY_REINSTALL:-0}" = 1 ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  step "pip install -r tests/portability/wasmtime-py/requirements.txt"
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet -r "$requirements"
  printf '%s\n' "$want" >"$stamp"
else
  step "pip install: target/portability-venv is up to date with its requirements.txt, skipped"
fi

step "pytest tests/portability/wasmtime-py (bare component, no policy; stub: $bin)"
cd "$tests"
SIPTEL_SMS_WASM="$wasm" SIPTEL_SMS_BIN="$bin" \
  PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m pytest "$@"
