#!/usr/bin/env bash
# I/O faults: the disk fills up, or refuses to make
# writes durable, while kasi ingests, reconciles or writes a report. Each
# time kasi must stop with exit 74 and a message naming what failed, the
# store must be intact and hold a file (or a reconciliation) whole or not
# at all, a report must appear whole or not at all (an older one left as
# it was), and a rerun once the fault is gone must finish the work with
# the totals of a run that never failed.
#
# "Disk full" is a real file size limit (ulimit -f, SIGXFSZ ignored: the
# write fails with EFBIG); a failing fsync is tests/fault/syncfail.c,
# preloaded ($SYNCFAIL).
. "$(dirname "$0")/lib.sh"
: "${SYNCFAIL:?SYNCFAIL must name the fsync-failing shim (make test builds it)}"
# The shim comes before the sanitizer's runtime in an ASan build.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"

rows=20000
big=$tmp/softycomp_transactions_20261031.csv
{
	echo "transactionId,transactionTypeId,clientId,collectionId,transactionDate,amount,reference,generationTypeId,cycleDate,originalTransactionId,unpaidReasonDescription"
	awk -v n="$rows" 'BEGIN { for (i = 1; i <= n; i++)
		printf "%d,4,%d,%d,2026-10-31T00:00:00,-%d.%02d,SOFTY %06d,1,2026-10-31T00:00:00,,\n",
			1000000 + i, 500 + i % 977, 164061 + i % 5000, 50 + i % 950, i % 100, i }'
} >"$big"

totals() { sql "$1" "SELECT count(*) || ' ' || ifnull(sum(amount), 0) || ' ' || (SELECT count(*) FROM files WHERE outcome = 'applied' AND rows > 0) FROM facts WHERE duplicate_of IS NULL"; }
intact() { [ "$(sql "$1" 'PRAGMA integrity_check')" = ok ]; }

# limited KIB CMD...: CMD with every file it writes limited to KIB KiB;
# its stderr in $err (through a pipe, which no limit touches), exit in $status.
limited() {
	local kib=$1
	shift
	err=$( (
		trap '' XFSZ
		ulimit -f "$kib"
		exec "$@" 2>&1 >/dev/null
	))
	status=$?
}
# syncfail AFTER PATH CMD...: CMD with every fsync of a file whose path
# holds PATH failing after the first AFTER; stderr in $err, exit in $status.
syncfail() {
	local after=$1 path=$2
	shift 2
	err=$(SYNCFAIL_AFTER=$after SYNCFAIL_PATH=$path LD_PRELOAD=$SYNCFAIL "$@" 2>&1 >/dev/null)
	status=$?
}

base=$tmp/base.db
world "$base"
clean=$tmp/clean.db
cp "$base" "$clean"
"$KASI" --db "$clean" ingest "$big" >/dev/null
want=$(totals "$clean")
none=$(totals "$base")
check "a clean run stores every row ($want)" test "${want%% *}" = "$rows"

# ---- the disk fills up during an ingest --------------------------------------
base_kib=$(($(stat -c %s "$base") / 1024))
bad=0 partial=0 unclear=0
for kib in 64 256 1024 2048; do
	db=$tmp/full-$kib.db
	cp "$base" "$db"
	limited "$kib" "$KASI" --db "$db" ingest "$big"
	[ "$status" = 74 ] || { bad=$((bad + 1)); echo "# limit ${kib} KiB: exit $status: $err"; }
	grep -qF "stopped: store '$db'" <<<"$err" && grep -qF 'a write failed' <<<"$err" ||
		{ unclear=$((unclear + 1)); echo "# limit ${kib} KiB said: $err"; }
	intact "$db" || bad=$((bad + 1))
	[ "$(totals "$db")" = "$none" ] || { partial=$((partial + 1)); echo "# limit ${kib} KiB: $(totals "$db")"; }
	"$KASI" --db "$db" ingest "$big" >/dev/null
	[ $? = 0 ] && [ "$(totals "$db")" = "$want" ] || bad=$((bad + 1))
done
echo "# the store was ${base_kib} KiB before the file, $(($(stat -c %s "$clean") / 1024)) KiB after"
check "disk full during ingest: exit 74, the store intact, the rerun completes" test "$bad" = 0
check "disk full during ingest: nothing of the file stored" test "$partial" = 0
check "disk full during ingest: the message names the file, the store and the write" test "$unclear" = 0

