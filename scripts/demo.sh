#!/usr/bin/env bash
# The product's main job: the component sends through an embedded stub Siptel,
# showing every outcome. Extra arguments go to `siptel-sms demo` (e.g. --json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo run --quiet --locked --package siptel-sms-host --bin siptel-sms -- demo "$@"
