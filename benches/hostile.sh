#!/usr/bin/env bash
# Hostile inputs: each must end with a clear error and the contract's exit code, in bounded memory
# (target: peak RSS <= 1 GiB) and time, never an out-of-memory kill or a hang.
#
#   benches/hostile.sh                      full sizes, release build (builds it, like fetch.sh)
#   HOSTILE_SCALE=0.01 PROFILE=debug benches/hostile.sh   a quick check: sizes and the matching
#                                           limits scaled down together, the debug build
#
# Prints one row per case: exit code, peak RSS, wall time and the first error line. Inputs are
# generated under $BENCH_DIR (default $TMPDIR/pcrecon-bench/hostile) by benches/hostile_inputs.py,
# streamed, and removed case by case (the largest is ~2 GB on disk).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCALE=${HOSTILE_SCALE:-1}
PROFILE=${PROFILE:-release}
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/pcrecon-bench}/hostile
rm -rf "$WORK"; mkdir -p "$WORK"

if [ "$PROFILE" = release ]; then
  cargo build --release --quiet --bin pcrecon --example fake-partner-center
else
  cargo build --quiet --bin pcrecon --example fake-partner-center
fi
BIN="${CARGO_TARGET_DIR:-target}/$PROFILE/pcrecon"
FAKE="${CARGO_TARGET_DIR:-target}/$PROFILE/examples/fake-partner-center"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN"; FAKE="$ROOT/$FAKE" ;; esac
GEN="python3 $ROOT/benches/hostile_inputs.py"

# n × SCALE, at least 1 (integer)
scaled() { python3 -c "import sys; print(max(1, int(float(sys.argv[1]) * float(sys.argv[2]))))" "$1" "$SCALE"; }

# The [source] and [ledger] limits, scaled with the inputs so a scaled-down case takes the same path.
LIMITS_SOURCE="max_line_bytes = $(scaled 16777216)
max_page_bytes = $(scaled 67108864)
max_page_items = $(scaled 100000)
max_export_blobs = $(scaled 10000)"
LIMITS_LEDGER="max_field_bytes = $(scaled 1048576)"
[ "$SCALE" = 1 ] && { LIMITS_SOURCE=""; LIMITS_LEDGER=""; }

ROWS=()
# run CASE CMD...: runs the command under /usr/bin/time -v, keeps exit code, RSS, wall, first error
run() {
  local name=$1; shift
  local rc=0
  /usr/bin/time -v -o "$WORK/$name.time" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || rc=$?
  local rss wall err
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$WORK/$name.time")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s}' "$WORK/$name.time")
  # the time file's own "Command exited with non-zero status" line is not pcrecon's
  err=$(grep -m1 -E 'error|ERROR' "$WORK/$name.err" || true)
  # a run that went on (exit 0/1): the first rejected ledger row's reason instead
  if [ -z "$err" ] && [ -f "$WORK/reports/latest/rejected_ledger_rows.csv" ]; then
    err="rejected row: $(python3 -c 'import csv, sys; print(next(csv.DictReader(open(sys.argv[1])))["reason"])' "$WORK/reports/latest/rejected_ledger_rows.csv" 2>/dev/null || true)"
  fi
  err=$(printf '%s' "$err" | sed "s|$WORK/||g; s|pcrecon: error: ||" | cut -c1-220)
  ROWS+=("$name|$rc|$rss|$wall|$err")
}

# A copy of the sample snapshot with `rel` replaced by the file at `src`.
snapshot_with() {
  local dir=$1 rel=$2 src=$3
  rm -rf "$dir"; cp -r "$ROOT/sample-data/partner-center" "$dir"
  mv "$src" "$dir/$rel"
}

# reconcile SNAPSHOT LEDGER_GLOB: a config for an offline run.
offline_config() {
  local cfg=$1 snap=$2 ledger=$3
  cat > "$cfg" <<TOML
[source]
kind = "snapshot"
dir = "$snap"
$LIMITS_SOURCE
[ledger]
paths = ["$ledger"]
$LIMITS_LEDGER
[report]
out_dir = "$WORK/reports"
formats = ["csv"]
TOML
}

SAMPLE_LEDGER="$ROOT/sample-data/ledger/*.csv"
BLOB=invoices/G099887766/export/$(cd "$ROOT/sample-data/partner-center/invoices/G099887766/export" && ls *.json.gz | head -1)
V1_PAGE=invoices/G011223344/lineitems/onetime-usagelineitems/page-0001.json

# 1. a 2 GB single JSON line in an export blob (multi-member gzip, ~2 MB on disk)
$GEN blob-line "$WORK/blob.gz" "$(scaled 2147483648)"
snapshot_with "$WORK/snap" "$BLOB" "$WORK/blob.gz"
offline_config "$WORK/c.toml" "$WORK/snap" "$SAMPLE_LEDGER"
run json-line-2GB "$BIN" reconcile --config "$WORK/c.toml" --snapshot "$WORK/snap" --out "$WORK/reports" -q

