#!/usr/bin/env bash
# A file puts a reconciled period out of date only if it can change it:
# its rows are dated in it (or the file itself is), or its reversals may
# take back, or compete for, a collection of that period, or its
# collections may be what an unpaid of that period takes back. A file that
# cannot change a period leaves it up to date, and its reports are written.
#
# Regression: ingesting a November-only file (a wallet export of 24
# November) put October OUT OF DATE, and October's reports were refused,
# though nothing in October could change: any file with a fact dated on or
# after a period's first day reached it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/four_policies.sh"

db=$tmp/kasi.db
export KASI_DB=$db
four_policies "$db"
"$KASI" schedule --period 2026-09 >/dev/null
"$KASI" schedule --period 2026-11 >/dev/null
in=$tmp/in

state() {
	"$KASI" status | grep -E "^  $1  scheduled" | grep -oE 'OUT OF DATE: .*' || echo "up to date"
}
reconcile_all() {
	local p
	for p in 2026-09 2026-10 2026-11; do "$KASI" reconcile --period "$p" >/dev/null; done
}
# snapshot P: the period's outcomes and discrepancies, as stored.
differs() { ! cmp -s "$1" "$2"; }
snapshot() {
	sql "$db" "SELECT policy_id, status, collected, reason FROM outcomes WHERE period = '$1' ORDER BY 1"
	sql "$db" "SELECT code, transaction_id, detail FROM discrepancies WHERE period = '$1' ORDER BY 1, 2"
}

# September and October: a Softy Comp collection each month for TP-1 (the
# same cycle, 1 September: October's re-presents September's), a Collexia
# completion for TP-3 in October.
day_file "$in" softycomp_transactions_20260901.csv "$softy_header" \
	'101,4,9,2001,2026-09-01T00:00:00,-100.00,,1,2026-09-01T00:00:00,,'
day_file "$in" softycomp_transactions_20261001.csv "$softy_header" \
	'102,4,9,2001,2026-10-01T00:00:00,-100.00,,1,2026-09-01T00:00:00,,' \
	'111,4,9,2002,2026-10-01T00:00:00,-100.00,,1,2026-10-01T00:00:00,,'
day_file "$in" collexia_results_20261015.csv "$collexia_header" \
	'R1,CX3,20261015,3,20261015,100000,100.00,100.00,0,Transaction Successful'
day_file "$in" softycomp_transactions_20261005.csv "$softy_header" \
	'202,7,9,2001,2026-10-05T00:00:00,-100.00,,1,2026-09-01T00:00:00,,Account Closed'
day_file "$in" softycomp_transactions_20261010.csv "$softy_header" \
	'201,7,9,2001,2026-10-10T00:00:00,-100.00,,1,2026-09-01T00:00:00,,PAAF Insufficient Funds'
for f in softycomp_transactions_20260901.csv softycomp_transactions_20261001.csv \
	collexia_results_20261015.csv softycomp_transactions_20261005.csv \
	softycomp_transactions_20261010.csv; do
	"$KASI" ingest "$in/$f" >/dev/null
done
reconcile_all
check "after reconciling, every period is up to date" \
	test "$(state 2026-09) / $(state 2026-10) / $(state 2026-11)" = "up to date / up to date / up to date"

# A wallet export of 24 November holding November's rows only: it changes
# November, nothing before.
day_file "$in" mobilemoney_transactions_20261124.csv "$mobile_header" \
	'MM-1124-1,0b5e8c3a-6f1d-4c2e-9a7b-1d2e3f4a5b61,2026-11-24T09:15:00+02:00,100.00,ZAR,merchantpay,completed,27821234567,TP-2,,'
kasi ingest "$in/mobilemoney_transactions_20261124.csv"
expect_status 0 "a November-only wallet file is applied"
check "it leaves September and October up to date ($(state 2026-10))" \
	test "$(state 2026-09) / $(state 2026-10)" = "up to date / up to date"
check "and puts November out of date" test "$(state 2026-11)" = "OUT OF DATE: 1 file applied or voided since"
kasi report outcomes --period 2026-10 --out "$tmp/o10.csv"
expect_status 0 "October's outcomes are still reported"
snapshot 2026-10 >"$tmp/before"
reconcile_all
snapshot 2026-10 >"$tmp/after"
check "rightly: reconciling again changes nothing in October" cmp -s "$tmp/before" "$tmp/after"

# A November Softy Comp collection of a November cycle changes November
# only; a Collexia file of November for a November instruction likewise.
day_file "$in" softycomp_transactions_20261102.csv "$softy_header" \
	'112,4,9,2002,2026-11-02T00:00:00,-100.00,,1,2026-11-01T00:00:00,,'
day_file "$in" collexia_results_20261116.csv "$collexia_header" \
	'R2,CX3,20261116,3,20261116,100000,100.00,100.00,0,Transaction Successful'
