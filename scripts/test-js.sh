#!/usr/bin/env bash
# Runs the bare siptel-sms component in Node through jco (trusted
# single-tenant use, no sandbox policy: the portability proof; the Node
# package over the Rust host is scripts/test-node.sh): installs the pinned jco
# and preview2-shim (npm ci in js/), transpiles the .wasm into js/generated/,
# and runs the tests in js/test/ with node's test runner: the conformance file
# (tests/conformance/cases.json) case by case, what jco's value mapping adds,
# and the service component under `jco serve` (js/support/service.mjs). The
# tests start the stub Siptel themselves (`siptel-sms stub --port 0`, a child
# process).
#
# Needs the .wasm and the CLI built: `cargo build -p siptel-sms-host`.
#
# Environment:
#   SIPTEL_SMS_WASM  the component (default target/guest/wasm32-wasip2/guest/siptel_sms.wasm)
#   SIPTEL_SMS_SERVICE_WASM  the service component (default target/guest/siptel_sms_service.wasm)
#   SIPTEL_SMS_BIN   the CLI the tests run the stub with (default target/debug/siptel-sms)
#   SIPTEL_JS_CI=1   run `npm ci` even when node_modules matches package-lock.json
# Arguments are passed to `node --test` (e.g. --test-name-pattern=blocked).
set -euo pipefail

# Relative paths in the environment are taken from the caller's directory.
abs() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
root="$(cd "$(dirname "$0")/.." && pwd)"
wasm="$(abs "${SIPTEL_SMS_WASM:-$root/target/guest/wasm32-wasip2/guest/siptel_sms.wasm}")"
bin="$(abs "${SIPTEL_SMS_BIN:-$root/target/debug/siptel-sms}")"
service="$(abs "${SIPTEL_SMS_SERVICE_WASM:-$root/target/guest/siptel_sms_service.wasm}")"

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null || die "node is not installed (Node 20 or newer is needed)"
command -v npm >/dev/null || die "npm is not installed"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "Node $(node --version) is too old: 20 or newer is needed"
[ -f "$wasm" ] || die "no component at $wasm: run \`cargo build -p siptel-sms-host\` or set SIPTEL_SMS_WASM"
[ -f "$service" ] || die "no service component at $service: run \`cargo build -p siptel-sms-host\` or set SIPTEL_SMS_SERVICE_WASM"
[ -x "$bin" ] || die "no CLI at $bin: run \`cargo build -p siptel-sms-host\` or set SIPTEL_SMS_BIN"

cd "$root/js"

# `npm ci` wipes and reinstalls node_modules (~10 s); skip it when what it
# would install is already there, as recorded by the previous run.
stamp=node_modules/.siptel-ci-stamp
want="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1) node $(node --version)"
if [ "${SIPTEL_JS_CI:-0}" = 1 ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  step "npm ci (js/)"
  npm ci --no-audit --no-fund
  printf '%s\n' "$want" >"$stamp"
else
  step "npm ci (js/): node_modules is up to date with package-lock.json, skipped"
fi

step "jco transpile $(basename "$wasm") -> js/generated/"
rm -rf generated
node_modules/.bin/jco transpile "$wasm" --name siptel_sms --strict --quiet -o generated

step "node --test (stub: $bin)"
# The stub's HTTPS mode (`stub --tls`) uses this test certificate.
SIPTEL_SMS_BIN="$bin" SIPTEL_SMS_SERVICE_WASM="$service" NODE_EXTRA_CA_CERTS="$root/stub/tls/cert.pem" \
  node --test "$@" test/*.test.mjs
