#!/usr/bin/env bash
# Hostile inputs (issue 15): each must end with a clear error and the contract's exit code, in
# bounded memory and time — never an out-of-memory kill or a hang.
#
#   benches/hostile.sh [SCALE]     SCALE = 1 for the full sizes (default); 0.01 to try the script
#
# Builds every input under $BENCH_DIR/hostile (default /tmp/pcrecon-bench/hostile) from a copy of
# sample-data, streamed so the generators stay small, runs the release binary on each under
# /usr/bin/time -v, and prints: case, exit code, peak RSS, wall time, the first error line.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${1:-1}
ROOT=$(pwd)
WORK=${BENCH_DIR:-/tmp/pcrecon-bench}/hostile
BIN=${CARGO_TARGET_DIR:-target}/release
cargo build --release --quiet --bin pcrecon --example fake-partner-center
rm -rf "$WORK" && mkdir -p "$WORK"
n() { python3 -c "import sys; print(max(1, int(float(sys.argv[1]) * float(sys.argv[2]))))" "$1" "$SCALE"; }

# a copy of the sample snapshot with one file replaced, its manifest rewritten
snapshot() {  # name -> prints the snapshot dir
  local dir="$WORK/$1/partner-center"
  mkdir -p "$WORK/$1" && cp -r "$ROOT/sample-data/partner-center" "$dir"
  echo "$dir"
}
config() {  # case dir, ledger glob
  cat > "$WORK/$1/pcrecon.toml" <<TOML
[source]
kind = "snapshot"
dir = "$WORK/$1/partner-center"
[ledger]
paths = ["$2"]
[report]
out_dir = "$WORK/$1/reports"
TOML
}
BLOB=invoices/G099887766/export/part-00000-84d0b7c3-2e48-494f-a57d-2f68587f3abc.c000.json.gz
LEDGER="$ROOT/sample-data/ledger/*.csv"

: > "$WORK/results.txt"
run() {  # case, command...
  local name=$1; shift
  local t0 rc
  t0=$(date +%s.%N)
  set +e
  timeout 600 /usr/bin/time -v "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
  rc=$?
  set -e
  local wall rss first
  wall=$(python3 -c "import sys,time; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$t0")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$WORK/$name.err")
  first=$(grep -m1 -E 'error' "$WORK/$name.err" | sed "s|$WORK/$name/||g; s|^pcrecon: error: ||" | cut -c1-220 || true)
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$rc" "${rss:-?}" "$wall" "$first" | tee -a "$WORK/results.txt"
}

# 1. a 2 GB single JSON line in an export blob
d=$(snapshot line-2gb)
python3 - "$d/$BLOB" "$(n 2147483648)" <<'PY'
import gzip, sys
path, size = sys.argv[1], int(sys.argv[2])
with gzip.open(path, "wb", compresslevel=1) as f:
    f.write(b'{"InvoiceNumber":"G099887766","ProductName":"')
    chunk = b"x" * (1 << 20)
    left = size
    while left > 0:
        f.write(chunk[: min(left, len(chunk))]); left -= len(chunk)
    f.write(b'"}\n')
PY
"$BIN/pcrecon" manifest --snapshot "$d" -q >/dev/null; config line-2gb "$LEDGER"
run line-2gb "$BIN/pcrecon" reconcile --config "$WORK/line-2gb/pcrecon.toml" --snapshot "$WORK/line-2gb/partner-center" -q

# 2. a gzip bomb: 10 GB of blank lines in ~10 MB (gzip -9: ~1000:1)
d=$(snapshot gzip-bomb)
head -c "$(n 10737418240)" /dev/zero | tr '\0' '\n' | gzip -9 > "$d/$BLOB"
"$BIN/pcrecon" manifest --snapshot "$d" -q >/dev/null; config gzip-bomb "$LEDGER"
run gzip-bomb "$BIN/pcrecon" reconcile --config "$WORK/gzip-bomb/pcrecon.toml" --snapshot "$WORK/gzip-bomb/partner-center" -q

