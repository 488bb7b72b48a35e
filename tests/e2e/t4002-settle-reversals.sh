#!/usr/bin/env bash
# Settlement regressions about reversals and fees, each the way a tester
# found money moved wrongly with exit 0:
#   - a collection clawed back twice when reconciliation links another row
#     to it after settlement (a Collexia failure dated earlier; an earlier
#     Softy Comp unpaid naming its original): a collection is clawed back
#     once, ever, and the lines net to what the movements say;
#   - a reversal whose own row was settled reversing another collection is
#     held back and named, never clawed back twice;
#   - a fee kept on a fully reversed collection whose unpaid is dated
#     before it: a reversal's line carries exactly minus its original's
#     fee, whichever is settled first;
#   - zero-amount payments charged the fixed fee.
# Every figure is worked out by hand: provider A (PROVA) 250 bps and no
# fixed fee (100.00 pays 2.50); provider B (PROVB) 100 bps + 1.00.
. "$(dirname "$0")/lib.sh"

# Settling is refused after today: the clock is fixed where October is past.
export KASI_NOW=2026-11-30T08:00:00+02:00
sh='transactionId,transactionTypeId,clientId,collectionId,transactionDate,amount,reference,generationTypeId,cycleDate,originalTransactionId,unpaidReasonDescription'
cx='remoteReferenceNo,contractReference,messageDate,status,statusDate,statusTime,transactionAmount,amountPaidOut,responseCode,responseDescription'

fresh() { # fresh NAME: a store with the two products, four policies and October scheduled
	db=$tmp/$1.db
	export KASI_DB=$db
	printf '%s\n' 'product_code,product_name,provider_code,provider_name,fee_bps,fee_fixed,payout_bank_id,payout_account' \
		'PA,Plan A,PROVA,Provider A,250,0.00,64,111111111' \
		'PB,Plan B,PROVB,Provider B,100,1.00,65,222222222' >"$tmp/products.csv"
	printf '%s\n' 'policy_number,product_code,customer_name,id_number,premium,channel,collection_ref,easypay_code,debit_day,status,start_date,cancel_date' \
		'TP-1,PA,One,,100.00,softycomp,2001,,1,active,2025-01-01,' \
		'TP-2,PA,Two,,100.00,softycomp,2002,,1,active,2025-01-01,' \
		'TP-3,PB,Three,,100.00,collexia,CX3,,15,active,2025-01-01,' \
		'TP-4,PB,Four,,100.00,easypay,,91234567890103,,active,2025-01-01,' >"$tmp/policies.csv"
	"$KASI" init >/dev/null
	"$KASI" load products "$tmp/products.csv" >/dev/null
	"$KASI" load policies "$tmp/policies.csv" >/dev/null
	"$KASI" schedule --period 2026-10 >/dev/null
}
feed() { # feed FILE: ingest it and reconcile October
	"$KASI" ingest "$1" >/dev/null
	"$KASI" reconcile --period 2026-10 >/dev/null
}
softy() { # softy YYYYMMDD ROW...: a Softy Comp file (id,type,ref,date,amount,cycle,original)
	local f=$tmp/softycomp_transactions_$1.csv r reason
	shift
	{
		echo "$sh"
		for r in "$@"; do
			IFS=, read -r id type ref date amount cycle orig <<<"$r"
			reason=
			[ "$type" = 7 ] && reason="Account Closed"
			echo "$id,$type,9,$ref,${date}T00:00:00,$amount,X,1,${cycle}T00:00:00,$orig,$reason"
		done
	} >"$f"
	feed "$f"
}
line() { # line TXN KIND: "amount fee" of the line of the row with that transaction id
	sql "$db" "SELECT amount || ' ' || fee FROM settlement_lines WHERE kind = '$2'
		AND fact_id IN (SELECT fact_id FROM facts WHERE transaction_id = '$1')"
}
# Over every collection settled: its line plus the reversal lines that claw
# it back never go below zero (clawed back at most once).
clawed_past_zero() {
	sql "$db" "SELECT count(*) FROM settlement_lines c WHERE c.kind = 'collection' AND c.amount +
		(SELECT ifnull(sum(r.amount), 0) FROM settlement_lines r WHERE r.kind = 'reversal' AND r.original = c.fact_id) < 0"
}
# What was settled, against what the movements now say (all dated through $1).
settled_vs_movements() {
	sql "$db" "SELECT (SELECT ifnull(sum(amount), 0) FROM settlement_lines) || ' ' ||
		(SELECT ifnull(sum(CASE kind WHEN 'reversal' THEN -amount ELSE amount END), 0) FROM movements WHERE business_date <= '$1')"
}

