#!/usr/bin/env bash
# The OCR throughput and memory benchmark of README § Performance (issue 5): pages per minute
# of the server's background workers on this machine's cores, against the `tesseract` command
# line reading the same scans with the same languages, as many at once as there are workers,
# in the same script; and the memory each worker adds to the server.
#
#   scripts/bench-ocr.sh            # COUNT=30 WORKERS=2 PORT=18282
#
# 1. Renders COUNT synthetic diplomas (`tanba ocr generate`, seed 7001: clean scans, degraded
#    scans and phone photos, one page each) into target/bench-ocr/scans.
# 2. Baseline: `tesseract LIST - -l rus+kaz+eng tsv` in WORKERS processes at once, each over a
#    list of its share of the scans (so it loads its models once, as a worker does), one
#    thread each (OMP_THREAD_LIMIT=1, as our workers run).
# 3. Ours: a fresh data directory with `ocr_workers` = WORKERS, `tanba serve`, every scan
#    opened as a case over HTTP at once, and the time until the last case is read. The
#    server's resident memory is read before the first case (idle) and at its peak (VmHWM);
#    the difference over WORKERS is the memory per worker.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

COUNT=${COUNT:-30}
WORKERS=${WORKERS:-2}
PORT=${PORT:-18282}
DIR=target/bench-ocr
URL=http://127.0.0.1:$PORT

cargo build --release --quiet --bin tanba
rm -rf "$DIR"
mkdir -p "$DIR"
target/release/tanba ocr generate --kind diploma --seed 7001 --count "$COUNT" --out "$DIR/scans" > /dev/null
scans=("$DIR"/scans/*.jpg)

echo "== machine"
echo "$(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "$COUNT one-page scans, $WORKERS at a time"

now() { date +%s.%N; }

echo "== baseline: tesseract CLI, $WORKERS processes"
# Each process reads its share of the scans from a list, loading its models once, as each of
# the server's workers loads its engine once.
for w in $(seq 0 $((WORKERS - 1))); do
    for i in "${!scans[@]}"; do
        [ $((i % WORKERS)) -eq "$w" ] && realpath "${scans[$i]}"
    done > "$DIR/list-$w.txt"
done
start=$(now)
for w in $(seq 0 $((WORKERS - 1))); do
    OMP_THREAD_LIMIT=1 tesseract "$DIR/list-$w.txt" - -l rus+kaz+eng tsv > /dev/null 2>&1 &
done
wait
cli_s=$(echo "$(now) - $start" | bc)
cli_ppm=$(echo "scale=1; $COUNT * 60 / $cli_s" | bc)
echo "tesseract_cli_s $cli_s"
echo "tesseract_cli_pages_per_min $cli_ppm"

echo "== ours: tanba serve with $WORKERS OCR workers"
target/release/tanba init --data "$DIR/data" > /dev/null
jq ".ocr_workers = $WORKERS" "$DIR/data/config.json" > "$DIR/config.json"
mv "$DIR/config.json" "$DIR/data/config.json"
token=$(target/release/tanba account add --data "$DIR/data" --username ocr.bench \
        --role recognition_officer 2> /dev/null | head -1)
RUST_LOG=warn target/release/tanba serve --data "$DIR/data" --listen "127.0.0.1:$PORT" \
    > "$DIR/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -sf "$URL/healthz" > /dev/null && break
    sleep 0.1
done
idle_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$server/status")
start=$(now)
for s in "${scans[@]}"; do
    curl -sf -H "Authorization: Bearer $token" -F "file=@$s;filename=$(basename "$s")" \
        "$URL/api/v1/cases" > /dev/null
done
while :; do
    left=$(curl -sf -H "Authorization: Bearer $token" "$URL/api/v1/cases" \
           | jq '[.cases[] | select(.job.state != "done" and .job.state != "failed")] | length')
    [ "$left" -eq 0 ] && break
    sleep 0.2
done
ours_s=$(echo "$(now) - $start" | bc)
peak_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$server/status")
failed=$(curl -sf -H "Authorization: Bearer $token" "$URL/api/v1/cases" \
         | jq '[.cases[] | select(.job.state == "failed")] | length')
ours_ppm=$(echo "scale=1; $COUNT * 60 / $ours_s" | bc)
echo "tanba_s $ours_s (failed cases: $failed)"
echo "tanba_pages_per_min $ours_ppm"
echo "server_idle_rss_mb $((idle_kb / 1024))"
echo "server_peak_rss_mb $((peak_kb / 1024))"
echo "memory_per_worker_mb $(((peak_kb - idle_kb) / 1024 / WORKERS))"
echo "== summary"
echo "pages/min: tanba $ours_ppm, tesseract CLI $cli_ppm; time ratio tanba/CLI $(echo "scale=2; $ours_s / $cli_s" | bc)"
