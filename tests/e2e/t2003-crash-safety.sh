#!/usr/bin/env bash
# Crash safety (a file is all or nothing): kill `kasi ingest` with SIGKILL at
# many points during a large file. After each kill the store must be
# intact and hold none of the file or all of it, never part; after the
# run that finally completes, its totals must equal a clean run's.
. "$(dirname "$0")/lib.sh"

rows=${CRASH_ROWS:-300000}
kills=${CRASH_KILLS:-12}
big=$tmp/softycomp_transactions_20261031.csv
{
	echo "transactionId,transactionTypeId,clientId,collectionId,transactionDate,amount,reference,generationTypeId,cycleDate,originalTransactionId,unpaidReasonDescription"
	awk -v n="$rows" 'BEGIN { for (i = 1; i <= n; i++)
		printf "%d,4,%d,%d,2026-10-31T00:00:00,-%d.%02d,SOFTY %06d,1,2026-10-31T00:00:00,,\n",
			1000000 + i, 500 + i % 977, 164061 + i % 5000, 50 + i % 950, i % 100, i % 1000000 }'
} > "$big"

totals() { sql "$1" "SELECT count(*) || ' ' || ifnull(sum(amount), 0) || ' ' || (SELECT count(*) FROM files WHERE outcome = 'applied' AND rows > 0) FROM facts WHERE duplicate_of IS NULL"; }

clean=$tmp/clean.db
world "$clean"
start=$(date +%s%N)
"$KASI" --db "$clean" ingest "$big" >/dev/null
end=$(date +%s%N)
want=$(totals "$clean")
check "a clean run stores every row ($want)" test "${want%% *}" = "$rows"
ms=$(((end - start) / 1000000))
echo "# a clean ingest of $rows rows took ${ms} ms; killing at $kills points across it"

db=$tmp/killed.db
world "$db"
partial=0 corrupt=0 applied_at=
for ((k = 1; k <= kills; k++)); do
	"$KASI" --db "$db" ingest "$big" >/dev/null 2>&1 &
	pid=$!
	# From 10% to 130% of a clean run: before, around and after the commit
	# (a run after the commit re-reads the file, finds it applied, rolls back).
	sleep "$(awk -v ms="$ms" -v k="$k" -v n="$kills" 'BEGIN { printf "%.3f", ms * (0.1 + 1.2 * (k - 1) / (n - 1)) / 1000 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ "$(sql "$db" 'PRAGMA integrity_check')" = ok ] || corrupt=$((corrupt + 1))
	got=$(totals "$db")
	n=${got%% *}
	if [ "$n" != 0 ] && [ "$n" != "$rows" ]; then
		partial=$((partial + 1))
		echo "# after kill $k: $got (part of the file)"
	fi
	[ "$n" = "$rows" ] && [ -z "$applied_at" ] && applied_at=$k
done
check "the store is intact after each of $kills kills" test "$corrupt" -eq 0
check "after each kill it holds none of the file or all of it" test "$partial" -eq 0
echo "# the file was complete from kill ${applied_at:-none} on (later runs found it applied)"

"$KASI" --db "$db" ingest "$big" >/dev/null
status=$?
check "the run after the kills finishes the work (exit $status)" test "$status" -eq 0 -o "$status" -eq 1
got=$(totals "$db")
check "and the totals equal the clean run's ($got)" test "$got" = "$want"
check "with no fact counted twice" test "$(sql "$db" 'SELECT count(*) FROM facts WHERE duplicate_of IS NULL')" = "$rows"

echo "1..$tap_n"
