#!/usr/bin/env bash
# kasi load of a file whose header lacks a column the load needs: a
# rejected file (exit 65, the validation report), never a crash, and the
# store as it was.
. "$(dirname "$0")/lib.sh"

db=$tmp/kasi.db
world "$db" || { echo "not ok 1 - the fixture world loads"; exit 1; }
w=$fixtures/world

# Every table's row count, to show a rejected load changed nothing.
counts() { sql "$db" "SELECT (SELECT count(*) FROM products) || ' ' || (SELECT count(*) FROM providers) || ' ' || (SELECT count(*) FROM policies) || ' ' || (SELECT count(*) FROM policy_changes) || ' ' || (SELECT count(*) FROM ledger)"; }
before=$(counts)

# rename FILE OLD NEW OUT: FILE with header column OLD renamed NEW.
rename() { sed "1s/\\b$2\\b/$3/" "$1" > "$4"; }

# refused BUG DESC KIND FILE COLUMN: loading FILE as KIND (what DESC says)
# is refused, naming COLUMN as missing, and the store is unchanged; BUG
# says how it went wrong before.
refused() {
	kasi --db "$db" load "$3" "$4"
	expect_status 65 "regression: $2 $1: now exit 65"
	expect_out "column '$5', missing_column: column '$5' is missing from the header" \
		"$2: the report names '$5' as missing"
	expect_out "not loaded: nothing changed" "$2: says nothing was loaded"
	check "$2: the store is unchanged" test "$(counts)" = "$before"
}

crash="crashed (its row handler ran without the column)"
refused "$crash" "load products of a policies file" products "$w/policies.csv" provider_code
refused "$crash" "load policies of a products file" policies "$w/products.csv" policy_number
refused "$crash" "load ledger of a products file" ledger "$w/products.csv" transaction_id
rename "$w/policies.csv" premium Premium "$tmp/policies.csv"
refused "$crash" "load policies with 'premium' renamed" policies "$tmp/policies.csv" premium
rename "$w/products.csv" provider_name providerName "$tmp/products.csv"
refused "$crash" "load products with 'provider_name' renamed" products "$tmp/products.csv" provider_name
rename "$w/products.csv" payout_account account "$tmp/products.csv"
refused "$crash" "load products with 'payout_account' renamed" products "$tmp/products.csv" payout_account
rename "$w/ledger.csv" amount amt "$tmp/ledger.csv"
refused "$crash" "load ledger with 'amount' renamed" ledger "$tmp/ledger.csv" amount

# A renamed required column is bad data, not a store error: it was
# reported as "store 'kasi.db': saving a policy: NOT NULL constraint
# failed" with exit 74, on a store that held the register already.
rename "$w/policies.csv" customer_name customer "$tmp/policies.csv"
store="was a store error (exit 74)"
refused "$store" "load policies with 'customer_name' renamed" \
	policies "$tmp/policies.csv" customer_name
check "load policies with 'customer_name' renamed: no store error on stderr" \
	test -z "$err"
rename "$w/ledger.csv" channel chan "$tmp/ledger.csv"
refused "$store" "load ledger with 'channel' renamed" \
	ledger "$tmp/ledger.csv" channel
check "load ledger with 'channel' renamed: no store error on stderr" test -z "$err"
rename "$w/products.csv" product_code code "$tmp/products.csv"
refused "$store" "load products with 'product_code' renamed" \
	products "$tmp/products.csv" product_code
check "load products with 'product_code' renamed: no store error on stderr" test -z "$err"

# A schema that lets a column the load reads be absent would let a file
# without it through the header check to the same crash: refused as a
# configuration error before any file is read.
mkdir -p "$tmp/schemas"
cp "$KASI_ROOT"/schemas/*.schema "$tmp/schemas/"
sed -i '/^column fee_fixed$/a\	absent_ok' "$tmp/schemas/products.schema"
cut -d, -f1-5,7- "$w/products.csv" > "$tmp/products.csv"
kasi --db "$db" --schemas "$tmp/schemas" load products "$tmp/products.csv"
expect_status 78 "regression: a load column marked absent_ok in its schema is a configuration error"
expect_err "schema products lets column 'fee_fixed' be absent" "naming the schema and the column"
check "and the store is unchanged" test "$(counts)" = "$before"

echo "1..$tap_n"
