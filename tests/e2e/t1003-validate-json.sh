#!/usr/bin/env bash
# --json: one document for a report, the collections API's error shape for a failure.
. "$(dirname "$0")/lib.sh"

f=$fixtures/valid/bom-crlf/easypay_recon_20261005.csv
kasi validate --json "$f"
expect_status 0 "a valid file with --json exits 0"
got=$(jq -r '"\(.valid) \(.rows) \(.bytes) \(.schema) \(.file_date) \(.error_count) \(.errors | length)"' <<<"$out")
check "the report gives valid, rows, bytes, schema, date, no errors ($got)" \
	test "$got" = "true 3 647 easypay_recon 2026-10-05 0 0"

# The rejected EasyPay code is 14 digits: like any value with a run of
# nine digits or more, it shows only its last four.
kasi validate --json "$fixtures/invalid/luhn/easypay_recon_20261005.csv"
got=$(jq -r '.errors[0] | "\(.code)|\(.rule)|\(.row)|\(.column)|\(.details.field)|\(.details.received)"' <<<"$out")
check "an error has code, rule, row, column and details ($got)" \
	test "$got" = "VALIDATION_ERROR|luhn|4|easypay_code|easypay_code|**********0500"
check "details.expected says what the rule wants" \
	test "$(jq -r '.errors[0].details.expected' <<<"$out")" = "digits ending in a valid Luhn check digit"

kasi validate --json "$tmp/missing_20261005.csv"
expect_status 66 "a missing file with --json exits 66"
got=$(jq -r '.error | "\(.code)|\(.status)|\(.details.field)|\(.details.received)"' <<<"$out")
check "a missing file is a NOT_FOUND error document, its status in it as every command's ($got)" \
	test "$got" = "NOT_FOUND|66|file|$tmp/missing_20261005.csv"
# (regression: with --json, validate's failures went to stdout only, while
# every other command also logs its failure on stderr, where a job's log
# keeps it)
expect_err "kasi: error: cannot open '$tmp/missing_20261005.csv'" \
	"and, as every command's failure, it is logged on stderr too"

cp "$fixtures/world/products.csv" "$tmp/unnamed.csv"
kasi validate --json "$tmp/unnamed.csv"
expect_status 65 "an unknown file name with --json exits 65"
check "an unknown file name is a VALIDATION_ERROR on file_name" \
	test "$(jq -r '.error | "\(.code) \(.details.field)"' <<<"$out")" = "VALIDATION_ERROR file_name"

mkdir -p "$tmp/bad"
printf 'file_name ^x$\ncolumn a\n\tbogus\n' > "$tmp/bad/x.schema"
kasi --schemas "$tmp/bad" validate --json "$fixtures/world/products.csv"
expect_status 78 "a bad schema with --json exits 78"
check "a bad schema is a CONFIGURATION_ERROR document" \
	test "$(jq -r '.error.code' <<<"$out")" = "CONFIGURATION_ERROR"

# Control characters and quotes in values stay valid JSON.
printf 'transaction_id,easypay_code,transaction_type,merchant_id,terminal_id,cashier_id,transaction_timestamp,gross_amount,settlement_status,merchant_name,receipt_number\nEP_1,91234567890103,"to\tp""up\x01",M1,T1,,2026-10-05T09:12:44+02:00,1.00,settled,,\n' > "$tmp/easypay_recon_20261005.csv"
kasi validate --json "$tmp/easypay_recon_20261005.csv"
check "values with tabs, quotes and control bytes still make valid JSON" bash -c 'jq -e . >/dev/null <<<"$1"' _ "$out"
check "the value is shown escaped" \
	test "$(jq -r '.errors[0].details.received' <<<"$out")" = 'to\tp"up\x01'

echo "1..$tap_n"
