#!/usr/bin/env bash
# Personal values (ID numbers, account numbers, names) never appear whole
# in a report: only their last four characters.
. "$(dirname "$0")/lib.sh"

f=$tmp/policies.csv
cat > "$f" <<'CSV'
policy_number,product_code,customer_name,id_number,premium,channel,collection_ref,easypay_code,debit_day,status,start_date,cancel_date
POL-3001,FUNERAL_01,Thandiwe Mokoena,8001015009088,150.00,softycomp,164061,,1,active,2025-03-01,
POL-3002,FUNERAL_01,Sipho Dlamini,80010150090,150.00,softycomp,164062,,1,active,2025-03-01,
CSV
for fmt in text json; do
	opt=()
	[ "$fmt" = json ] && opt=(--json)
	kasi validate "${opt[@]}" "$f"
	expect_status 65 "$fmt: bad ID numbers are rejected"
	check "$fmt: the whole ID number 8001015009088 appears nowhere" \
		bash -c '! grep -q 8001015009088 <<<"$1$2"' _ "$out" "$err"
	check "$fmt: the whole ID number 80010150090 appears nowhere" \
		bash -c '! grep -q 80010150090 <<<"$1$2"' _ "$out" "$err"
	expect_out "*********9088" "$fmt: the ID number shows its last four digits"
	expect_out "*******0090" "$fmt: a short ID number shows its last four digits"
done

p=$tmp/products.csv
cat > "$p" <<'CSV'
product_code,product_name,provider_code,provider_name,fee_bps,fee_fixed,payout_bank_id,payout_account
FUNERAL_01,Funeral,OLDMUTUAL,Old Mutual,350,2.50,64,6200123456789012345678
CSV
kasi validate "$p"
expect_status 65 "an account number too long is rejected"
check "the account number appears nowhere whole" \
	bash -c '! grep -q 6200123456789012345678 <<<"$1"' _ "$out"
expect_out "******************5678" "the account number shows its last four digits"

echo "1..$tap_n"
