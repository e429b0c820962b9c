#!/usr/bin/env bash
# Builds the Node package `siptel-sms` (node/) and tests it as a user gets it:
#
#   1. builds the native addon (`cargo build`, debug, the
#      shared target dir; not `napi build`, which compiles everything again
#      for an explicit --target) and the CLI that runs the stub Siptel;
#   2. places the addon in node/ as siptel-sms.<platform>-<arch>.node (debug
#      info stripped from the copy: the component is embedded in it);
#   3. `npm pack`s node/ into target/node-pack/;
#   4. installs the tarball into a fresh project, target/node-project/, with
#      the tests (node/test/) and examples (node/examples/) copied next to it,
#      so `import 'siptel-sms'` resolves to the installed package;
#   5. type-checks test/types.ts against the installed index.d.ts (tsc
#      --strict, TypeScript from node/'s lock file) and runs the tests with
#      node's test runner.
#
# Safe to run again: each run makes the project afresh. Compiled code is
# cached in target/node-cache ($SIPTEL_SMS_CACHE_DIR), so only the first
# load after a build compiles the component.
#
# Environment:
#   SIPTEL_SMS_BIN   the CLI the tests run the stub with (default target/debug/siptel-sms)
# Arguments are passed to `node --test` (e.g. --test-name-pattern=tenant).
set -euo pipefail

abs() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$(abs "${SIPTEL_SMS_BIN:-$root/target/debug/siptel-sms}")"
target="$root/target"

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null || die "node is not installed (Node 20 or newer is needed)"
command -v npm >/dev/null || die "npm is not installed"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "Node $(node --version) is too old: 20 or newer is needed"

cd "$root"
step "cargo build: the addon (siptel-sms-node) and the CLI that runs the stub"
# The targets `cargo test --workspace` builds (dev-dependencies' features
# included), so after it (scripts/test.sh) nothing compiles again but the
# addon's own crate; the addon then carries the CLI's code too, unused.
cargo build --locked --workspace --lib --bins --tests --examples
[ -x "$bin" ] || die "no CLI at $bin: run \`cargo build -p siptel-sms-host\` or set SIPTEL_SMS_BIN"

addon="siptel-sms.$(node -p 'process.platform + "-" + process.arch').node"
step "node/$addon <- target/debug/libsiptel_sms_node.so"
so="$target/debug/libsiptel_sms_node.so"
[ -f "$so" ] || die "no addon at $so"
if command -v strip >/dev/null; then
  strip --strip-debug -o "node/$addon.tmp" "$so"
else
  cp "$so" "node/$addon.tmp"
fi
mv -f "node/$addon.tmp" "node/$addon"

step "npm pack node/ -> target/node-pack/"
rm -rf "$target/node-pack"
mkdir -p "$target/node-pack"
tarball="$target/node-pack/$(cd node && npm pack --silent --pack-destination "$target/node-pack" | tail -n 1)"
[ -f "$tarball" ] || die "npm pack wrote no tarball"
printf '%s (%s)\n' "$tarball" "$(du -h "$tarball" | cut -f1)"

project="$target/node-project"
step "npm install the tarball into a fresh project: target/node-project/"
rm -rf "$project"
mkdir -p "$project"
cat >"$project/package.json" <<'JSON'
{
  "name": "siptel-sms-node-test-project",
  "private": true,
  "type": "module"
}
JSON
(cd "$project" && npm install --no-audit --no-fund --silent "$tarball")
cp -r node/test node/examples "$project/"

# TypeScript (node/package.json's devDependency, pinned in its lock file):
# `npm ci` in node/ when node_modules does not match the lock, as test-js.sh.
stamp=node/node_modules/.siptel-ci-stamp
want="$(cat node/package.json node/package-lock.json | sha256sum | cut -d' ' -f1) node $(node --version)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  step "npm ci (node/: typescript, to check index.d.ts)"
  (cd node && npm ci --no-audit --no-fund)
  printf '%s\n' "$want" >"$stamp"
fi
step "tsc --strict --noEmit test/types.ts against the installed index.d.ts"
cat >"$project/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "strict": true,
    "noEmit": true,
    "target": "es2022",
    "lib": ["es2022"],
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "types": []
  },
  "files": ["test/types.ts"]
}
JSON
(cd "$project" && "$root/node/node_modules/.bin/tsc" -p tsconfig.json)

step "node --test (stub: $bin)"
cd "$project"
mkdir -p "$target/node-cache"
# The copied tests import the stub and the conformance runner shared with
# js/test (tests/conformance/*.mjs) from SIPTEL_SMS_CONFORMANCE.
SIPTEL_SMS_BIN="$bin" SIPTEL_SMS_CASES="$root/tests/conformance/cases.json" \
  SIPTEL_SMS_CONFORMANCE="$root/tests/conformance" \
  SIPTEL_SMS_README="$root/README.md" SIPTEL_SMS_CACHE_DIR="$target/node-cache" \
  node --test "$@" test/*.test.mjs
