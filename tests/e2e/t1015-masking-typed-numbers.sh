#!/usr/bin/env bash
# Personal numbers are masked wherever kasi shows them, however they are
# written and wherever they turn up: a run of nine digits or more, counting
# across single spaces and dashes ("082 999 8877", "+27-82-999-8877"), is
# shown by its last four characters in messages; and a column a schema
# marks `mask digits` (mobile money's accountReference: what a customer
# typed) is masked in discrepancies and reports when it holds one. Codes
# that are no one's personal data (policy numbers, transaction ids,
# EasyPay codes) are shown as they are: finance finds rows by them.
#
# Regression: an MSISDN typed as the account reference (27829998877)
# appeared whole in the discrepancies report (reference, actual and the
# UNKNOWN_REFERENCE detail), and phone numbers written with spaces or
# dashes were shown whole in validation messages.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/four_policies.sh"

db=$tmp/kasi.db
export KASI_DB=$db
four_policies "$db"
in=$tmp/in
row() { echo "$1,0b5e8c3a-6f1d-4c2e-9a7b-1d2e3f4a5b6$2,2026-10-22T09:00:00+02:00,100.00,ZAR,merchantpay,completed,27821234567,$3,,"; }
day_file "$in" mobilemoney_transactions_20261022.csv "$mobile_header" \
	"$(row MM1 0 27829998877)" "$(row MM2 1 '082 999 8877')" "$(row MM3 2 '+27-82-999-8877')" \
	"$(row MM4 3 POL-9999)" "$(row MM5 4 TP-1)"
day_file "$in" easypay_recon_20261005.csv "$easypay_header" \
	'E1,91234567890707,topup,M1,T1,,2026-10-05T09:00:00+02:00,100.00,settled,,'
"$KASI" ingest "$in/mobilemoney_transactions_20261022.csv" >/dev/null
"$KASI" ingest "$in/easypay_recon_20261005.csv" >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null
kasi report discrepancies --period 2026-10 --out "$tmp/d.csv"
expect_status 0 "the discrepancies report is written"
check "no phone number is in it whole" test -z "$(grep -E '27829998877|082 999 8877|27-82-999-8877' "$tmp/d.csv")"
check "an MSISDN typed as the reference: its last four in reference, actual and detail" \
	grep -q '^UNKNOWN_REFERENCE,error,mobilemoney,mobilemoney_transactions_20261022.csv,2,\*\*\*\*\*\*\*8877,MM1,,\*\*\*\*\*\*\*8877,no policy is numbered \*\*\*\*\*\*\*8877,[0-9]*,open,' "$tmp/d.csv"
check "written with spaces" grep -q '^UNKNOWN_REFERENCE,error,mobilemoney,mobilemoney_transactions_20261022.csv,3,\*\*\*\*\*\*\*\*8877,MM2,' "$tmp/d.csv"
check "written with dashes and a plus" grep -q '^UNKNOWN_REFERENCE,error,mobilemoney,mobilemoney_transactions_20261022.csv,4,\*\*\*\*\*\*\*\*\*\*\*8877,MM3,' "$tmp/d.csv"
check "a policy number typed is shown as typed" grep -q ',5,POL-9999,MM4,,POL-9999,no policy is numbered POL-9999,[0-9]*,open,' "$tmp/d.csv"
check "an EasyPay code is shown whole (a code, not a person's number)" \
	grep -q '^UNKNOWN_REFERENCE,error,easypay,easypay_recon_20261005.csv,2,91234567890707,E1,' "$tmp/d.csv"

# In messages: a phone number in any column, written with separators.
day_file "$in" mobilemoney_transactions_20261023.csv "$mobile_header" \
	'MM6,0b5e8c3a-6f1d-4c2e-9a7b-1d2e3f4a5b65,2026-10-23T09:00:00+02:00,100.00,082 999 8877,merchantpay,completed,27821234567,TP-1,,' \
	'MM7,0b5e8c3a-6f1d-4c2e-9a7b-1d2e3f4a5b66,2026-10-23T09:00:00+02:00,100.00,+27-82-999-8877,merchantpay,completed,27821234567,TP-1,,' \
	'MM8,0b5e8c3a-6f1d-4c2e-9a7b-1d2e3f4a5b67,2026-10-23 09:00:00+02:00,100.00,ZAR,merchantpay,completed,27821234567,TP-1,,'
kasi validate "$in/mobilemoney_transactions_20261023.csv"
expect_status 65 "a file with a phone number for a currency is invalid"
check "no phone number is in the messages whole" test -z "$(grep -E '999 8877|999-8877' <<<"$out")"
expect_out "row 2, column 'currency', values: not one of the allowed values (expected one of: ZAR; got '********8877')" "written with spaces, it is masked"
expect_out "got '***********8877')" "written with dashes and a plus, too"
expect_out "got '2026-10-23 09:00:00+02:00')" "a date and time are no one's number: shown"

echo "1..$tap_n"