# 3. a v1 page with 10 million tiny items
d=$(snapshot page-10m-items)
python3 - "$d/invoices/D0517730KQ/lineitems/office-billinglineitems/page-0002.json" "$(n 10000000)" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write('{"totalCount":%d,"items":[' % n)
    f.write(",".join(["{}"] * 100000) if n >= 100000 else ",".join(["{}"] * n))
    for _ in range(n // 100000 - 1):
        f.write("," + ",".join(["{}"] * 100000))
    f.write('],"attributes":{"objectType":"Collection"}}')
PY
"$BIN/pcrecon" manifest --snapshot "$d" -q >/dev/null; config page-10m-items "$LEDGER"
run page-10m-items "$BIN/pcrecon" reconcile --config "$WORK/page-10m-items/pcrecon.toml" --snapshot "$WORK/page-10m-items/partner-center" -q

# 4. a ledger with a 100 MB field
d=$(snapshot ledger-100mb-field)
mkdir -p "$WORK/ledger-100mb-field/ledger"
python3 - "$ROOT/sample-data/ledger" "$WORK/ledger-100mb-field/ledger/ledger.csv" "$(n 104857600)" <<'PY'
import glob, sys
src, dest, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
first = sorted(glob.glob(src + "/*.csv"))[0]
lines = open(first, encoding="utf-8-sig").read().splitlines()
header, row = lines[0], lines[1]
cols = header.split(",")
cells = row.split(",")
i = cols.index("description") if "description" in cols else len(cells) - 1
with open(dest, "w") as f:
    f.write("\n".join(lines) + "\n")
    cells[0] = cells[0] + "-big"
    cells[i] = '"' + "y" * size + '"'
    f.write(",".join(cells) + "\n")
PY
config ledger-100mb-field "$WORK/ledger-100mb-field/ledger/ledger.csv"
run ledger-100mb-field "$BIN/pcrecon" reconcile --config "$WORK/ledger-100mb-field/pcrecon.toml" --snapshot "$WORK/ledger-100mb-field/partner-center" -q

# 5. an export manifest listing 1 million blobs
d=$(snapshot manifest-1m-blobs)
python3 - "$d/invoices/G099887766/export/manifest.json" "$(n 1000000)" <<'PY'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
m = json.load(open(path))
with open(path, "w") as f:
    head = dict(m, blobCount=n); del head["blobs"]
    f.write(json.dumps(head)[:-1] + ',"blobs":[')
    f.write(",".join('{"name":"part-%07d-00000000-0000-0000-0000-000000000000.c000.json.gz","partitionValue":"default"}' % i for i in range(n)))
    f.write("]}")
PY
"$BIN/pcrecon" manifest --snapshot "$d" -q >/dev/null; config manifest-1m-blobs "$LEDGER"
run manifest-1m-blobs "$BIN/pcrecon" reconcile --config "$WORK/manifest-1m-blobs/pcrecon.toml" --snapshot "$WORK/manifest-1m-blobs/partner-center" -q

# 6 and 7: the API side, against the fake Partner Center
api_case() {  # name, fake flags...
  local name=$1; shift
  local port=$((20000 + RANDOM % 20000))
  mkdir -p "$WORK/$name/secrets"
  echo "fake-refresh-token-0" > "$WORK/$name/secrets/refresh-token"
  "$BIN/examples/fake-partner-center" --dir "$ROOT/sample-data/partner-center" --port "$port" "$@" > "$WORK/$name/fake.log" 2>&1 &
  local fake=$!
  for _ in $(seq 50); do grep -q listening "$WORK/$name/fake.log" 2>/dev/null && break; sleep 0.1; done
  cat > "$WORK/$name/pcrecon.toml" <<TOML
[source]
kind = "partner_center"
snapshot_dir = "$WORK/$name/snapshots"
[partner_center]
api_base = "http://127.0.0.1:$port"
graph_base = "http://127.0.0.1:$port/v1.0"
authority = "http://127.0.0.1:$port"
tenant_id = "fake-tenant"
client_id = "fake-client"
client_secret_env = "PCRECON_HOSTILE_SECRET"
refresh_token_file = "$WORK/$name/secrets/refresh-token"
[ledger]
paths = ["$LEDGER"]
[report]
out_dir = "$WORK/$name/reports"
TOML
  PCRECON_HOSTILE_SECRET=fake-secret run "$name" "$BIN/pcrecon" fetch --config "$WORK/$name/pcrecon.toml" --out "$WORK/$name/snap" -q
  kill "$fake" 2>/dev/null || true; wait "$fake" 2>/dev/null || true
}
api_case retry-after-999999999 --retry-after-always 999999999
api_case same-continuation-token --same-continuation-token --page-size-cap 2

echo
echo "| case | exit | peak RSS (MiB) | wall (s) | error |"
echo "|---|---:|---:|---:|---|"
awk -F'\t' '{printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5}' "$WORK/results.txt"
