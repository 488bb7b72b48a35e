#!/usr/bin/env bash
# Every key a channel's schema declares identifies a transaction across
# the channel's files, not only within one: mobile money's
# clientCorrelationId (the request's idempotency key) repeated in a later
# file is the same request again, a duplicate, never counted twice.
#
# Regression: the same clientCorrelationId in two daily files (MM1 at
# 23:59 on 22 October, MM2 at 00:01 on the 23rd, the same amount for the
# same policy) was counted and settled twice with no discrepancy, while a
# repeat inside one file rejected the file: only the first key (the
# transactionReference) was checked across files.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/four_policies.sh"

db=$tmp/kasi.db
export KASI_DB=$db
four_policies "$db"
in=$tmp/in
uuid=0b5e8c3a-6f1d-4c2e-9a7b-1d2e3f4a5b60
day_file "$in" mobilemoney_transactions_20261022.csv "$mobile_header" \
	"MM1,$uuid,2026-10-22T23:59:00+02:00,100.00,ZAR,merchantpay,completed,27821234567,TP-1,,"
day_file "$in" mobilemoney_transactions_20261023.csv "$mobile_header" \
	"MM2,$uuid,2026-10-23T00:01:00+02:00,100.00,ZAR,merchantpay,completed,27821234567,TP-1,," \
	"MM3,7c1f2a90-3d4e-4b5f-8a6b-2c3d4e5f6a71,2026-10-23T08:00:00+02:00,100.00,ZAR,merchantpay,completed,27831234567,TP-2,,"

kasi ingest "$in/mobilemoney_transactions_20261022.csv"
expect_status 0 "the first file is applied"
kasi ingest "$in/mobilemoney_transactions_20261023.csv"
expect_status 1 "the next day's file repeating the correlation id is applied, exit 1"
expect_out "CONFLICTING_DUPLICATE row 2 MM2" "its row is a CONFLICTING_DUPLICATE (its other columns differ)"
expect_out "repeats the clientCorrelationId of transaction MM1" "naming the key and the transaction counted"
check "regression: its expected and actual say what differs (they were empty)" \
	test "$(sql "$db" "SELECT expected || ' / ' || actual FROM discrepancies WHERE code = 'CONFLICTING_DUPLICATE'")" = \
	"transaction MM1, date 2026-10-22 / transaction MM2, date 2026-10-23"
expect_out "1 counted, 1 duplicate not counted" "the repeat is not counted; the other row is"
check "the duplicate is stored for the record, not counted" \
	test "$(sql "$db" "SELECT transaction_id || ':' || (duplicate_of IS NOT NULL) FROM facts ORDER BY fact_id" | tr '\n' ' ')" = "MM1:0 MM2:1 MM3:0 "

"$KASI" reconcile --period 2026-10 >/dev/null
"$KASI" report outcomes --period 2026-10 --out "$tmp/o.csv" >/dev/null
check "TP-1 collected the premium once" grep -qx 'TP-1,PA,2026-10,PAID_FULL,100.00,100.00,0.00,0.00,' "$tmp/o.csv"
check "no OVERPAYMENT" test "$(sql "$db" "SELECT count(*) FROM discrepancies WHERE code = 'OVERPAYMENT'")" = 0
"$KASI" settle --through 2026-10-31 >/dev/null
check "and settled once" \
	test "$(sql "$db" "SELECT count(*) || ' ' || sum(amount) FROM settlement_lines WHERE channel = 'mobilemoney'")" = "2 20000"
"$KASI" report discrepancies --period 2026-10 --out "$tmp/d.csv" >/dev/null
check "the discrepancies report holds it" \
	grep -q '^CONFLICTING_DUPLICATE,error,mobilemoney,mobilemoney_transactions_20261023.csv,2,TP-1,MM2,' "$tmp/d.csv"

# The same row again in another file: its own key repeats, the same
# content: DUPLICATE_TRANSACTION, as before.
day_file "$in" mobilemoney_transactions_20261023.csv.again "$mobile_header" \
	"MM3,7c1f2a90-3d4e-4b5f-8a6b-2c3d4e5f6a71,2026-10-23T08:00:00+02:00,100.00,ZAR,merchantpay,completed,27831234567,TP-2,," \
	"MM4,1d2e3f4a-0b5e-4c2e-9a7b-6f1d8c3a5b62,2026-10-23T09:00:00+02:00,50.00,ZAR,merchantpay,completed,27831234567,TP-2,,"
mkdir -p "$in/again" && mv "$in/mobilemoney_transactions_20261023.csv.again" "$in/again/mobilemoney_transactions_20261023.csv"
kasi ingest "$in/again/mobilemoney_transactions_20261023.csv"
expect_out "DUPLICATE_TRANSACTION row 2 MM3" "a row repeated whole is a DUPLICATE_TRANSACTION"
expect_out "1 counted" "and the new row beside it is counted"

# Within one file a repeated correlation id still rejects the file.
day_file "$in" mobilemoney_transactions_20261024.csv "$mobile_header" \
	"MM5,2e3f4a5b-0b5e-4c2e-9a7b-6f1d8c3a5b63,2026-10-24T09:00:00+02:00,50.00,ZAR,merchantpay,completed,27831234567,TP-2,," \
	"MM6,2e3f4a5b-0b5e-4c2e-9a7b-6f1d8c3a5b63,2026-10-24T09:01:00+02:00,50.00,ZAR,merchantpay,completed,27831234567,TP-2,,"
kasi ingest "$in/mobilemoney_transactions_20261024.csv"
expect_status 65 "a correlation id repeated within one file rejects the file"
# ... and a rejected file leaves no key behind: the id counts when it
# comes again in a good file.
day_file "$in" mobilemoney_transactions_20261025.csv "$mobile_header" \
	"MM7,2e3f4a5b-0b5e-4c2e-9a7b-6f1d8c3a5b63,2026-10-25T09:00:00+02:00,50.00,ZAR,merchantpay,completed,27831234567,TP-2,,"
kasi ingest "$in/mobilemoney_transactions_20261025.csv"
expect_status 0 "a correlation id of a rejected file is counted when it comes in a good one"

# MM7 again with an ID number typed as its account reference: what differs
# is shown, the ID masked as everywhere but for its last four.
day_file "$in/typed" mobilemoney_transactions_20261025.csv "$mobile_header" \
	"MM7,2e3f4a5b-0b5e-4c2e-9a7b-6f1d8c3a5b63,2026-10-25T09:00:00+02:00,50.00,ZAR,merchantpay,completed,27831234567,8001015009087,,"
kasi ingest "$in/typed/mobilemoney_transactions_20261025.csv"
expect_out "CONFLICTING_DUPLICATE row 2 MM7" "a repeat of MM7 with another account reference"
check "its expected and actual: the reference, the typed ID masked" \
	test "$(sql "$db" "SELECT expected || ' / ' || actual FROM discrepancies WHERE code = 'CONFLICTING_DUPLICATE' AND transaction_id = 'MM7'")" = \
	"reference TP-2 / reference *********9087"
check "the ID is nowhere in the discrepancies or exceptions" \
	test -z "$(sqlite3 "$db" .dump | grep -E '^INSERT INTO (discrepancies|exceptions)' | grep 8001015009087)"

echo "1..$tap_n"