# ---- Collexia: a failure dated earlier than the one settled ----------------
# RB1 completes on 15 October (status 3) and is declined on 17 October
# (status 7): settled through 31 October, +100.00 and -100.00. A file of 20
# October brings a status 4 of 16 October: the first failure after the
# completion is now that one. The collection was clawed back already.
fresh collexia
printf '%s\n' "$cx" '0029789700RB1,CX3,20261015,3,20261015,141000,100.00,100.00,0,Successful' >"$tmp/collexia_results_20261015.csv"
printf '%s\n' "$cx" '0029789700RB1,CX3,20261015,7,20261017,090000,100.00,0,30,No authority' >"$tmp/collexia_results_20261017.csv"
feed "$tmp/collexia_results_20261015.csv"
feed "$tmp/collexia_results_20261017.csv"
kasi settle --through 2026-10-31
check "RB1 is paid and clawed back through 31 October (+100.00, -100.00)" \
	test "$(sql "$db" 'SELECT group_concat(amount) FROM (SELECT amount FROM settlement_lines ORDER BY fact_id)')" = "10000,-10000"
printf '%s\n' "$cx" '0029789700RB1,CX3,20261015,4,20261016,090000,100.00,0,02,Rejected' >"$tmp/collexia_results_20261020.csv"
feed "$tmp/collexia_results_20261020.csv"
check "reconciliation now links the status 4 of 16 October as the reversal" \
	test "$(sql "$db" "SELECT business_date FROM movements WHERE kind = 'reversal'")" = 2026-10-16
kasi settle --through 2026-11-01
expect_status 0 "settle through 1 November"
# Regression: settlement_lines held +100, -100, -100 while the movements
# netted 0: PROVB was clawed back another 100.00.
check "regression: RB1 is not clawed back a second time" \
	test "$(sql "$db" "SELECT count(*) FROM settlement_lines WHERE kind = 'reversal'")" = 1
check "no batch for PROVB: nothing new to settle" \
	test "$(sql "$db" "SELECT count(*) FROM settlement_batches WHERE through = '2026-11-01'")" = 0
expect_out "1 reversal of collections clawed back already (reconciliation linked another row to them since): not clawed back again" \
	"settle says what it did not claw back, and why"
check "no collection is clawed back past zero" test "$(clawed_past_zero)" = 0
check "what was settled is what the movements now say (0.00)" test "$(settled_vs_movements 2026-11-01)" = "0 0"

# ---- Softy Comp: an earlier unpaid naming its original ---------------------
# Collection 101 (1 October); unpaid 201 (10 October) names no original and
# is linked by collection id and cycle: settled through 31 October. Then
# unpaid 199, dated 5 October, naming 101, arrives: it is 101's reversal now
# (201 an orphan).
fresh softy
softy 20261001 101,4,2001,2026-10-01,-100.00,2026-10-01,
softy 20261010 201,7,2001,2026-10-10,-100.00,2026-10-01,
kasi settle --through 2026-10-31
check "101 paid and clawed back by 201 through 31 October" test "$(line 201 reversal)" = "-10000 -250"
softy 20261012 199,7,2001,2026-10-05,-100.00,2026-10-01,101
kasi settle --through 2026-11-01
expect_status 0 "settle through 1 November"
check "regression: 101 is not clawed back again by 199" test -z "$(line 199 reversal)"
check "one reversal line claws back 101, ever" \
	test "$(sql "$db" "SELECT count(*) FROM settlement_lines WHERE kind = 'reversal'")" = 1
check "no collection is clawed back past zero (Softy Comp)" test "$(clawed_past_zero)" = 0
kasi explain TP-1 --period 2026-10
expect_out "clawed back as 201, the row that reversed it then" \
	"explain: 199's original was clawed back by 201's line (it said 'not settled yet')"
check "what was settled is what the movements now say (Softy Comp)" test "$(settled_vs_movements 2026-11-01)" = "0 0"

# ---- A reversal moved to another collection: held back, named --------------
# TP-1 is debited twice on the cycle of 1 October (101 and 102). Unpaid 201
# (10 October, no original) is linked to the first, 101: settled. Then 199
# (5 October) names 101: reconciliation now gives 201 to 102. 201's line
# claws back 101 already and cannot be written twice: it is held back and
# named, 102 is not clawed back by anything else, and nothing is clawed
# back twice; the period stays unsettled, to be read again.
fresh moved
softy 20261001 101,4,2001,2026-10-01,-100.00,2026-10-01, 102,4,2001,2026-10-01,-100.00,2026-10-01,
softy 20261010 201,7,2001,2026-10-10,-100.00,2026-10-01,
kasi settle --through 2026-10-31
check "201 was settled as 101's reversal" \
	test "$(sql "$db" "SELECT f.transaction_id FROM settlement_lines l JOIN facts f ON f.fact_id = l.original WHERE l.kind = 'reversal'")" = 101
