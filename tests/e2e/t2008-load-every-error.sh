#!/usr/bin/env bash
# kasi load reports every row its own checks refuse, as validate does for
# the schema's: the first 100 in full, then counts per rule. It used to
# stop at the first (policies before products: only row 2).
. "$(dirname "$0")/lib.sh"

db=$tmp/kasi.db
kasi --db "$db" init
w=$fixtures/world
rows=$(($(wc -l < "$w/policies.csv") - 1))

kasi --db "$db" load policies "$w/policies.csv"
expect_status 65 "policies before products are rejected"
listed=$(grep -c ", column 'product_code', reference: " <<<"$out")
check "regression: only row 2 was reported; now all $rows rows are ($listed)" test "$listed" -eq "$rows"
expect_out "row $((rows + 1)), column 'product_code', reference: " "the last row among them"
expect_out "invalid: $rows errors (reference $rows) in $rows rows" "counted by rule"

# 150 policies of an unknown product: 100 in full, the rest counted.
{
	head -1 "$w/policies.csv"
	for i in $(seq 1 150); do
		echo "POL-9$(printf '%03d' "$i"),NOPE_01,A Person,,10.00,softycomp,$((500000 + i)),,1,active,2025-01-01,"
	done
} > "$tmp/policies_many.csv"
kasi --db "$db" load policies "$tmp/policies_many.csv"
expect_status 65 "150 policies of an unknown product are rejected"
shown=$(grep -c ", reference: " <<<"$out")
check "the first 100 are listed in full ($shown)" test "$shown" -eq 100
expect_out "... and 50 more errors" "the other 50 counted"
expect_out "invalid: 150 errors (reference 150) in 150 rows" "all 150 by rule"

# Mixed with the schema's own errors: both kinds, every row.
kasi --db "$db" load products "$w/products.csv"
sed -e 's/^POL-1002,FUNERAL_01,/POL-1002,NOPE_01,/' -e 's/^POL-1006,[A-Z0-9_]*,/POL-1006,NOPE_02,/' \
	-e 's/^POL-1003,\([^,]*\),\([^,]*\),\([^,]*\),[0-9.]*,/POL-1003,\1,\2,\3,12.5,/' "$w/policies.csv" > "$tmp/policies_mixed.csv"
check "the test file has two unknown products" test "$(grep -c ',NOPE_0' "$tmp/policies_mixed.csv")" = 2
kasi --db "$db" load policies "$tmp/policies_mixed.csv"
expect_status 65 "a register with unknown products and a bad premium is rejected"
expect_out "row 3, column 'product_code', reference: 'NOPE_01' is not a known product" "the first unknown product"
expect_out "row 4, column 'premium', money: " "the schema's error after it"
expect_out "row 7, column 'product_code', reference: 'NOPE_02' is not a known product" \
	"and the unknown product after it"
check "nothing is loaded" test "$(sql "$db" 'SELECT count(*) FROM policies')" = 0

# The same on a store that holds the register already (rows are updated,
# not inserted).
kasi --db "$db" load policies "$w/policies.csv"
expect_status 0 "the register loads"
kasi --db "$db" load policies "$tmp/policies_mixed.csv"
expect_status 65 "the bad register is rejected on the update path too"
n=$(grep -c "is not a known product" <<<"$out")
check "every unknown product reported on the update path ($n)" test "$n" -eq 2
check "and nothing changed" \
	test "$(sql "$db" "SELECT premium || ' ' || (SELECT count(*) FROM policy_changes) FROM policies WHERE policy_number = 'POL-1003'")" = "23545 0"

# A provider given other payout details on two later rows: both rows.
cat > "$tmp/products.csv" <<'CSV'
product_code,product_name,provider_code,provider_name,fee_bps,fee_fixed,payout_bank_id,payout_account
NEW_01,New Plan,NEWPROV,New Provider,350,2.50,64,62001234567
NEW_02,Other Plan,NEWPROV,New Provider,350,2.50,64,99999999
NEW_03,Third Plan,NEWPROV,Renamed Provider,350,2.50,64,62001234567
CSV
kasi --db "$db" load products "$tmp/products.csv"
expect_status 65 "a provider with other details on two rows is rejected"
expect_out "row 3, column 'payout_account', consistency:" "row 3 is reported"
expect_out "row 4, column 'provider_name', consistency:" "and so is row 4 (it used to stop at row 3)"
expect_out "invalid: 2 errors (consistency 2)" "both counted"

echo "1..$tap_n"
