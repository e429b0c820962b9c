#!/usr/bin/env bash
# Tests the Python package (python/: siptel_sms, a PyO3 extension over the
# Rust host, built by maturin): makes a venv under target/python-venv,
# installs the pinned test tools of python/requirements-test.txt (maturin,
# pytest), installs the package (`pip install ./python`, skipped when none
# of its inputs changed since the last install), and runs python/tests with
# pytest. The tests start the stub Siptel themselves (`siptel-sms stub
# --port 0`, a child process).
#
# Runs after `cargo test --workspace` (scripts/test.sh): the package is built
# with cargo's `dev` profile by default, reusing that debug build (a release
# build of wasmtime costs minutes more); the sandbox probe and the CLI come
# from it too. Needs Python 3.11 or newer with the venv module.
#
# Environment:
#   PYTHON                 the interpreter that makes the venv (default python3)
#   SIPTEL_PY_PROFILE      cargo profile of the extension: dev (default) or release
#   SIPTEL_SMS_BIN         the CLI the tests run the stub with (default target/debug/siptel-sms)
#   SIPTEL_SMS_PROBE_WASM  the test-only hostile component (default
#                          target/test-components/wasm32-wasip2/release/sandbox_probe.wasm)
#   SIPTEL_SMS_CACHE_DIR   compiled-code cache of the tests (default target/siptel-sms-cache)
#   SIPTEL_PY_REINSTALL=1  install again even when nothing changed
# Arguments are passed to pytest (e.g. -k fork).
set -euo pipefail

# Relative paths in the environment are taken from the caller's directory.
abs() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
root="$(cd "$(dirname "$0")/.." && pwd)"
probe="$(abs "${SIPTEL_SMS_PROBE_WASM:-$root/target/test-components/wasm32-wasip2/release/sandbox_probe.wasm}")"
bin="$(abs "${SIPTEL_SMS_BIN:-$root/target/debug/siptel-sms}")"
cache="$(abs "${SIPTEL_SMS_CACHE_DIR:-$root/target/siptel-sms-cache}")"
profile="${SIPTEL_PY_PROFILE:-dev}"
python="${PYTHON:-python3}"

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

command -v "$python" >/dev/null || die "$python is not installed (Python 3.11 or newer is needed)"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  die "$("$python" --version) is too old: 3.11 or newer is needed"
[ -f "$probe" ] || die "no sandbox probe at $probe: run \`cargo build -p siptel-sms-host\` or set SIPTEL_SMS_PROBE_WASM"
[ -x "$bin" ] || die "no CLI at $bin: run \`cargo build -p siptel-sms-host\` or set SIPTEL_SMS_BIN"

venv="$root/target/python-venv"
requirements="$root/python/requirements-test.txt"
if [ ! -x "$venv/bin/python" ]; then
  step "python -m venv target/python-venv ($("$python" --version))"
  "$python" -m venv "$venv"
fi
# maturin, installed in the venv, must be on PATH for --no-build-isolation.
export PATH="$venv/bin:$PATH"
pip() { "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet "$@"; }

# Installing needs the network: skip it when the venv already holds what the
# requirements pin, as recorded by the last install.
stamp="$venv/.siptel-requirements-stamp"
want="$(sha256sum "$requirements" | cut -d' ' -f1) $("$venv/bin/python" --version)"
if [ "${SIPTEL_PY_REINSTALL:-0}" = 1 ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  step "pip install -r python/requirements-test.txt"
  pip -r "$requirements"
  printf '%s\n' "$want" >"$stamp"
else
  step "pip install -r: target/python-venv is up to date with python/requirements-test.txt, skipped"
fi

# The package is rebuilt and installed when anything it is built from
# changed: the binding, the Python sources, the core and the component it
# embeds, the lock file. (Zipping and unpacking a debug wheel takes seconds,
# so an unchanged tree is not installed again.)
inputs() {
  cd "$root"
  find python/src python/siptel_sms python/Cargo.toml python/pyproject.toml \
    host-harness/src host-harness/build.rs host-harness/Cargo.toml \
    src service/src wit Cargo.toml Cargo.lock \
    -type f ! -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}
package_stamp="$venv/.siptel-package-stamp"
want_package="$(inputs) $profile"
if [ "${SIPTEL_PY_REINSTALL:-0}" = 1 ] || [ ! -f "$package_stamp" ] ||
  [ "$(cat "$package_stamp")" != "$want_package" ]; then
  step "pip install ./python (maturin, cargo profile $profile)"
  started=$SECONDS
  MATURIN_PEP517_ARGS="--profile $profile" pip --no-build-isolation --force-reinstall --no-deps "$root/python"
  printf '%s\n' "$want_package" >"$package_stamp"
  printf 'installed in %s s\n' "$((SECONDS - started))"
else
  step "pip install ./python: nothing it is built from changed, skipped"
fi

step "pytest python/tests (stub: $bin)"
cd "$root/python"
# -P: never import python/siptel_sms from the working directory (it has no
# native extension); the installed package is the one under test.
SIPTEL_SMS_PROBE_WASM="$probe" SIPTEL_SMS_BIN="$bin" SIPTEL_SMS_CACHE_DIR="$cache" \
  PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -P -m pytest -p no:cacheprovider "$@"
