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

# Regression: personal data in the wrong column was printed whole (only
# the personal columns were masked). Any rejected value with a run of
# nine or more digits shows only its last four characters, in every
# report and message.
q=$tmp/policies_shifted.csv
cat > "$q" <<'CSV'
policy_number,product_code,customer_name,id_number,premium,channel,collection_ref,easypay_code,debit_day,status,start_date,cancel_date
POL-3003,FUNERAL_01,Thandiwe Mokoena,,8001015009087,softycomp,164061,,1,active,2025-03-01,
CSV
for fmt in text json; do
	opt=()
	[ "$fmt" = json ] && opt=(--json)
	kasi validate "${opt[@]}" "$q"
	expect_status 65 "$fmt: an ID number in the premium column is rejected"
	check "regression: $fmt: the ID number in the premium column was printed whole" \
		bash -c '! grep -q 8001015009087 <<<"$1$2"' _ "$out" "$err"
done
kasi validate "$q"
expect_out "column 'premium', money: " "the money error is reported"
expect_out "got '*********9087')" "with the value masked to its last four"
kasi validate --json "$q"
got=$(jq -r '.errors[0].details.received' <<<"$out")
check "--json received is masked ($got)" test "$got" = "*********9087"

a=$tmp/products_shifted.csv
cat > "$a" <<'CSV'
product_code,product_name,provider_code,provider_name,fee_bps,fee_fixed,payout_bank_id,payout_account
FUNERAL_01,Funeral,OLDMUTUAL,Old Mutual,350,2.50,62001234567,64
CSV
kasi validate "$a"
expect_status 65 "an account number in payout_bank_id is rejected"
check "regression: the account number in payout_bank_id was printed whole" \
	bash -c '! grep -q 62001234567 <<<"$1$2"' _ "$out" "$err"
expect_out "column 'payout_bank_id', integer: " "the integer error is reported"
expect_out "got '*******4567')" "with the account number masked"

# load's own message about an unknown product quotes the product code.
db=$tmp/kasi.db
kasi --db "$db" init
kasi --db "$db" load products "$fixtures/world/products.csv"
sed 's/^POL-1001,FUNERAL_01,/POL-1001,8001015009087,/' "$fixtures/world/policies.csv" > "$tmp/policies.csv"
kasi --db "$db" load policies "$tmp/policies.csv"
expect_status 65 "a policy naming an ID number as its product is rejected"
check "regression: load's 'not a known product' printed the ID number whole" \
	bash -c '! grep -q 8001015009087 <<<"$1$2"' _ "$out" "$err"
expect_out "'*********9087' is not a known product" "load's message masks it too"
kasi --db "$db" load policies "$fixtures/world/policies.csv"
kasi --db "$db" load policies "$tmp/policies.csv"
expect_status 65 "the same on a store that holds the register (the update path)"
check "regression: the update path printed the ID number whole" \
	bash -c '! grep -q 8001015009087 <<<"$1$2"' _ "$out" "$err"
expect_out "'*********9087' is not a known product" "and masks it in the same words"

echo "1..$tap_n"
