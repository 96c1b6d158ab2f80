#!/usr/bin/env bash
# The main job: builds Tanba, creates the ledger in ledger/data on first run, seeds it with
# demo entries, and serves it on 127.0.0.1:8080 (TANBA_LISTEN overrides), printing the URLs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

cargo build --release --quiet
TANBA=target/release/tanba
DATA="${TANBA_DATA:-ledger/data}"
LISTEN="${TANBA_LISTEN:-127.0.0.1:8080}"

if [ ! -f "$DATA/config.json" ]; then
    "$TANBA" init --data "$DATA"
fi
size=$("$TANBA" ledger checkpoint --data "$DATA" | sed -n 2p)
if [ "$size" = "0" ]; then
    echo "seeding the demo ledger with 10,000 entries" >&2
    for i in $(seq 1 10000); do
        printf '{"demo":"opaque ledger entry","n":%d}\n' "$i"
    done | "$TANBA" ledger append --data "$DATA" --lines >/dev/null
fi
exec "$TANBA" serve --data "$DATA" --listen "$LISTEN"
