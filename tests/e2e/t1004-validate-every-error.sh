#!/usr/bin/env bash
# Every error is found: the first 100 in full (by row), then counts per
# rule that cover them all.
. "$(dirname "$0")/lib.sh"

# 300 rows: every 2nd has a bad Luhn digit (150), every 3rd a bad amount
# (100), and rows 201..300 repeat the transaction ids of rows 1..100.
f=$tmp/easypay_recon_20261005.csv
{
	echo "transaction_id,easypay_code,transaction_type,merchant_id,terminal_id,cashier_id,transaction_timestamp,gross_amount,settlement_status,merchant_name,receipt_number"
	for i in $(seq 1 300); do
		id=$i
		[ "$i" -gt 200 ] && id=$((i - 200))
		code=91234567890103
		[ $((i % 2)) -eq 0 ] && code=91234567890104
		amount=10.00
		[ $((i % 3)) -eq 0 ] && amount=10.0
		echo "EP_$id,$code,topup,M1,T1,,2026-10-05T09:12:44+02:00,$amount,settled,,"
	done
} > "$f"

kasi validate "$f"
expect_status 65 "a file with 350 errors is rejected"
shown=$(grep -c ', column ' <<<"$out")
check "exactly 100 errors are listed in full ($shown)" test "$shown" -eq 100
expect_out "... and 250 more errors" "the rest are counted"
# luhn on the 150 even rows, money on the 100 rows divisible by 3, unique
# on rows 201..300: 350 in all.
expect_out "invalid: 350 errors (unique 100, luhn 150, money 100) in 300 rows" \
	"counts per rule cover every error"
first=$(grep -m1 ', column ' <<<"$out")
check "errors are listed by row ($first)" grep -q "row 3, column 'easypay_code', luhn" <<<"$first"
# Up to data row 200 each block of six rows holds five errors (3 luhn, 2
# money), so the 100th error is the second of data row 120: record 121.
last_row=$(grep ', column ' <<<"$out" | tail -1 | sed -E 's/.*: row ([0-9]+),.*/\1/')
check "the first 100 by row are shown: the last shown is row 121 ($last_row)" test "$last_row" -eq 121

kasi validate --json "$f"
got=$(jq -r '"\(.error_count) \(.errors_shown) \(.errors_by_rule.luhn) \(.errors_by_rule.money) \(.errors_by_rule.unique)"' <<<"$out")
check "JSON gives the same counts ($got)" test "$got" = "350 100 150 100 100"

echo "1..$tap_n"
