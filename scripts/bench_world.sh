#!/usr/bin/env bash
# make bench (part 2): kasi's core on a generated world, beside its
# yardstick, on the same data, in the same run.
#
#   1. a world of BENCH_POLICIES policies (default 1,000,000) and one month
#      of channel files (October 2026, ~1 fact per policy), written by
#      tests/bench/gen_world with a fixed seed;
#   2. kasi, as a night would run it: init; load products, policies and
#      the ledger; schedule 2026-10; ingest every channel file in date
#      order (one kasi ingest, each file its own transaction, as the
#      nightly job will); reconcile 2026-10; report outcomes and
#      discrepancies. Each step is timed, with its peak RSS. Beside the
#      pipeline, the same ingest with a process per file, on a copy of
#      the store as it was before;
#   3. beside the pipeline: the same ingest into an empty store, and
#      again from a world whose transaction ids come in no order
#      (gen_world --scatter-ids): what the order of ids costs;
#   4. the yardstick: the sqlite3 shell importing the same CSVs into an
#      empty database, indexing the references, and one SQL join of the
#      facts to the policies with a GROUP BY per policy, written as CSV.
#
# The whole run is repeated BENCH_RUNS times (default 3), the yardstick
# after each pipeline; each figure is the median. Figures only: nothing
# here passes or fails on speed. Data lives in build/bench-data/world
# (not committed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
KASI=${KASI:-$root/kasi}
BIN=${BENCH_BIN:-$root/build/bench}
N=${BENCH_POLICIES:-1000000}
RUNS=${BENCH_RUNS:-3}
period=2026-10
work=$root/build/bench-data/world
world=$work/data-$N
export LC_ALL=C
export KASI_SCHEMAS=${KASI_SCHEMAS:-$root/schemas}
mkdir -p "$work"

for tool in sqlite3 /usr/bin/time awk; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing (run scripts/deps.sh)"; exit 1; }
done
# generate DIR ARGS...: the world gen_world writes with ARGS, unless DIR
# holds it already (its stamp: the generator's checksum and the ARGS).
generate() {
	local dir=$1 stamp
	shift
	stamp="$(sha256sum <"$BIN/gen_world") $*"
	[ -s "$dir/policies.csv" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ] && return
	rm -rf "$dir"
	mkdir -p "$dir"
	"$BIN/gen_world" "$@" --out "$dir"
	echo "$stamp" >"$dir/.stamp"
}
seed=7
generate "$world" --policies "$N" --seed "$seed"
scattered=$work/data-$N-scattered
generate "$scattered" --policies "$N" --seed "$seed" --scatter-ids

