#!/usr/bin/env bash
# Money a row counts for a policy is never negative. A sign its channel
# cannot send is refused when the file is validated (Softy Comp writes a
# collection negative, as on the client's account), or, whatever a schema
# lets its column hold, when it is ingested (exit 65, file and row named);
# and reconciling never fails on a stored row's sign (never exit 74): such
# a row is not counted and raises UNEXPECTED_SIGN.
#
# Regression: one valid Softy Comp collection written positive
# (101,4,9,2001,...,100.00) made the month impossible to reconcile:
# "recording movements: CHECK constraint failed: amount >= 0", exit 74; a
# custom payments schema allowing negative amounts hit the same.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/four_policies.sh"

db=$tmp/kasi.db
export KASI_DB=$db
four_policies "$db"
in=$tmp/in

day_file "$in" softycomp_transactions_20261001.csv "$softy_header" \
	'101,4,9,2001,2026-10-01T00:00:00,100.00,,1,2026-10-01T00:00:00,,'
kasi validate "$in/softycomp_transactions_20261001.csv"
expect_status 65 "a Softy Comp collection written positive is invalid"
expect_out "row 2, column 'amount', money: above the maximum 0.00" "naming the row, the column and the rule"
expect_out "at most 0.00 on a row whose transactionTypeId is 4" "and why it applies to this row"
kasi ingest "$in/softycomp_transactions_20261001.csv"
expect_status 65 "and is rejected by ingest: nothing loaded"
check "no fact stored" test "$(sql "$db" "SELECT count(*) FROM facts")" = 0

# Unpaids may come either way (the absolute value is taken back), and the
# types that are not counted (a credit note, 9) are stored as they come.
day_file "$in" softycomp_transactions_20261002.csv "$softy_header" \
	'102,4,9,2001,2026-10-02T00:00:00,-100.00,,1,2026-10-01T00:00:00,,' \
	'103,4,9,2002,2026-10-02T00:00:00,-100.00,,1,2026-10-01T00:00:00,,' \
	'201,7,9,2001,2026-10-02T00:00:00,100.00,,1,2026-10-01T00:00:00,102,Account Closed' \
	'301,9,9,2002,2026-10-02T00:00:00,50.00,,5,,,'
kasi ingest "$in/softycomp_transactions_20261002.csv"
expect_status 0 "collections written negative, a positive unpaid and a credit note are applied"

# A schema that lets a column hold what its channel never sends (here,
# Softy Comp's without its collection rule, and EasyPay's allowing
# negative cash): ingest refuses the row all the same.
schemas=$tmp/schemas
mkdir -p "$schemas"
cp "$KASI_ROOT"/schemas/* "$schemas/"
sed -i '/when transactionTypeId=.* money /d' "$schemas/softycomp_transactions.schema"
sed -i 's/^\tmoney decimals=2 min=0.00 max=1000000.00$/\tmoney decimals=2 min=-1000000.00 max=1000000.00/' \
	"$schemas/easypay_recon.schema"
kasi --schemas "$schemas" ingest "$in/softycomp_transactions_20261001.csv"
expect_status 65 "without the schema's rule, ingest still refuses a positive collection"
expect_out "row 2, column 'amount', money: Softy Comp writes a collection as on the client's account, negative" "saying why"
day_file "$in" easypay_recon_20261005.csv "$easypay_header" \
	'E1,91234567890103,topup,M1,T1,,2026-10-05T09:00:00+02:00,-100.00,settled,,'
kasi --schemas "$schemas" ingest "$in/easypay_recon_20261005.csv"
expect_status 65 "a payment of a negative amount is refused"
expect_out "row 2, column 'gross_amount', money: EasyPay: a collected row cannot have a negative amount" "naming file, row and column"

# What is stored already (here read under a schema whose sign rule was
# turned round since) never breaks reconciling: not counted, and said.
"$KASI" reconcile --period 2026-10 >/dev/null
sed -i 's/^amounts negative$/amounts positive/' "$schemas/softycomp_transactions.schema"
kasi --schemas "$schemas" reconcile --period 2026-10
expect_status 1 "reconciling rows of the wrong sign finishes, with discrepancies (not exit 74)"
check "each is an UNEXPECTED_SIGN, its row named" \
	test "$(sql "$db" "SELECT group_concat(transaction_id || '@' || row) FROM (SELECT * FROM discrepancies WHERE code = 'UNEXPECTED_SIGN' ORDER BY row)")" = "102@2,103@3"
check "and is not counted (TP-2 collected 0.00)" \
	test "$(sql "$db" "SELECT o.collected FROM outcomes o JOIN policies p USING (policy_id) WHERE p.policy_number = 'TP-2' AND o.period = '2026-10'")" = 0
check "no movement of a negative amount" test "$(sql "$db" "SELECT count(*) FROM movements WHERE amount < 0")" = 0
# Regression: the unpaid of a collection not counted still took it back:
# TP-1 showed collected -100.00.
check "regression: an unpaid takes back nothing of a collection not counted (TP-1 collected 0.00)" \
	test "$(sql "$db" "SELECT o.collected FROM outcomes o JOIN policies p USING (policy_id) WHERE p.policy_number = 'TP-1' AND o.period = '2026-10'")" = 0
check "and is an ORPHAN_REVERSAL saying why" \
	test "$(sql "$db" "SELECT count(*) FROM discrepancies WHERE code = 'ORPHAN_REVERSAL' AND transaction_id = '201' AND detail LIKE '%was not counted%'")" = 1
check "no outcome collects less than nothing" test "$(sql "$db" "SELECT count(*) FROM outcomes WHERE collected < 0")" = 0

echo "1..$tap_n"
