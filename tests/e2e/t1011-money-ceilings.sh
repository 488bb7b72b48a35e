#!/usr/bin/env bash
# Every money column of every shipped schema has a ceiling: an absurd
# amount is a rejected row, not a fact that could push a period's sums past
# what int64 cents hold (and block the period for good, as an applied file
# cannot be undone).
. "$(dirname "$0")/lib.sh"

for schema in "$KASI_ROOT"/schemas/*.schema; do
	name=$(basename "$schema" .schema)
	# Every `money` line names a max=.
	n=$(grep -cE '^\s*(when .* )?money ' "$schema")
	m=$(grep -E '^\s*(when .* )?money ' "$schema" | grep -c 'max=')
	check "$name: each of its $n money checks has a max= ceiling" test "$n" -eq "$m"
done

# The amount the issue found accepted: R92 233 720 368 547 758.07 in each
# channel's amount column, and in the registers'.
absurd=92233720368547758.07
row() { # row FILE: the fixture's header and its first data row
	head -2 "$1"
}
try() { # try DESC FILE COLUMN [RULE]
	local desc=$1 file=$2 col=$3 rule=${4:-money: above the maximum}
	kasi validate "$file"
	expect_status 65 "$desc: $absurd is rejected"
	expect_out "column '$col', $rule" "$desc: by the ceiling, naming the column"
}
w=$fixtures/world
f=$tmp/easypay_recon_20261005.csv
row "$w/easypay_recon_20261005.csv" | awk -F, -v OFS=, -v a="$absurd" 'NR==2{$8=a}1' >"$f"
try "EasyPay gross_amount" "$f" gross_amount
f=$tmp/softycomp_transactions_20261001.csv
row "$w/softycomp_transactions_20261001.csv" | awk -F, -v OFS=, -v a="-$absurd" 'NR==2{$6=a}1' >"$f"
try "Softy Comp amount" "$f" amount "money: below the minimum -100000000.00"
f=$tmp/collexia_results_20261015.csv
row "$w/collexia_results_20261015.csv" | awk -F, -v OFS=, -v a="$absurd" 'NR==2{$7=a}1' >"$f"
# N15.2: its pattern refuses more than 13 integer digits before the ceiling.
try "Collexia transactionAmount" "$f" transactionAmount "pattern: "
f=$tmp/policies.csv
row "$w/policies.csv" | awk -F, -v OFS=, -v a="$absurd" 'NR==2{$5=a}1' >"$f"
try "policy premium" "$f" premium
f=$tmp/ledger.csv
row "$w/ledger.csv" | awk -F, -v OFS=, -v a="$absurd" 'NR==2{$5=a}1' >"$f"
try "ledger amount" "$f" amount

# Amounts a real file carries stay valid: R4,000.00 at a till, R25,000.00
# debited, a R1,000,000.00 premium (the ceiling itself).
f=$tmp/easypay_recon_20261005.csv
row "$w/easypay_recon_20261005.csv" | awk -F, -v OFS=, 'NR==2{$8="4000.00"}1' >"$f"
kasi validate "$f"
expect_status 0 "R4000.00 at a till is valid"
f=$tmp/softycomp_transactions_20261001.csv
row "$w/softycomp_transactions_20261001.csv" | awk -F, -v OFS=, 'NR==2{$6="-25000.00"}1' >"$f"
kasi validate "$f"
expect_status 0 "a R25000.00 debit is valid"
f=$tmp/policies.csv
row "$w/policies.csv" | awk -F, -v OFS=, 'NR==2{$5="1000000.00"}1' >"$f"
kasi validate "$f"
expect_status 0 "a premium at the ceiling is valid"

echo "1..$tap_n"
