#!/usr/bin/env bash
# Which collection a reversal takes back depends on the reversals before
# it, whatever their month; and no reversal is ever lost: each one either
# takes back an original, in exactly one period, or is an ORPHAN_REVERSAL.
#
# Regression: a reversal across months was lost without trace. Softy Comp
# collected 101 (cycle 1 September), the unpaid 201 of 20 September took it
# back; 102 re-presented the same cycle on 1 October, and the unpaid 202 of
# 5 October (no original id) should take back 102. October's run read only
# the reversals dated from 1 October, did not know 201 had taken 101, gave
# 202 the September collection and dropped it: TP-1 stayed PAID_FULL in
# October, and 202 appeared nowhere.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/four_policies.sh"

db=$tmp/kasi.db
export KASI_DB=$db
four_policies "$db"
"$KASI" schedule --period 2026-09 >/dev/null
in=$tmp/in
day_file "$in" softycomp_transactions_20260901.csv "$softy_header" \
	'101,4,9,2001,2026-09-01T00:00:00,-100.00,,1,2026-09-01T00:00:00,,'
day_file "$in" softycomp_transactions_20260920.csv "$softy_header" \
	'201,7,9,2001,2026-09-20T00:00:00,-100.00,,1,2026-09-01T00:00:00,,Account Closed'
day_file "$in" softycomp_transactions_20261001.csv "$softy_header" \
	'102,4,9,2001,2026-10-01T00:00:00,-100.00,,1,2026-09-01T00:00:00,,'
day_file "$in" softycomp_transactions_20261005.csv "$softy_header" \
	'202,7,9,2001,2026-10-05T00:00:00,-100.00,,1,2026-09-01T00:00:00,,Account Closed'
for f in "$in"/softycomp_*; do "$KASI" ingest "$f" >/dev/null; done

outcome() { sql "$db" "SELECT o.status || ' ' || o.collected FROM outcomes o JOIN policies p USING (policy_id) WHERE o.period = '$1' AND p.policy_number = '$2'"; }
# taken_back TXN: the period whose movements hold TXN as a reversal.
taken_back() { sql "$db" "SELECT group_concat(m.period) FROM movements m JOIN facts f USING (fact_id) WHERE m.kind = 'reversal' AND f.transaction_id = '$1'"; }
# lost: the reversals neither taken back in some period nor an orphan.
lost() {
	sql "$db" "SELECT count(*) FROM facts f WHERE f.canonical_kind = 'reversal' AND f.duplicate_of IS NULL
		AND NOT EXISTS (SELECT 1 FROM movements m WHERE m.fact_id = f.fact_id AND m.kind = 'reversal')
		AND NOT EXISTS (SELECT 1 FROM discrepancies d WHERE d.code = 'ORPHAN_REVERSAL'
		                AND d.file_id = f.file_id AND d.row = f.row)"
}

"$KASI" reconcile --period 2026-09 >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null
check "September: 201 takes back 101 (TP-1 $(outcome 2026-09 TP-1))" \
	test "$(outcome 2026-09 TP-1)" = "UNPAID 0"
check "October: 202 takes back the re-presented 102 (TP-1 $(outcome 2026-10 TP-1))" \
	test "$(outcome 2026-10 TP-1)" = "UNPAID 0"
check "201 is September's reversal, 202 October's ($(taken_back 201), $(taken_back 202))" \
	test "$(taken_back 201) $(taken_back 202)" = "2026-09 2026-10"
check "no reversal is lost ($(lost))" test "$(lost)" = 0
kasi report outcomes --period 2026-10 --out "$tmp/o10.csv"
check "October's report: TP-1 unpaid, its reason the unpaid's" \
	grep -qx 'TP-1,PA,2026-10,UNPAID,100.00,0.00,100.00,0.00,ACCOUNT_CLOSED' "$tmp/o10.csv"

# The order the periods are reconciled in changes nothing.
cp "$tmp/o10.csv" "$tmp/o10-first.csv"
"$KASI" reconcile --period 2026-10 >/dev/null
"$KASI" reconcile --period 2026-09 >/dev/null
"$KASI" report outcomes --period 2026-10 --out "$tmp/o10-again.csv" >/dev/null
check "reconciling October again, then September, gives October the same outcomes" \
	cmp -s "$tmp/o10-first.csv" "$tmp/o10-again.csv"

# A third unpaid of the same cycle finds nothing left to take back: an
# orphan. With no original found, it belongs to the period of its own date
# (October, not its cycle's September), and nowhere else.
day_file "$in" softycomp_transactions_20261012.csv "$softy_header" \
	'203,7,9,2001,2026-10-12T00:00:00,-100.00,,1,2026-09-01T00:00:00,,Account Closed'
"$KASI" ingest "$in/softycomp_transactions_20261012.csv" >/dev/null
"$KASI" reconcile --period 2026-09 >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null
orphans() { sql "$db" "SELECT group_concat(o, ',') FROM (SELECT period || ':' || transaction_id AS o FROM discrepancies WHERE code = 'ORPHAN_REVERSAL' ORDER BY period, transaction_id)"; }
check "an unpaid with nothing left to take back is October's ORPHAN_REVERSAL, its own date's ($(orphans))" \
	test "$(orphans)" = "2026-10:203"
check "the earlier links stand ($(taken_back 201), $(taken_back 202)), none lost ($(lost))" \
	test "$(taken_back 201) $(taken_back 202) $(lost)" = "2026-09 2026-10 0"

# An unpaid naming its original explicitly, taken back already by an
# unpaid of another month, is an orphan too (not silently dropped). Its
# original is found: like any reversal's discrepancy, it belongs to the
# original's period (September), not to its own date's.
day_file "$in" softycomp_transactions_20261013.csv "$softy_header" \
	'204,7,9,2001,2026-10-13T00:00:00,-100.00,,1,2026-09-01T00:00:00,101,Account Closed'
"$KASI" ingest "$in/softycomp_transactions_20261013.csv" >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null
"$KASI" reconcile --period 2026-09 >/dev/null
check "an unpaid naming 101, which 201 took back, is an orphan ($(orphans))" \
	test "$(orphans)" = "2026-09:204,2026-10:203"
check "and none is lost ($(lost))" test "$(lost)" = 0

# Collexia: a rejection arriving in November's file for an instruction of
# October (its action date, messageDate, is October's) takes back
# October's completion.
db2=$tmp/collexia.db
four_policies "$db2"
day_file "$in" collexia_results_20261015.csv "$collexia_header" \
	'R1,CX3,20261015,3,20261015,100000,100.00,100.00,0,Transaction Successful'
day_file "$in" collexia_results_20261103.csv "$collexia_header" \
	'R1,CX3,20261015,7,20261103,090000,100.00,0,30,No authority to debit'
"$KASI" --db "$db2" ingest "$in/collexia_results_20261015.csv" >/dev/null
"$KASI" --db "$db2" reconcile --period 2026-10 >/dev/null
"$KASI" --db "$db2" ingest "$in/collexia_results_20261103.csv" >/dev/null
"$KASI" --db "$db2" reconcile --period 2026-10 >/dev/null
db=$db2
check "Collexia: November's rejection takes back October's completion ($(outcome 2026-10 TP-3))" \
	test "$(outcome 2026-10 TP-3)" = "UNPAID 0"

echo "1..$tap_n"
