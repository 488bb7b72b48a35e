#!/usr/bin/env bash
# A nightly run killed at any point and started again finishes the work
# without counting anything twice or losing a file: kill `kasi run` with
# SIGKILL at many points of a run over several days' files (each kill a
# little later than the one before, so the runs get further each time),
# check after each kill that the store is intact and every file is in
# exactly one place, then let a run finish and compare everything it left
# (facts, files, discrepancies, outcomes, reports, folders) with one clean
# run's.
. "$(dirname "$0")/lib.sh"

: "${GEN_WORLD:?GEN_WORLD must name tests/bench/gen_world (make test sets it)}"
policies=${RUN_CRASH_POLICIES:-20000}
days=${RUN_CRASH_DAYS:-8}
kills=${RUN_CRASH_KILLS:-12}
export KASI_NOW=2026-10-$(printf '%02d' $((days + 1)))T06:30:00+02:00

mkdir -p "$tmp/world"
"$GEN_WORLD" --policies "$policies" --out "$tmp/world" >/dev/null
base=$tmp/base.db
"$KASI" --db "$base" init >/dev/null &&
	"$KASI" --db "$base" load products "$tmp/world/products.csv" >/dev/null &&
	"$KASI" --db "$base" load policies "$tmp/world/policies.csv" >/dev/null &&
	"$KASI" --db "$base" load ledger "$tmp/world/ledger.csv" >/dev/null
check "a store with $policies policies" test -s "$base"

# setup NAME: a store copied from base, a drop of the Softy Comp files of
# days 1..days (and day 3's again under another name: a duplicate), a job.
setup() {
	local d=$tmp/$1 i
	mkdir -p "$d/drop"
	cp "$base" "$d/kasi.db"
	for ((i = 1; i <= days; i++)); do
		cp "$tmp/world/softycomp_transactions_202610$(printf '%02d' "$i").csv" "$d/drop/"
	done
	gzip -c "$d/drop/softycomp_transactions_20261003.csv" >"$d/drop/softycomp_transactions_20261003.csv.gz"
	cat >"$d/softycomp.job" <<-EOF
		[job]
		name       = softycomp
		source     = local
		remote_dir = drop
		pattern    = ^softycomp_transactions_[0-9]{8}\.csv(\.gz)?$
		schema     = softycomp_transactions
		root       = root
		deadline   = 07:00
		after_pull = keep
	EOF
}
run_day() { "$KASI" --db "$1/kasi.db" run "$1/softycomp.job" --date "2026-10-$(printf '%02d' "$days")"; }

# Everything a run leaves that matters, as one digest.
dump() {
	local d=$1
	{
		sql "$d/kasi.db" "SELECT count(*), sum(amount), count(duplicate_of) FROM facts;
			SELECT outcome, count(*) FROM files GROUP BY outcome ORDER BY outcome;
			SELECT code, period, count(*) FROM discrepancies GROUP BY code, period ORDER BY code, period;
			SELECT period, status, count(*), sum(collected) FROM outcomes GROUP BY period, status ORDER BY period, status;
			SELECT count(*) FROM fetched"
		(cd "$d/root" && find processed discrepancies error inbox -type f | sort)
		cat "$d/root/reports/outcomes_2026-10.csv" "$d/root/reports/discrepancies_2026-10.csv"
	} | sha256sum | cut -c1-16
}
# Every file of the drop is in exactly one of the inbox and the folders.
placed_once() {
	local d=$1 f n bad=0
	for f in "$d"/drop/*; do
		n=$(find "$d/root/inbox" "$d/root/processed" "$d/root/discrepancies" "$d/root/error" \
			-maxdepth 1 -name "$(basename "$f")" 2>/dev/null | wc -l)
		# Not fetched yet is allowed (n = 0, and not recorded as fetched).
		if [ "$n" -gt 1 ]; then bad=1; fi
		if [ "$n" -eq 0 ] && [ "$(sql "$d/kasi.db" "SELECT count(*) FROM fetched WHERE name = '$(basename "$f")'")" != 0 ]; then bad=1; fi
	done
	return $bad
}

setup clean
start=$(date +%s%N)
run_day "$tmp/clean" >/dev/null 2>&1
clean_status=$?
end=$(date +%s%N)
check "a clean run over $days days' files finishes (exit $clean_status: discrepancies)" test "$clean_status" = 1
ms=$(((end - start) / 1000000))
want=$(dump "$tmp/clean")
check "the clean run filed every file" test -z "$(ls -A "$tmp/clean/root/inbox")"
echo "# a clean run took ${ms} ms; killing at $kills points across it"

# Each trial: a fresh copy, one run killed at a point (trial k of K at
# k/K of the clean run's time, spread over all of it), checked, then a run
# to the end, compared with the clean run.
corrupt=0 misplaced=0 differ=0 hit=0
for ((k = 1; k <= kills; k++)); do
	rm -rf "$tmp/killed"
	setup killed
	"$KASI" --db "$tmp/killed/kasi.db" run "$tmp/killed/softycomp.job" --date "2026-10-$(printf '%02d' "$days")" >/dev/null 2>&1 &
	pid=$!
	sleep "$(awk -v ms="$ms" -v k="$k" -v n="$kills" 'BEGIN { printf "%.3f", ms * (k - 0.5) / n / 1000 }')"
	kill -9 "$pid" 2>/dev/null && hit=$((hit + 1))
	wait "$pid" 2>/dev/null
	[ "$(sql "$tmp/killed/kasi.db" 'PRAGMA integrity_check')" = ok ] || corrupt=$((corrupt + 1))
	placed_once "$tmp/killed" || misplaced=$((misplaced + 1))
	filed=$(find "$tmp/killed/root/processed" "$tmp/killed/root/discrepancies" "$tmp/killed/root/error" -name '*.csv*' ! -name '*.discrepancies.csv' 2>/dev/null | wc -l)
	run_day "$tmp/killed" >"$tmp/rerun.out" 2>&1
	st=$?
	got=$(dump "$tmp/killed")
	echo "# trial $k: killed with $filed of $((days + 1)) files filed; the rerun exited $st"
	if [ "$got" != "$want" ] || [ "$st" -gt 1 ] || [ -n "$(find "$tmp/killed/root" -name '.*.part')" ]; then
		differ=$((differ + 1))
		{
			echo "trial $k differs from the clean run:"
			for d in clean killed; do
				echo "$d:"
				sql "$tmp/$d/kasi.db" "SELECT outcome, count(*) FROM files GROUP BY outcome; SELECT code, count(*) FROM discrepancies GROUP BY code"
				(cd "$tmp/$d/root" && find . -type f | sort)
			done
		} | diag
	fi
done
check "$hit of $kills runs were killed mid-way" test "$hit" -ge $((kills / 2))
check "the store is intact after each kill" test "$corrupt" -eq 0
check "after each kill, no file is in two places or lost" test "$misplaced" -eq 0
check "each rerun finishes the work and leaves exactly what a clean run leaves" test "$differ" -eq 0
run_day "$tmp/killed" >/dev/null 2>&1
check "a run after that finds nothing new to do" test "$(dump "$tmp/killed")" = "$want"

echo "1..$tap_n"
