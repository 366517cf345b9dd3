#!/usr/bin/env bash
# Fetch benchmark: pcrecon fetch against the fake Partner Center with 50 ms latency per request.
# Reports wall time as a ratio to the latency floor = requests x latency / max_concurrency.
#
#   benches/fetch.sh [INVOICES] [LINES_PER_FEED] [PAGE_SIZE]      (defaults 200 120 40)
#
# Needs only the release build of this repository (it builds it) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
INVOICES=${1:-200}; LINES=${2:-120}; PAGE=${3:-40}; LATENCY=50; CONC=4
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/pcrecon-bench}/fetch-$INVOICES-$LINES
mkdir -p "$WORK"

cargo build --release --quiet --bin pcrecon --example fake-partner-center
BIN="${CARGO_TARGET_DIR:-target}/release/pcrecon"
FAKE="${CARGO_TARGET_DIR:-target}/release/examples/fake-partner-center"

[ -d "$WORK/world/invoices" ] || python3 benches/gen_fetch_world.py --invoices "$INVOICES" --lines "$LINES" --out "$WORK/world"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$FAKE" --dir "$WORK/world" --port "$PORT" --latency-ms "$LATENCY" > "$WORK/fake.log" 2>&1 &
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$WORK/fake.log" 2>/dev/null && break; sleep 0.1; done

cat > "$WORK/pcrecon.toml" <<TOML
[source]
kind = "partner_center"
snapshot_dir = "snapshots"
[partner_center]
api_base = "http://127.0.0.1:$PORT"
graph_base = "http://127.0.0.1:$PORT/v1.0"
authority = "http://127.0.0.1:$PORT"
tenant_id = "fake-tenant"
client_id = "fake-client"
client_secret_env = "PCRECON_BENCH_SECRET"
refresh_token_file = "no-refresh-token"
max_concurrency = $CONC
page_size = $PAGE
# the unbilled exports wait on the fake's Retry-After polls, which the latency floor does not model
unbilled = false
[ledger]
paths = ["none.csv"]
TOML

rm -rf "$WORK/snap"
start=$(date +%s.%N)
PCRECON_BENCH_SECRET=fake-secret /usr/bin/time -f "%M" -o "$WORK/rss.txt" \
  "$BIN" fetch --full --config "$WORK/pcrecon.toml" --out "$WORK/snap" -q
end=$(date +%s.%N)
RSS_KB=$(tail -1 "$WORK/rss.txt")
STATS=$(curl -s "http://127.0.0.1:$PORT/_fake/stats")
python3 - "$start" "$end" "$STATS" "$LATENCY" "$CONC" "$INVOICES" "$RSS_KB" <<'PY'
import json, sys
start, end, stats, latency, conc, invoices = float(sys.argv[1]), float(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
rss_mib = int(sys.argv[7]) / 1024
wall = end - start
req = stats["requests"]
floor = req * latency / 1000 / conc
print(f"invoices {invoices}, requests {req}, latency {latency} ms, max_concurrency {conc}")
print(f"wall {wall:.2f} s, latency floor {floor:.2f} s, ratio {wall / floor:.2f}x (target <= 1.3x)")
print(f"peak RSS {rss_mib:.0f} MiB (target < 500 MiB)")
PY