# 2. a 2 GB v1 page (one item, one 2 GB field) read whole: refused by its size
$GEN page-bytes "$WORK/page.json" "$(scaled 2147483648)"
snapshot_with "$WORK/snap" "$V1_PAGE" "$WORK/page.json"
run page-2GB "$BIN" reconcile --config "$WORK/c.toml" --snapshot "$WORK/snap" --out "$WORK/reports" -q
rm -rf "$WORK/snap"

# 3. a gzip bomb: ~20 MB inflating to 10 GB (deflate tops out near 1000:1, so not 1 MB)
$GEN bomb "$WORK/bomb.gz" "$(scaled 10737418240)"
snapshot_with "$WORK/snap" "$BLOB" "$WORK/bomb.gz"
run gzip-bomb-10GB "$BIN" reconcile --config "$WORK/c.toml" --snapshot "$WORK/snap" --out "$WORK/reports" -q

# 4. a v1 page of 10 million tiny items, in a snapshot
$GEN page-items "$WORK/items.json" "$(scaled 10000000)"
cp "$WORK/items.json" "$WORK/items-served.json"
snapshot_with "$WORK/snap" "$V1_PAGE" "$WORK/items.json"
run page-10M-items "$BIN" reconcile --config "$WORK/c.toml" --snapshot "$WORK/snap" --out "$WORK/reports" -q

# 5. a manifest listing 1 million blobs (blobCount agreeing), in a snapshot
$GEN manifest "$WORK/manifest.json" "$(scaled 1000000)"
snapshot_with "$WORK/snap" invoices/G099887766/export/manifest.json "$WORK/manifest.json"
run manifest-1M-blobs "$BIN" reconcile --config "$WORK/c.toml" --snapshot "$WORK/snap" --out "$WORK/reports" -q
rm -rf "$WORK/snap"

# 6. a ledger with a 100 MB field (the row is rejected; the run goes on: exit 1)
$GEN ledger "$WORK/ledger.csv" "$(scaled 104857600)"
offline_config "$WORK/l.toml" "$ROOT/sample-data/partner-center" "$WORK/ledger.csv"
run ledger-100MB-field "$BIN" reconcile --config "$WORK/l.toml" --snapshot "$ROOT/sample-data/partner-center" --out "$WORK/reports" -q
rm -f "$WORK/ledger.csv"

# API cases: a config pointing at 127.0.0.1:$1
api_config() {
  cat > "$WORK/api.toml" <<TOML
[source]
kind = "partner_center"
snapshot_dir = "$WORK/snapshots"
$LIMITS_SOURCE
[partner_center]
api_base = "http://127.0.0.1:$1"
graph_base = "http://127.0.0.1:$1/v1.0"
authority = "http://127.0.0.1:$1"
tenant_id = "fake-tenant"
client_id = "fake-client"
client_secret_env = "PCRECON_BENCH_SECRET"
refresh_token_file = "$WORK/no-refresh-token"
unbilled = false
[ledger]
paths = ["none.csv"]
TOML
}
FAKE_PID=
trap '[ -n "$FAKE_PID" ] && kill $FAKE_PID 2>/dev/null || true' EXIT
# fake CASE ARGS...: starts the fake Partner Center on the sample snapshot and writes the config
fake() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$FAKE" --dir "$ROOT/sample-data/partner-center" --port "$port" "$@" > "$WORK/fake.log" 2>&1 &
  FAKE_PID=$!
  for _ in $(seq 100); do grep -q listening "$WORK/fake.log" 2>/dev/null && break; sleep 0.1; done
  api_config "$port"
}
stop_fake() { kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; FAKE_PID=; }
fetch() { PCRECON_BENCH_SECRET=fake-secret run "$1" "$BIN" fetch --full --config "$WORK/api.toml" --out "$WORK/snap-$1" -q; }

# 7. Retry-After: 999999999 on every request
fake --throttle-retry-after 999999999
fetch retry-after-999999999
stop_fake

# 8. a continuation token that never ends paging (the same token back)
fake --sticky-continuation --page-size-cap 2
fetch same-continuation-token
stop_fake

# 9. the 10-million-item page served over HTTP (no Content-Length), by a tiny Python API
rm -f "$WORK/port"
$GEN serve "$WORK/port" "$WORK/items-served.json" &
FAKE_PID=$!
for _ in $(seq 100); do [ -f "$WORK/port" ] && break; sleep 0.1; done
api_config "$(cat "$WORK/port")"
fetch fetched-page-10M-items
stop_fake
rm -f "$WORK/items-served.json"

echo "hostile inputs (scale $SCALE, $PROFILE build $BIN)"
printf '%-24s %4s %9s %8s  %s\n' case exit "RSS MiB" "wall s" "first error line"
for r in "${ROWS[@]}"; do
  IFS='|' read -r name rc rss wall err <<< "$r"
  printf '%-24s %4s %9s %8s  %s\n' "$name" "$rc" "$rss" "$wall" "$err"
done
