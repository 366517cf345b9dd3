#!/usr/bin/env bash
# pcrecon reconcile vs the DuckDB baseline job (../shared/bench) on a generated snapshot + ledger.
#
#   benches/vs-duckdb.sh SIZE [RUNS]      SIZE = number of line items, e.g. 100000, 1000000, 5000000
#
# Generates the data once (outside the repository, in $BENCH_DIR, default /tmp/pcrecon-bench), installs
# duckdb/polars/numpy into a virtual environment there if missing, builds pcrecon --release, then runs
# pcrecon and DuckDB alternately RUNS times (default 3) under /usr/bin/time -v, checks pcrecon's reports
# against the generator's expected.json, and prints medians and ratios (same machine, same run).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:?usage: benches/vs-duckdb.sh SIZE [RUNS]}; RUNS=${2:-3}
SHARED=$(cd ../shared/bench && pwd)
BENCH=${BENCH_DIR:-/tmp/pcrecon-bench}
VENV=$BENCH/venv; DATA=$BENCH/data-$SIZE; OUT=$BENCH/out-$SIZE
mkdir -p "$BENCH" "$OUT"

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import duckdb, polars, numpy' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q duckdb==2.0.1 polars==1.33.1 numpy
fi
PY=$VENV/bin/python
[ -f "$DATA/expected.json" ] || "$PY" "$SHARED/gen_large.py" --lines "$SIZE" --out "$DATA"

cargo build --release --quiet --bin pcrecon
cat > "$OUT/pcrecon.toml" <<TOML
[source]
kind = "snapshot"
dir = "$DATA/partner-center"
[ledger]
paths = ["$DATA/ledger/ledger.csv"]
[reconcile]
tolerance = "0.01"
[report]
out_dir = "$OUT/pcrecon"
formats = ["csv", "parquet"]
TOML

measure() {  # name, command... -> appends "name wall_s rss_mib cpu_s" to $OUT/runs.txt
  local name=$1; shift
  /usr/bin/time -v "$@" > "$OUT/$name.stdout" 2> "$OUT/$name.time" || true
  local wall rss cpu
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$OUT/$name.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$OUT/$name.time")
  # user + system CPU seconds: steadier than wall time on a shared machine
  cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.2f", s}' "$OUT/$name.time")
  echo "$name $wall $rss $cpu" >> "$OUT/runs.txt"
  echo "  $name: ${wall}s, ${rss} MiB, ${cpu} CPU-s"
}

: > "$OUT/runs.txt"
for i in $(seq "$RUNS"); do
  echo "run $i/$RUNS"
  rm -rf "$OUT/pcrecon" "$OUT/duckdb"
  measure pcrecon "${CARGO_TARGET_DIR:-target}/release/pcrecon" reconcile --config "$OUT/pcrecon.toml" --snapshot "$DATA/partner-center" -q
  measure duckdb "$PY" "$SHARED/run_duckdb.py" "$DATA/partner-center" "$DATA/ledger/ledger.csv" "$OUT/duckdb" --threads 2
done

echo "== answer check (pcrecon's Parquet reports vs expected.json)"
"$PY" benches/pcrecon_summary.py "$OUT/pcrecon/latest" "$OUT/pcrecon-check.json"
"$PY" "$SHARED/check_results.py" "$DATA/expected.json" "$OUT/pcrecon-check.json" "$OUT/duckdb/summary.json"
echo "== stage timings of the last pcrecon run (ms)"
"$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['timings_ms'])" "$OUT/pcrecon/latest/summary.json"

"$PY" - "$OUT/runs.txt" "$SIZE" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, wall, rss, cpu = line.split()
    runs.setdefault(name, []).append((float(wall), int(rss), float(cpu)))
med = {k: [statistics.median(r[i] for r in v) for i in range(3)] for k, v in runs.items()}
p, d = med["pcrecon"], med["duckdb"]
print(f"\n| {int(sys.argv[2]):,} lines | wall (s) | peak RSS (MiB) | CPU (s) |\n|---|---:|---:|---:|")
print(f"| DuckDB baseline | {d[0]:.2f} | {d[1]:,.0f} | {d[2]:.1f} |")
print(f"| pcrecon reconcile | {p[0]:.2f} | {p[1]:,.0f} | {p[2]:.1f} |")
print(f"| ratio pcrecon / DuckDB | {p[0] / d[0]:.2f}x | {p[1] / d[1]:.2f}x | {p[2] / d[2]:.2f}x |")
PY
