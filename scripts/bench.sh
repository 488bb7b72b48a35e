#!/usr/bin/env bash
# make bench: kasi validate beside its yardsticks, on the same
# deterministic data, in the same run.
#
#   1. ten EasyPay files of 100,000 rows each (EasyPay's per-file maximum;
#      1,000,000 rows, ~163 MB), written by tests/bench/gen_easypay with
#      fixed seeds, validated one by one as a nightly run would;
#   2. the yardsticks on the same ten files: wc -l; a minimal libcsv counter
#      (tests/bench/csvcount.c, the parse-only floor); the sqlite3 shell's
#      .import into an empty table (parsing + storing, no regex);
#   3. one 10,000,000-row file (~1.6 GB) validated with a copy of the
#      schema whose limits are raised: memory must not grow with the file.
#
# Each time is the median of BENCH_RUNS runs (default 3) of all ten files;
# peak RSS is the largest of any single process. Figures only: nothing here
# passes or fails on speed. Data lives in build/bench-data (not committed);
# the 10M-row file is removed afterwards unless BENCH_KEEP=1, and skipped
# with BENCH_BIG=0.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
KASI=${KASI:-$root/kasi}
BIN=${BENCH_BIN:-$root/build/bench}
RUNS=${BENCH_RUNS:-3}
data=$root/build/bench-data
mkdir -p "$data"
export LC_ALL=C

for tool in sqlite3 /usr/bin/time awk; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing (run scripts/deps.sh)"; exit 1; }
done

files=()
for d in $(seq -w 1 10); do
	f=$data/easypay_recon_202601$d.csv
	[ -s "$f" ] || "$BIN/gen_easypay" --date "202601$d" --rows 100000 --seed "1$d" --out "$f"
	files+=("$f")
done
bytes=$(cat "${files[@]}" | wc -c)
rows=1000000

# measure CMD...: run `CMD FILE` for each of the ten files, RUNS times.
# Sets `secs` (median wall time, seconds with 3 decimals) and `rss` (KiB).
measure() {
	local walls=() r f start end peak=0 one
	for ((r = 0; r < RUNS; r++)); do
		start=$(date +%s%N)
		for f in "${files[@]}"; do
			/usr/bin/time -f %M -o "$data/.rss" "$@" "$f" >/dev/null 2>&1 || true
			one=$(tail -1 "$data/.rss")
			[ "$one" -gt "$peak" ] && peak=$one
		done
		end=$(date +%s%N)
		walls+=($(( (end - start) / 1000000 )))
	done
	secs=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]/1000}')
	rss=$peak
}

# sqlite3's .import into a new, empty database for each file.
cat > "$data/sqlite-import.sh" <<'SH'
#!/bin/sh
db=$(dirname "$1")/import.db
rm -f "$db"
exec sqlite3 "$db" ".import --csv $1 recon"
SH
chmod +x "$data/sqlite-import.sh"

# Check once that each tool did the whole job on these files.
"$KASI" validate "${files[0]}" | grep -q ": valid: 100000 rows" ||
	{ echo "bench: kasi did not find ${files[0]} valid"; exit 1; }
"$data/sqlite-import.sh" "${files[0]}"
[ "$(sqlite3 "$data/import.db" 'select count(*) from recon')" = 100000 ] ||
	{ echo "bench: sqlite3 .import did not load 100000 rows"; exit 1; }

declare -A S M
for tool in kasi csvcount wc sqlite; do
	case $tool in
	kasi) measure "$KASI" validate ;;
	csvcount) measure "$BIN/csvcount" ;;
	wc) measure wc -l ;;
	sqlite) measure "$data/sqlite-import.sh" ;;
	esac
	S[$tool]=$secs
	M[$tool]=$rss
done

echo "kasi bench — validate 10 EasyPay files x 100,000 rows: $rows rows, $bytes bytes"
echo "(median of $RUNS runs; ratio = tool's time / kasi's time)"
printf '  %-30s %8s %12s %8s %10s %8s\n' tool seconds rows/s MB/s "peak RSS" ratio
row() {
	awk -v name="$1" -v s="$2" -v m="$3" -v k="${S[kasi]}" -v rows="$rows" -v bytes="$bytes" \
		'BEGIN { printf "  %-30s %8.3f %12.0f %8.1f %7.1f MB %7.2fx\n", name, s, rows / s, bytes / s / 1e6, m / 1024, s / k }'
}
row "kasi validate" "${S[kasi]}" "${M[kasi]}"
row "libcsv counter (floor)" "${S[csvcount]}" "${M[csvcount]}"
row "wc -l" "${S[wc]}" "${M[wc]}"
row "sqlite3 .import" "${S[sqlite]}" "${M[sqlite]}"
awk -v k="${S[kasi]}" -v c="${S[csvcount]}" -v q="${S[sqlite]}" -v m="${M[kasi]}" 'BEGIN {
	printf "  kasi is %.2fx faster than sqlite3 .import (target: at least 3x)\n", q / k
	printf "  kasi takes %.2fx the libcsv floor (target: within 1.5x)\n", k / c
	printf "  kasi peak RSS %.1f MB (target: under 32 MB)\n", m / 1024
}'

if [ "${BENCH_BIG:-1}" != 0 ]; then
	big=$data/easypay_recon_20260131.csv
	big_seed=31
	[ -s "$big" ] || "$BIN/gen_easypay" --date 20260131 --rows 10000000 --seed "$big_seed" --out "$big"
	mkdir -p "$data/schemas-big"
	cp "$root"/schemas/*.schema "$data/schemas-big/"
	sed -i -e 's/^max_bytes .*/max_bytes 10GB/' -e 's/^max_rows .*/max_rows 100000000/' \
		"$data/schemas-big/easypay_recon.schema"
	start=$(date +%s%N)
	/usr/bin/time -f %M -o "$data/.rss" "$KASI" --schemas "$data/schemas-big" validate "$big" \
		> "$data/.big.out"
	end=$(date +%s%N)
	grep -q ": valid: 10000000 rows" "$data/.big.out" || { cat "$data/.big.out"; exit 1; }
	big_rss=$(tail -1 "$data/.rss")
	start2=$(date +%s%N)
	"$BIN/csvcount" "$big" >/dev/null
	end2=$(date +%s%N)
	awk -v ns=$((end - start)) -v cns=$((end2 - start2)) -v m="$big_rss" -v b="$(stat -c %s "$big")" 'BEGIN {
		printf "one file of 10,000,000 rows (%.0f MB), limits raised in a bench copy of the schema:\n", b / 1e6
		printf "  kasi validate %.2f s (%.0f rows/s), peak RSS %.1f MB (target: under 32 MB); libcsv floor %.2f s\n",
			ns / 1e9, 1e7 / (ns / 1e9), m / 1024, cns / 1e9
	}'
	[ "${BENCH_KEEP:-0}" = 1 ] || rm -f "$big"
fi
rm -f "$data/import.db" "$data/.rss" "$data/.big.out"
