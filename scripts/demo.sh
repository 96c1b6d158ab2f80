#!/usr/bin/env bash
# The main job: builds Tanba, and on first run creates the ledger in ledger/data and seeds the
# demo (four issuers; a school class, a college group, a university cohort and guardianship acts
# issued from samples/issuance/, one document revoked and one corrected, with QR codes, VCs and
# manifest.json under ledger/data/demo/), then serves on 127.0.0.1:8080 (TANBA_LISTEN
# overrides), printing the URLs to open.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

cargo build --release --quiet
exec target/release/tanba demo \
    --data "${TANBA_DATA:-ledger/data}" \
    --listen "${TANBA_LISTEN:-127.0.0.1:8080}" \
    --samples samples/issuance
