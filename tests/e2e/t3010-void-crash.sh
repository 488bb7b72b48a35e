#!/usr/bin/env bash
# A void is all or nothing: kill `kasi void` with SIGKILL at many points
# while it withdraws a large file. After each kill the store is intact and
# the file is voided whole (the void recorded, the file marked, every row
# withdrawn, its period out of date) or not at all (nothing of it); the
# run that completes it leaves what a clean void leaves, and a second
# void of the file is refused.
. "$(dirname "$0")/lib.sh"
export KASI_NOW=2026-11-30T08:00:00+02:00

rows=${VOID_ROWS:-200000}
kills=${VOID_KILLS:-10}
name=softycomp_transactions_20261031.csv
big=$tmp/$name
{
	echo "transactionId,transactionTypeId,clientId,collectionId,transactionDate,amount,reference,generationTypeId,cycleDate,originalTransactionId,unpaidReasonDescription"
	awk -v n="$rows" 'BEGIN { for (i = 1; i <= n; i++)
		printf "%d,4,%d,%d,2026-10-31T00:00:00,-%d.%02d,SOFTY %06d,1,2026-10-31T00:00:00,,\n",
			1000000 + i, 500 + i % 977, 164061 + i % 5000, 50 + i % 950, i % 100, i % 1000000 }'
} >"$big"

make_store() {
	world "$1" && "$KASI" --db "$1" ingest "$big" >/dev/null &&
		"$KASI" --db "$1" schedule --period 2026-10 >/dev/null &&
		{ "$KASI" --db "$1" reconcile --period 2026-10 >/dev/null || [ $? = 1 ]; }
}
# The void as the store holds it: voids, files marked, rows withdrawn,
# keys still counted, and whether October reads as out of date.
state() {
	sql "$1" "SELECT (SELECT count(*) FROM voids) || ' ' ||
		(SELECT count(*) FROM files WHERE voided IS NOT NULL) || ' ' ||
		(SELECT count(*) FROM facts WHERE withdrawn IS NOT NULL) || ' ' ||
		(SELECT count(*) FROM facts WHERE duplicate_of IS NULL AND withdrawn IS NULL)"
}
stale() { "$KASI" --db "$1" status | grep -c '^  2026-10 .*OUT OF DATE' || true; }

clean=$tmp/clean.db
check "a store with a file of $rows rows to void" make_store "$clean"
before=$(state "$clean")
start=$(date +%s%N)
"$KASI" --db "$clean" void "$name" --note "wrong file" >/dev/null
end=$(date +%s%N)
want=$(state "$clean")
check "a clean void withdraws every row ($want)" test "$want" = "1 1 $rows 0"
check "and puts October out of date" test "$(stale "$clean")" = 1
ms=$(((end - start) / 1000000))
echo "# a clean void of $rows rows took ${ms} ms; killing at $kills points across it"

db=$tmp/killed.db
make_store "$db"
partial=0 corrupt=0
for ((k = 1; k <= kills; k++)); do
	"$KASI" --db "$db" void "$name" --note "wrong file" >/dev/null 2>&1 &
	pid=$!
	sleep "$(awk -v ms="$ms" -v k="$k" -v n="$kills" 'BEGIN { printf "%.3f", ms * (0.05 + 1.3 * (k - 1) / (n - 1)) / 1000 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ "$(sql "$db" 'PRAGMA integrity_check')" = ok ] || corrupt=$((corrupt + 1))
	got=$(state "$db")
	if [ "$got" != "$before" ] && [ "$got" != "$want" ]; then
		partial=$((partial + 1))
		echo "# after kill $k: $got (part of the void)"
	fi
	if [ "$got" = "$before" ] && [ "$(stale "$db")" != 0 ]; then
		partial=$((partial + 1))
		echo "# after kill $k: not voided, yet October out of date"
	fi
done
check "the store is intact after each of $kills kills" test "$corrupt" -eq 0
check "after each kill the file is voided whole or not at all" test "$partial" -eq 0
"$KASI" --db "$db" void "$name" --note "wrong file" >/dev/null 2>&1
status=$?
check "the run after the kills voids it, or finds it voided (exit $status)" test "$status" -eq 0 -o "$status" -eq 65
check "and the store holds what a clean void leaves" test "$(state "$db")" = "$want"
check "with October out of date" test "$(stale "$db")" = 1
kasi --db "$db" void "$name" --note "wrong file"
expect_status 65 "a void of a voided file is refused"
echo "1..$tap_n"