softy 20261012 199,7,2001,2026-10-05,-100.00,2026-10-01,101
kasi settle --through 2026-11-01
expect_status 0 "settle through 1 November: the rest is settled"
expect_err "softycomp_transactions_20261010.csv row 2 (policy TP-1, 100.00) now reverses the collection softycomp_transactions_20261001.csv row 3" \
	"the reversal held back is named, with its policy, amount and new original"
expect_err "held back, not clawed back twice; PROVA keeps 100.00 it is not owed until finance corrects it" \
	"with what it means for the provider"
check "nothing is clawed back twice (one reversal line)" \
	test "$(sql "$db" "SELECT count(*) FROM settlement_lines WHERE kind = 'reversal'")" = 1
check "the period stays unsettled: the reversal is read again" \
	test "$(sql "$db" "SELECT unsettled FROM periods WHERE period = '2026-10'")" = 1

# ---- A fee kept on a reversed collection dated after its unpaid -------------
# Unpaid 201 is dated 3 October (cycle 5 October, original 101); collection
# 101 is dated 5 October. Through 4 October the reversal is settled first:
# it carries minus the fee its original will be charged, -2.50. Provider
# A's fee then goes up to 500 bps; through 6 October the collection is
# charged exactly what its reversal took off, 2.50: the pair nets 0.00.
fresh order
softy 20261006 201,7,2001,2026-10-03,-100.00,2026-10-05,101 101,4,2001,2026-10-05,-100.00,2026-10-05,
kasi settle --through 2026-10-04
check "regression: the reversal settled before its original carries -2.50 (it was 0.00)" \
	test "$(line 201 reversal)" = "-10000 -250"
sed -i 's/PA,Plan A,PROVA,Provider A,250,/PA,Plan A,PROVA,Provider A,500,/' "$tmp/products.csv"
"$KASI" load products "$tmp/products.csv" >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null
kasi settle --through 2026-10-06
check "its collection, settled after, is charged exactly 2.50, not the new 5.00" \
	test "$(line 101 collection)" = "10000 250"
check "the fully reversed collection keeps no fee: its lines net 0.00" \
	test "$(sql "$db" 'SELECT sum(net) FROM settlement_lines')" = 0
# Both in one settlement: the same, as it always was.
fresh together
softy 20261006 201,7,2001,2026-10-03,-100.00,2026-10-05,101 101,4,2001,2026-10-05,-100.00,2026-10-05,
kasi settle --through 2026-10-06
check "settled together: the reversal carries -2.50, the collection 2.50" \
	test "$(line 201 reversal) $(line 101 collection)" = "-10000 -250 10000 250"

# ---- Zero-amount payments -----------------------------------------------------
# A wallet's merchantpay rows of 0 and 0.0000 collect nothing: no line, no
# fee (they were charged provider B's fixed 1.00 each: net -2.00). A real
# 10.00 beside them pays 0.10 + 1.00.
fresh zero
mm=$tmp/mobilemoney_transactions_20261022.csv
{
	echo "transactionReference,clientCorrelationId,requestDate,amount,currency,type,transactionStatus,debitPartyMsisdn,accountReference,errorCategory,errorCode"
	echo "MM-1,0b5e8c3a-6f1d-4c2e-9a7b-1d2e3f4a5b60,2026-10-22T09:15:00+02:00,0,ZAR,merchantpay,completed,27821234567,TP-3,,"
	echo "MM-2,7c1f2a90-3d4e-4b5f-8a6b-2c3d4e5f6a71,2026-10-22T10:00:00+02:00,0.0000,ZAR,merchantpay,completed,27831234567,TP-4,,"
	echo "MM-3,1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c82,2026-10-22T11:00:00+02:00,10.00,ZAR,merchantpay,completed,27841234567,TP-4,,"
} >"$mm"
feed "$mm"
kasi settle --through 2026-10-31
expect_status 0 "settle the wallet's day"
check "regression: a zero amount gets no line and no fee" \
	test "$(sql "$db" 'SELECT count(*) || " " || sum(fee) FROM settlement_lines')" = "1 110"
check "PROVB: 1 collection, 10.00 collected, fees 1.10, net 8.90" \
	test "$(sql "$db" "SELECT collections || ' ' || collected || ' ' || fees || ' ' || net FROM settlement_batches")" = "1 1000 110 890"

echo "1..$tap_n"