# ---- fsync fails during an ingest, at every sync it makes -------------------
counter=$tmp/syncs
cp "$base" "$tmp/count.db"
SYNCFAIL_COUNT=$counter SYNCFAIL_PATH=count.db LD_PRELOAD=$SYNCFAIL "$KASI" --db "$tmp/count.db" ingest "$big" >/dev/null 2>&1
syncs=$(cat "$counter")
check "an ingest syncs the store ($syncs syncs)" test "$syncs" -gt 0
bad=0 partial=0 failed=0 unclear=0
for ((a = 0; a < syncs; a++)); do
	db=$tmp/sync-$a.db
	cp "$base" "$db"
	syncfail "$a" "sync-$a.db" "$KASI" --db "$db" ingest "$big"
	if [ "$status" = 74 ]; then
		failed=$((failed + 1))
		grep -qF 'fsync failed' <<<"$err" && grep -qF "$big: stopped" <<<"$err" ||
			{ unclear=$((unclear + 1)); echo "# sync $a said: $err"; }
	elif [ "$status" != 0 ]; then
		bad=$((bad + 1))
		echo "# sync $a: exit $status: $err"
	fi
	intact "$db" || bad=$((bad + 1))
	got=$(totals "$db")
	# A commit whose sync failed may have reached the disk all the same.
	[ "$got" = "$none" ] || [ "$got" = "$want" ] || { partial=$((partial + 1)); echo "# sync $a: $got"; }
	"$KASI" --db "$db" ingest "$big" >/dev/null
	status=$?
	[ "$status" = 0 ] || [ "$status" = 1 ] || bad=$((bad + 1))
	[ "$(totals "$db")" = "$want" ] || { bad=$((bad + 1)); echo "# sync $a, rerun: $(totals "$db")"; }
done
check "fsync failing at each of $syncs points: $failed runs stopped with exit 74" test "$failed" -gt 0
check "the message names the file and the failed fsync" test "$unclear" = 0
check "the store intact, the rerun completes with the clean totals" test "$bad" = 0
check "never part of the file" test "$partial" = 0

# ---- fsync fails during a reconcile ------------------------------------------
# The first reconcile sees October without the November unpaid that reverses
# POL-1011's collection; the one that fails would see it.
outcomes() { sql "$1" "SELECT group_concat(policy_id || ':' || status || ':' || collected, ' ') FROM (SELECT * FROM outcomes WHERE period = '2026-10' ORDER BY policy_id)"; }
db=$tmp/reconcile.db
cp "$base" "$db"
for f in "$fixtures"/world/softycomp_transactions_202610*.csv "$fixtures"/world/collexia_*.csv "$fixtures"/world/easypay_recon_2026102?.csv; do
	"$KASI" --db "$db" ingest "$f" >/dev/null 2>&1
done
"$KASI" --db "$db" schedule --period 2026-10 >/dev/null
"$KASI" --db "$db" reconcile --period 2026-10 >/dev/null
before=$(outcomes "$db")
"$KASI" --db "$db" ingest "$fixtures/world/softycomp_transactions_20261103.csv" >/dev/null
cp "$db" "$tmp/reconcile-clean.db"
"$KASI" --db "$tmp/reconcile-clean.db" reconcile --period 2026-10 >/dev/null
after=$(outcomes "$tmp/reconcile-clean.db")
check "the November unpaid changes October's outcomes" test "$before" != "$after"
syncfail 0 reconcile.db "$KASI" --db "$db" reconcile --period 2026-10
expect_status 74 "fsync failing: reconcile exits 74"
check "and says the fsync failed" grep -qF 'fsync failed' <<<"$err"
got=$(outcomes "$db")
check "the outcomes are the old ones or the new ones, whole" test "$got" = "$before" -o "$got" = "$after"
"$KASI" --db "$db" reconcile --period 2026-10 >/dev/null
check "a rerun gives the new outcomes" test "$(outcomes "$db")" = "$after"
check "and the same discrepancies as a run that never failed" test \
	"$(sql "$db" "SELECT count(*), group_concat(code) FROM (SELECT code FROM discrepancies WHERE period = '2026-10' ORDER BY 1)")" = \
	"$(sql "$tmp/reconcile-clean.db" "SELECT count(*), group_concat(code) FROM (SELECT code FROM discrepancies WHERE period = '2026-10' ORDER BY 1)")"

# ---- a report on a full disk, or whose fsync fails --------------------------
# The big file's unknown collection ids make a report of some size.
db=$tmp/sync-0.db
"$KASI" --db "$db" schedule --period 2026-10 >/dev/null
"$KASI" --db "$db" reconcile --period 2026-10 >/dev/null
mkdir "$tmp/reports"
report=$tmp/reports/discrepancies.csv
"$KASI" --db "$db" report discrepancies --period 2026-10 --out "$report" >/dev/null
size=$(stat -c %s "$report")
check "a clean report of ${size} bytes" test "$size" -gt $((256 * 1024))
echo "an older report" >"$report"
limited 128 "$KASI" --db "$db" report discrepancies --period 2026-10 --out "$report"
expect_status 74 "disk full: the report exits 74"
check "and names the file it could not write" grep -qF "cannot write '$report" <<<"$err"
check "the older report is left as it was" test "$(cat "$report")" = "an older report"
check "no temporary file is left behind" test "$(ls "$tmp/reports")" = discrepancies.csv

limited 8 "$KASI" --db "$db" report discrepancies --period 2026-10 --out "$report" --gzip
expect_status 74 "disk full: a --gzip report exits 74"
check "no .gz report and no temporary file" test "$(ls "$tmp/reports")" = discrepancies.csv

syncfail 0 /reports/ "$KASI" --db "$db" report discrepancies --period 2026-10 --out "$report"
expect_status 74 "fsync failing: the report exits 74"
check "the older report is left as it was, nothing else" \
	test "$(cat "$report")" = "an older report" -a "$(ls "$tmp/reports")" = discrepancies.csv

echo "1..$tap_n"
