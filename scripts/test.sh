#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit, property, integration, crash and
# reference-client tests. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo test --quiet