# A world's channel files in date order (the date in the name), channel
# order within a day.
files_of() {
	for f in "$1"/{softycomp,collexia,easypay}_*.csv; do
		echo "$(basename "$f" | grep -oE '[0-9]{8}') $f"
	done | sort -s -k1,1 | awk '{print $2}'
}
channel_files=$(files_of "$world")
scattered_files=$(files_of "$scattered")
nfiles=$(wc -l <<<"$channel_files")
facts=$(for f in $channel_files; do tail -n +2 "$f"; done | wc -l)
bytes=$(cat "$world"/*.csv | wc -c)

# step NAME CMD...: run once; add its wall seconds to T[NAME] and its
# peak RSS (KiB) to M[NAME], a word a run. Output goes to $work/NAME.out.
# A shell function reports its own peak RSS in $work/.rss.
declare -A T M
order=()
step() {
	local name=$1 start end
	shift
	sync # each step starts with no one else's writes still in flight
	start=$(date +%s%N)
	local timer=(/usr/bin/time -f %M -o "$work/.rss")
	declare -F "$1" >/dev/null && timer=()
	local status=0
	"${timer[@]}" "$@" >"$work/$name.out" 2>&1 || status=$?
	# reconcile exits 1 when it found discrepancies: the world has some.
	if [ $status != 0 ] && ! [ "$name" = reconcile ] || [ $status -gt 1 ]; then
		echo "bench: $name failed (exit $status):"
		tail -5 "$work/$name.out"
		exit 1
	fi
	end=$(date +%s%N)
	[ -n "${T[$name]+set}" ] || order+=("$name")
	T[$name]+="$(awk -v ns=$((end - start)) 'BEGIN { printf "%.3f", ns / 1e9 }') "
	M[$name]+="$(tail -1 "$work/.rss") "
}

# The median of a run's words; the largest.
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
largest() { tr ' ' '\n' <<<"$1" | grep . | sort -n | tail -1; }

# ingest every file, a process each.
ingest_each() {
	local f peak=0 one
	for f in $channel_files; do
		/usr/bin/time -f %M -o "$work/.rss1" "$KASI" ingest "$f" >/dev/null ||
			{ echo "bench: ingest $f failed"; return 1; }
		one=$(tail -1 "$work/.rss1")
		[ "$one" -gt "$peak" ] && peak=$one
	done
	echo "$peak" >"$work/.rss"
}

export KASI_DB=$work/kasi.db
pipeline_once() {
	rm -f "$KASI_DB" "$KASI_DB"-wal "$KASI_DB"-shm "$work"/outcomes.csv "$work"/discrepancies.csv
	step init "$KASI" init
	step "load products" "$KASI" load products "$world/products.csv"
	step "load policies" "$KASI" load policies "$world/policies.csv"
	step "load ledger" "$KASI" load ledger "$world/ledger.csv"
	step schedule "$KASI" schedule --period "$period"
	rm -f "$work"/before-ingest.db*
	sqlite3 "$KASI_DB" ".backup $work/before-ingest.db"
	# shellcheck disable=SC2086 # one word a file
	step ingest "$KASI" ingest $channel_files
	step reconcile "$KASI" reconcile --period "$period"
	step "report outcomes" "$KASI" report outcomes --period "$period" --out "$work/outcomes.csv"
	step "report discrepancies" "$KASI" report discrepancies --period "$period" \
		--out "$work/discrepancies.csv"
	# Settlement of the month: beside the pipeline (the yardstick settles
	# nothing), as a ratio to reconcile. The clock is fixed after the
	# month: a settlement may not reach past today.
	step settle env KASI_NOW=2026-11-30T08:00:00+02:00 "$KASI" settle --through 2026-10-31
	grep -q "batches" "$work/settle.out" || { cat "$work/settle.out"; exit 1; }
	# The finance team's views of the month, beside it too: the worklist
	# and the summary page, each as a ratio to reconcile.
	step exceptions "$KASI" exceptions --period "$period"
	step summary "$KASI" report summary --period "$period" --out "$work/summary.html"
	grep -q "written to" "$work/summary.out" || { cat "$work/summary.out"; exit 1; }

	# Check that kasi did the whole job.
	grep -q "$N" "$work/load policies.out" || { cat "$work/load policies.out"; exit 1; }
	outcomes=$(($(wc -l <"$work/outcomes.csv") - 1))
	[ "$outcomes" -gt $((N * 9 / 10)) ] || { echo "bench: only $outcomes outcomes"; exit 1; }

	# The same ingest, a process per file, on the store as it was.
	KASI_DB=$work/before-ingest.db step "ingest, a process a file" ingest_each
	rm -f "$work"/before-ingest.db*

	# Ingest alone, into an empty store: ids in time order, then scattered.
	local db
	for db in ordered scattered; do
		rm -f "$work/$db.db"*
		KASI_DB=$work/$db.db "$KASI" init >/dev/null
	done
	# shellcheck disable=SC2086 # one word a file
	KASI_DB=$work/ordered.db step "ingest alone, ids in order" "$KASI" ingest $channel_files
	# shellcheck disable=SC2086
	KASI_DB=$work/scattered.db step "ingest alone, ids scattered" "$KASI" ingest $scattered_files
	rm -f "$work"/ordered.db* "$work"/scattered.db*
}

# The yardstick.
ydb=$work/yard.db
{
	echo ".mode csv"
	for t in products policies ledger; do echo ".import $world/$t.csv $t"; done
	for ch in softycomp collexia easypay; do
		first=1
		for f in "$world"/${ch}_*.csv; do
			if [ $first = 1 ]; then echo ".import $f $ch"; first=0; else echo ".import --skip 1 $f $ch"; fi
		done
	done
	cat <<'SQL'
CREATE INDEX policies_by_ref ON policies(collection_ref);
CREATE INDEX policies_by_code ON policies(easypay_code);
.headers on
SQL
	echo ".output $work/yard.csv"
	cat <<'SQL'
SELECT p.policy_number, p.premium, count(f.amount) AS facts, coalesce(sum(f.amount), 0) AS collected
  FROM policies p
  LEFT JOIN (SELECT collectionId AS ref, -CAST(amount AS REAL) AS amount FROM softycomp
             UNION ALL
             SELECT contractReference, CAST(amountPaidOut AS REAL) FROM collexia WHERE status = '3'
             UNION ALL
             SELECT easypay_code, CAST(gross_amount AS REAL) FROM easypay
              WHERE settlement_status = 'settled' AND transaction_type = 'topup') f
    ON f.ref = CASE WHEN p.channel = 'easypay' THEN p.easypay_code ELSE p.collection_ref END
 GROUP BY p.policy_number;
SQL
} >"$work/yard.sql"
yardstick_once() {
	rm -f "$ydb" "$work/yard.csv"
	step yardstick sqlite3 "$ydb" ".read $work/yard.sql"
	[ "$(($(wc -l <"$work/yard.csv") - 1))" = "$N" ] ||
		{ echo "bench: the yardstick wrote $(wc -l <"$work/yard.csv") lines"; exit 1; }
}

for ((run = 1; run <= RUNS; run++)); do
	pipeline_once
	yardstick_once
done
for s in "${order[@]}"; do
	T[$s]=$(median "${T[$s]}")
	M[$s]=$(largest "${M[$s]}")
done

pipeline=0
peak=0
for s in "${order[@]}"; do
	case $s in yardstick | settle | exceptions | summary | "ingest, "* | "ingest alone"*) continue ;; esac
	pipeline=$(awk -v a="$pipeline" -v b="${T[$s]}" 'BEGIN { printf "%.3f", a + b }')
	[ "${M[$s]}" -gt "$peak" ] && peak=${M[$s]}
done

echo "kasi bench — the core on a world of $N policies: $nfiles channel files, $facts facts, $bytes bytes of CSV"
echo "(median of $RUNS runs of each step; peak RSS the largest of any run)"
printf '  %-24s %9s %10s %12s\n' step seconds "peak RSS" rows/s
for s in "${order[@]}"; do
	case $s in yardstick | settle | exceptions | summary | "ingest, "* | "ingest alone"*) continue ;; esac
	rows=
	case $s in
	"load policies") rows=$N ;;
	ingest) rows=$facts ;;
	esac
	awk -v name="$s" -v t="${T[$s]}" -v m="${M[$s]}" -v rows="$rows" 'BEGIN {
		printf "  %-24s %9.3f %7.1f MB %12s\n", name, t, m / 1024, rows ? sprintf("%.0f", rows / t) : ""
	}'
done
awk -v t="$pipeline" -v m="$peak" 'BEGIN { printf "  %-24s %9.3f %7.1f MB\n", "whole pipeline", t, m / 1024 }'
awk -v t="${T[yardstick]}" -v m="${M[yardstick]}" 'BEGIN { printf "  %-24s %9.3f %7.1f MB\n", "yardstick (sqlite3)", t, m / 1024 }'
awk -v t="${T["ingest, a process a file"]}" -v m="${M["ingest, a process a file"]}" -v rows="$facts" 'BEGIN {
	printf "  beside: ingest with a process a file %.3f s (%.0f rows/s), peak RSS %.1f MB\n", t, rows / t, m / 1024
}'
awk -v o="${T["ingest alone, ids in order"]}" -v x="${T["ingest alone, ids scattered"]}" -v rows="$facts" 'BEGIN {
	printf "  beside: ingest into an empty store, ids in time order %.3f s (%.0f rows/s); ids in no order %.3f s (%.0f rows/s)\n", o, rows / o, x, rows / x
}'
lines=$(sed -n 's/.*batches\?, \([0-9]*\) lines.*/\1/p' "$work/settle.out" | head -1)
awk -v t="${T[settle]}" -v m="${M[settle]}" -v r="${T[reconcile]}" -v lines="$lines" 'BEGIN {
	printf "  beside: settle the month %.3f s (%s lines, %.0f lines/s), peak RSS %.1f MB: %.2fx reconcile (target: at most 0.5x)\n", t, lines, lines / t, m / 1024, t / r
}'
for s in exceptions summary; do
	awk -v name="$s" -v t="${T[$s]}" -v m="${M[$s]}" -v r="${T[reconcile]}" 'BEGIN {
		printf "  beside: %s %.3f s, peak RSS %.1f MB: %.2fx reconcile (target: under 0.5x)\n", name, t, m / 1024, t / r
	}'
done
awk -v b="$(stat -c %s "$work/summary.html")" 'BEGIN { printf "  the summary page: %d bytes (target: under 1 MB)\n", b }'
awk -v r="${T[reconcile]}" -v p="$pipeline" -v y="${T[yardstick]}" -v m="$peak" 'BEGIN {
	printf "  reconcile %.2f s, %.2fx the yardstick (target: under 3 s)\n", r, r / y
	printf "  the pipeline takes %.2fx the yardstick (target: at most 1.5x)\n", p / y
	printf "  peak RSS %.1f MB (target: under 256 MB)\n", m / 1024
}'
sed 's/^/  reconcile: /' "$work/reconcile.out" | tail -4
rm -f "$work/.rss" "$work/.rss1" "$ydb"