"$KASI" ingest "$in/softycomp_transactions_20261102.csv" >/dev/null
"$KASI" ingest "$in/collexia_results_20261116.csv" >/dev/null
check "November's collections leave October up to date" test "$(state 2026-10)" = "up to date"

# A late rejection, in November's file, of October's Collexia instruction
# (its rows carry the instruction's October action date) changes October.
day_file "$in" collexia_results_20261103.csv "$collexia_header" \
	'R1,CX3,20261015,7,20261103,090000,100.00,0,30,No authority to debit'
"$KASI" ingest "$in/collexia_results_20261103.csv" >/dev/null
check "a late Collexia rejection of an October instruction puts October out of date" \
	test "$(state 2026-10)" = "OUT OF DATE: 1 file applied or voided since"
reconcile_all

# An unpaid in November's file naming TP-2's October collection by id
# changes October (and November, its own month's file).
day_file "$in" softycomp_transactions_20261104.csv "$softy_header" \
	'211,7,9,2002,2026-11-04T00:00:00,-100.00,,1,2026-10-01T00:00:00,111,Account Closed'
"$KASI" ingest "$in/softycomp_transactions_20261104.csv" >/dev/null
check "a November unpaid of an October collection puts October out of date" \
	test "$(state 2026-10)" = "OUT OF DATE: 1 file applied or voided since"
check "but not September" test "$(state 2026-09)" = "up to date"
snapshot 2026-10 >"$tmp/before"
reconcile_all
snapshot 2026-10 >"$tmp/after"
check "rightly: reconciling again changes October" differs "$tmp/before" "$tmp/after"

# A late unpaid of September (a file of 15 September, arriving now) takes
# back September's collection 101 first; so 202 takes back October's 102,
# and 201 finds nothing left: October's reason changes, though the file
# holds nothing dated in October.
day_file "$in" softycomp_transactions_20260915.csv "$softy_header" \
	'199,7,9,2001,2026-09-15T00:00:00,-100.00,,1,2026-09-01T00:00:00,,Not Provided For'
"$KASI" ingest "$in/softycomp_transactions_20260915.csv" >/dev/null
check "a late September unpaid of the cycle puts September out of date" \
	test "$(state 2026-09)" = "OUT OF DATE: 1 file applied or voided since"
check "and October, whose collection of that cycle it may shift ($(state 2026-10))" \
	test "$(state 2026-10)" = "OUT OF DATE: 1 file applied or voided since"
check "not November (no collection of that cycle is November's)" test "$(state 2026-11)" = "up to date"
snapshot 2026-10 >"$tmp/before"
reconcile_all
snapshot 2026-10 >"$tmp/after"
check "rightly: reconciling again changes October" differs "$tmp/before" "$tmp/after"

# A collection arriving in November for September's cycle is what the
# orphan 201 now takes back. 201 found no original, so its ORPHAN_REVERSAL
# was October's, the period of its own date (10 October): the collection
# puts October out of date though neither its date nor its cycle is
# October's.
orphans() { sql "$db" "SELECT group_concat(o, ',') FROM (SELECT period || ':' || transaction_id AS o FROM discrepancies WHERE code = 'ORPHAN_REVERSAL' ORDER BY 1)"; }
check "before it, 201 is October's orphan ($(orphans))" test "$(orphans)" = "2026-10:201"
day_file "$in" softycomp_transactions_20261105.csv "$softy_header" \
	'103,4,9,2001,2026-11-05T00:00:00,-100.00,,1,2026-09-01T00:00:00,,'
"$KASI" ingest "$in/softycomp_transactions_20261105.csv" >/dev/null
check "a November collection of September's cycle puts September out of date" \
	test "$(state 2026-09)" = "OUT OF DATE: 1 file applied or voided since"
check "and October, where the orphan it may end is ($(state 2026-10))" \
	test "$(state 2026-10)" = "OUT OF DATE: 1 file applied or voided since"
# Explained now, TP-1's October keeps its status: explain says the period
# is out of date all the same, with what is stored (it said nothing).
kasi explain TP-1 --period 2026-10
expect_out "the period is out of date (1 file applied or voided since its" "explain says the period is out of date"
expect_out "the stored outcome is UNPAID, reason ACCOUNT_CLOSED, collected 0.00;" "with the outcome stored"
snapshot 2026-10 >"$tmp/before"
reconcile_all
snapshot 2026-10 >"$tmp/after"
check "rightly: October's orphan is gone ($(orphans))" test -z "$(orphans)"
check "and October changed" differs "$tmp/before" "$tmp/after"

# Voided, that collection is no one's original again: 201 is October's
# orphan once more, and the void put October out of date to say so.
"$KASI" void softycomp_transactions_20261105.csv --note "sent twice" >/dev/null
check "the void puts October out of date ($(state 2026-10))" \
	test "$(state 2026-10)" = "OUT OF DATE: 1 file applied or voided since"
reconcile_all
check "201 is October's orphan again ($(orphans))" test "$(orphans)" = "2026-10:201"

echo "1..$tap_n"
