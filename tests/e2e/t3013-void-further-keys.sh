#!/usr/bin/env bash
# A void promotes a row that repeated one of the voided file's rows by a
# further key only (mobile money's clientCorrelationId, the request's
# idempotency key, under another transactionReference): that row counts
# in the voided row's place, under all its keys.
#
#   31 Oct  MM1, correlation U, 100.00 for TP-1          (counted)
#    1 Nov  MM2, correlation U again, 100.00 for TP-1     (a repeat of MM1)
#   void the 31 October file: MM2 counts now, in November
#   apply the 31 October file's bytes again: MM1 repeats MM2's correlation
#     id, so it is a repeat of MM2, never counted beside it
#
# Regressions, each a line below: applying the voided bytes again counted
# the payment twice (MM2's further keys were never kept, so MM1's
# correlation id was free); November, the promoted row's period, was not
# put out of date by the void; and MM2's CONFLICTING_DUPLICATE stayed in
# November's discrepancies though MM2 counts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/four_policies.sh"

db=$tmp/kasi.db
export KASI_DB=$db
four_policies "$db"
"$KASI" schedule --period 2026-11 >/dev/null
in=$tmp/in
uuid=0b5e8c3a-6f1d-4c2e-9a7b-1d2e3f4a5b60
day_file "$in" mobilemoney_transactions_20261031.csv "$mobile_header" \
	"MM1,$uuid,2026-10-31T23:59:00+02:00,100.00,ZAR,merchantpay,completed,27821234567,TP-1,,"
day_file "$in" mobilemoney_transactions_20261101.csv "$mobile_header" \
	"MM2,$uuid,2026-11-01T00:01:00+02:00,100.00,ZAR,merchantpay,completed,27821234567,TP-1,,"

kasi ingest "$in/mobilemoney_transactions_20261031.csv" "$in/mobilemoney_transactions_20261101.csv"
expect_out "repeats the clientCorrelationId of transaction MM1" "MM2 repeats MM1 by its correlation id"
"$KASI" reconcile --period 2026-10 >/dev/null
"$KASI" reconcile --period 2026-11 >/dev/null
check "before the void, November holds MM2's CONFLICTING_DUPLICATE" \
	test "$(sql "$db" "SELECT count(*) FROM discrepancies WHERE period = '2026-11' AND code = 'CONFLICTING_DUPLICATE'")" = 1

kasi void "$in/mobilemoney_transactions_20261031.csv" --note "sent a day early"
expect_status 0 "the 31 October file is voided"
expect_out "out of date now: 2026-10 2026-11" "regression: November, where the row that takes MM1's place counts, is out of date too"
check "MM2 counts now" \
	test "$(sql "$db" "SELECT duplicate_of IS NULL FROM facts WHERE transaction_id = 'MM2'")" = 1
check "regression: MM2's CONFLICTING_DUPLICATE left November's discrepancies (MM2 is no repeat now)" \
	test "$(sql "$db" "SELECT count(*) FROM discrepancies WHERE period = '2026-11' AND code = 'CONFLICTING_DUPLICATE'")" = 0
check "regression: MM2's correlation id is kept as a key that counts" \
	test "$(sql "$db" "SELECT t.transaction_id FROM fact_keys k JOIN facts t USING (fact_id) WHERE k.value = '$uuid'")" = MM2

# The voided bytes again: a new file to kasi, whose one row repeats MM2.
kasi ingest "$in/mobilemoney_transactions_20261031.csv"
expect_status 1 "the 31 October bytes apply again, with a discrepancy"
expect_out "repeats the clientCorrelationId of transaction MM2" "regression: MM1 is a repeat of MM2, by the correlation id MM2 holds now"
expect_out "0 counted, 1 duplicate not counted" "regression: MM1 is not counted beside MM2"
for p in 2026-10 2026-11; do "$KASI" reconcile --period $p >/dev/null; done
"$KASI" report outcomes --period 2026-10 --out "$tmp/o10.csv" >/dev/null
"$KASI" report outcomes --period 2026-11 --out "$tmp/o11.csv" >/dev/null
check "October: TP-1 collected nothing (its only payment is November's)" \
	grep -q '^TP-1,PA,2026-10,UNPAID,100.00,0.00,100.00,0.00,' "$tmp/o10.csv"
check "November: TP-1 collected 100.00 once, no overpayment" \
	grep -q '^TP-1,PA,2026-11,PAID_FULL,100.00,100.00,0.00,0.00,' "$tmp/o11.csv"
check "the payment counts once over both months" \
	test "$(sql "$db" "SELECT count(*) FROM facts WHERE channel = 'mobilemoney' AND duplicate_of IS NULL AND withdrawn IS NULL")" = 1

# Voiding MM2's file in turn gives the payment to the next row that
# repeated it: MM1's second coming.
kasi void "$in/mobilemoney_transactions_20261101.csv" --note "and this one"
expect_status 0 "the 1 November file is voided in turn"
check "MM1's second coming counts now, the only row that does" \
	test "$(sql "$db" "SELECT group_concat(transaction_id) FROM facts WHERE channel = 'mobilemoney' AND duplicate_of IS NULL AND withdrawn IS NULL")" = MM1
check "and it holds the correlation id" \
	test "$(sql "$db" "SELECT t.file_id FROM fact_keys k JOIN facts t USING (fact_id) WHERE k.value = '$uuid'")" = \
	"$(sql "$db" "SELECT max(file_id) FROM files")"

# A store of version 9 kept no further keys of its repeats: the migration
# gives a repeat by a further key the value it repeated (its counted
# row's, when that row has one further key), so that the sequence above
# holds on a store migrated with repeats in it.
old=$tmp/v9.db
export KASI_DB=$old
four_policies "$old"
"$KASI" ingest "$in/mobilemoney_transactions_20261031.csv" "$in/mobilemoney_transactions_20261101.csv" >/dev/null
sql "$old" "DROP TABLE uncounted_keys; DROP TABLE void_repeats; DROP INDEX fact_keys_by_fact;
	ALTER TABLE policies DROP COLUMN created_by; ALTER TABLE policy_changes DROP COLUMN changed_by; DROP INDEX files_by_content; ALTER TABLE exception_resolutions DROP COLUMN reopened;
	PRAGMA user_version = 9"
kasi init
expect_out "from version 9 to 13" "a version-9 store is migrated"
check "regression: the migration gives MM2 (a repeat by its correlation id) that id, uncounted" \
	test "$(sql "$old" "SELECT t.transaction_id || ' ' || u.key FROM uncounted_keys u JOIN facts t USING (fact_id) WHERE u.value = '$uuid'")" = "MM2 clientCorrelationId"
"$KASI" void mobilemoney_transactions_20261031.csv --note "sent a day early" >/dev/null
kasi ingest "$in/mobilemoney_transactions_20261031.csv"
expect_out "0 counted, 1 duplicate not counted" "regression: on the migrated store, the voided bytes again count nothing beside MM2"
echo "1..$tap_n"
