#!/usr/bin/env bash
# The verification load test of README § Performance (issue 4): a data directory with 1M issued
# attestats, `tanba serve` on loopback, and wrk as the load generator, beside the machine's raw
# Ed25519 verification rate measured by the same script.
#
#   scripts/bench-verify.sh            # COUNT=1000000 SAMPLE=100000 DURATION=20 PORT=18181
#
# 1. Seeds target/bench-verify-$COUNT once (examples/verify_load.rs; ~1 min for 1M), reused
#    by later runs with the same SAMPLE: the QR texts of SAMPLE documents spread over the
#    store, which the load cycles through (100,000: each is verified about once or twice in a
#    run, so most requests find their pages outside redb's caches, as random documents
#    would).
# 2. Baselines, one core each: raw strict Ed25519 verification, offline and online
#    verification in-process.
# 3. Serves the directory and, per target — the API with one QR per request, the API with
#    batches of 100, and the verification page — finds the saturating load (wrk, 16
#    connections, as fast as the server answers), then offers half of it (each connection
#    pausing 10 ms between requests) and reads p50/p99 there.
# Prints a summary table; the raw wrk lines are kept in target/bench-verify-$COUNT/results.
set -euo pipefail
cd "$(dirname "$0")/.."
TANBA_BENCH=1 source scripts/setup.sh

COUNT=${COUNT:-1000000}
SAMPLE=${SAMPLE:-100000}
DURATION=${DURATION:-20}
PORT=${PORT:-18181}
DIR=target/bench-verify-$COUNT
RESULTS=$DIR/results
URL=http://127.0.0.1:$PORT

cargo build --release --quiet --bin tanba --example verify_load
if [ ! -s "$DIR/load/qr.txt" ] || [ "$(wc -l < "$DIR/load/qr.txt")" -ne "$SAMPLE" ]; then
    rm -rf "$DIR"
    target/release/examples/verify_load seed "$DIR" "$COUNT" "$SAMPLE"
fi
mkdir -p "$RESULTS"

echo "== machine"
echo "$(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "store: $(du -sh "$DIR" | cut -f1) for $COUNT documents"

echo "== baselines, in-process, one core"
target/release/examples/verify_load baseline "$DIR" 5 | tee "$RESULTS/baseline.txt"
raw=$(awk '/^ed25519_verify_per_s/ {print $2}' "$RESULTS/baseline.txt")

target/release/tanba serve --data "$DIR" --listen "127.0.0.1:$PORT" > "$RESULTS/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -fs "$URL/healthz" > /dev/null && break
    sleep 0.1
done
first=$(head -1 "$DIR/load/qr.txt")
curl -fs -H 'Content-Type: application/json' -d "{\"qr\": \"$first\"}" "$URL/api/v1/verify" \
    | grep -q '"status":"valid"' || { echo "the sample's first QR does not verify as valid" >&2; exit 1; }

# run MODE CONNECTIONS DELAY_MS → the RESULT line of wrk's done()
run() {
    WRK_MODE=$1 WRK_QR_FILE="$DIR/load/qr.txt" WRK_BATCH=100 WRK_DELAY_MS=$3 \
        wrk -t1 -c"$2" -d"${DURATION}s" --timeout 5s -s scripts/wrk/verify.lua "$URL" \
        > "$RESULTS/wrk-$1-c$2-d$3.txt"
    grep '^RESULT' "$RESULTS/wrk-$1-c$2-d$3.txt"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

printf '\n== load (%s s each, wrk on the same machine)\n' "$DURATION"
summary="| target | saturating load: req/s (documents/s) | p50 / p99 there | half load offered: req/s | p50 / p99 there | documents/s ÷ raw Ed25519 |"
summary+=$'\n|---|---|---|---|---|---|'
for mode in api batch page; do
    warm=$(DURATION=3 run "$mode" 16 0)
    sat=$(run "$mode" 16 0)
    echo "$sat"
    rps=$(echo "$sat" | field rps)
    per=1; [ "$mode" = batch ] && per=100
    # Half the saturating request rate, from connections that each pause 10 ms per request:
    # a first guess, a 3 s calibration, then the number of connections scaled to the target.
    target=$(( rps / 2 ))
    guess=$(( target / 100 + 1 ))
    got=$(DURATION=3 run "$mode" "$guess" 10 | field rps)
    conns=$(awk -v g="$guess" -v t="$target" -v a="$got" 'BEGIN {c = int(g * t / (a > 0 ? a : 1) + 0.5); print (c < 1 ? 1 : c)}')
    half=$(run "$mode" "$conns" 10)
    echo "$half"
    for l in "$sat" "$half"; do
        [ "$(echo "$l" | field non2xx)" = 0 ] && [ "$(echo "$l" | field socket_errors)" = 0 ] \
            || { echo "errors under load: $l" >&2; exit 1; }
    done
    docs=$((rps * per))
    summary+=$'\n'"| $mode | $rps ($docs) | $(echo "$sat" | field p50_ms) / $(echo "$sat" | field p99_ms) ms | $(echo "$half" | field rps) (target $target) | $(echo "$half" | field p50_ms) / $(echo "$half" | field p99_ms) ms | $(awk -v d="$docs" -v r="$raw" 'BEGIN {printf "%.0f%%", 100 * d / r}') |"
done
printf '\n== summary (raw Ed25519: %s verifications/s on one core)\n%s\n' "$raw" "$summary" | tee "$RESULTS/summary.md"
