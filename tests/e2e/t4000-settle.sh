#!/usr/bin/env bash
# Settlement: fees rounded half up at the half cent, a fee change between a
# payment and its reversal, clawbacks across batches, a collection and its
# reversal in one batch, a negative batch carried forward then absorbed, a
# provider with nothing to settle, settling twice, and kasi's own check of
# the money before it commits. Every figure below is worked out by hand.
. "$(dirname "$0")/lib.sh"

db=$tmp/kasi.db
export KASI_DB=$db
# Settling is refused after today: the clock is fixed where October is past.
export KASI_NOW=2026-11-30T08:00:00+02:00
pheader='product_code,product_name,provider_code,provider_name,fee_bps,fee_fixed,payout_bank_id,payout_account'
printf '%s\n' "$pheader" \
	"PA_PLAN,Plan A,PROV_A,Provider A,250,0.00,64,111111111" \
	"PB_PLAN,Plan B,PROV_B,Provider B,100,1.00,65,222222222" >"$tmp/products.csv"
{
	echo "policy_number,product_code,customer_name,id_number,premium,channel,collection_ref,easypay_code,debit_day,status,start_date,cancel_date"
	echo "TP-1,PA_PLAN,One,,100.00,softycomp,2001,,1,active,2025-01-01,"
	echo "TP-2,PA_PLAN,Two,,100.00,softycomp,2002,,1,active,2025-01-01,"
	echo "TP-3,PB_PLAN,Three,,100.00,softycomp,2003,,1,active,2025-01-01,"
} >"$tmp/policies.csv"
"$KASI" init >/dev/null
"$KASI" load products "$tmp/products.csv" >/dev/null
"$KASI" load policies "$tmp/policies.csv" >/dev/null
"$KASI" schedule --period 2026-10 >/dev/null

sh='transactionId,transactionTypeId,clientId,collectionId,transactionDate,amount,reference,generationTypeId,cycleDate,originalTransactionId,unpaidReasonDescription'
day() { # day YYYYMMDD ROWS...: a Softy Comp file of that day, ingested and reconciled
	local f=$tmp/softycomp_transactions_$1.csv d="${1:0:4}-${1:4:2}-${1:6:2}T00:00:00" r
	shift
	{
		echo "$sh"
		for r in "$@"; do
			IFS=: read -r id type ref amount orig <<<"$r"
			echo "$id,$type,9,$ref,$d,$amount,X,1,$d,$orig,${orig:+Account Closed}"
		done
	} >"$f"
	"$KASI" ingest "$f" >/dev/null
	"$KASI" reconcile --period 2026-10 >/dev/null
}
batch() { # batch PROVIDER THROUGH: "collections collected reversals reversed fees bf net"
	sql "$db" "SELECT b.collections, b.collected, b.reversals, b.reversed, b.fees, b.brought_forward, b.net
		FROM settlement_batches b JOIN providers v USING (provider_id)
		WHERE v.provider_code = '$1' AND b.through = '$2'" | tr '|' ' '
}
line_fee() { sql "$db" "SELECT fee FROM settlement_lines WHERE fact_id IN (SELECT fact_id FROM facts WHERE transaction_id = '$1')"; }

# 2 October. Provider A, 250 bps and no fixed fee: 1.00 -> 2.5c, rounded up
# to 3c; 0.99 -> 2.475c, down to 2c; 1.01 -> 2.525c, up to 3c; 100.00 ->
# 250c. Provider B, 100 bps + 1.00: 20.00 -> 20c + 100c.
day 20261002 5001:4:2001:-1.00 5002:4:2002:-0.99 5003:4:2002:-1.01 5004:4:2001:-100.00 5005:4:2003:-20.00
kasi settle --through 2026-10-02
expect_status 0 "settle through 2 October"
check "half a cent exactly rounds up (1.00 at 250 bps: 3c)" test "$(line_fee 5001)" = 3
check "just under half a cent rounds down (0.99: 2.475c is 2c)" test "$(line_fee 5002)" = 2
check "just over rounds up (1.01: 2.525c is 3c)" test "$(line_fee 5003)" = 3
check "a fixed fee is added (20.00 at 100 bps + 1.00: 120c)" test "$(line_fee 5005)" = 120
check "provider A: 4 collections, 103.00, fees 2.58, net 100.42" test "$(batch PROV_A 2026-10-02)" = "4 10300 0 0 258 0 10042"
check "provider B: 20.00, fee 1.20, net 18.80" test "$(batch PROV_B 2026-10-02)" = "1 2000 0 0 120 0 1880"
check "each gets a payout of its net" test "$(sql "$db" "SELECT group_concat(amount) FROM (SELECT amount FROM payouts ORDER BY payout_id)")" = "10042,1880"

kasi settle --through 2026-10-02
expect_status 0 "settling the same day again exits 0"
expect_out "nothing new to settle" "and says so"
kasi settle --through 2026-10-01
expect_out "nothing new to settle" "an earlier day creates nothing either"
check "still two batches" test "$(sql "$db" 'SELECT count(*) FROM settlement_batches')" = 2

# Provider A's fee goes up to 500 bps. 5 October: 5004 (100.00, charged
# 2.50 when paid) is reversed: its line carries -2.50, not -5.00; a new
# collection of 50.00 pays the new fee, 2.50. Net 50.00 - 100.00 - 0.00:
# -50.00, carried forward, never paid. Provider B has nothing: no batch.
sed -i 's/PA_PLAN,Plan A,PROV_A,Provider A,250,/PA_PLAN,Plan A,PROV_A,Provider A,500,/' "$tmp/products.csv"
"$KASI" load products "$tmp/products.csv" >/dev/null
day 20261005 5101:7:2001:-100.00:5004 5102:4:2001:-50.00
kasi settle --through 2026-10-05
expect_status 0 "settle through 5 October"
check "a reversal carries minus its original's fee, whatever the fee is now" test "$(line_fee 5101)" = -250
check "a new collection pays the new fee (50.00 at 500 bps: 2.50)" test "$(line_fee 5102)" = 250
check "the clawback makes provider A's batch negative: -50.00" test "$(batch PROV_A 2026-10-05)" = "1 5000 1 10000 0 0 -5000"
check "a negative batch gets no payout" test "$(sql "$db" 'SELECT count(*) FROM payouts')" = 2
check "a provider with nothing to settle gets no batch" test -z "$(batch PROV_B 2026-10-05)"

# 8 October: TP-2 pays 80.00 (fee 4.00) and it is reversed the same day:
# two lines netting zero; TP-1 pays 200.00 (fee 10.00). Net 280.00 - 80.00
# - 10.00, less the -50.00 brought forward: 140.00, paid.
day 20261008 5201:4:2002:-80.00 5202:7:2002:-80.00:5201 5203:4:2001:-200.00
kasi settle --through 2026-10-08
expect_status 0 "settle through 8 October"
check "a collection and its reversal in one batch net to zero" \
	test "$(sql "$db" "SELECT sum(net) || ' ' || count(*) FROM settlement_lines WHERE fact_id IN (SELECT fact_id FROM facts WHERE transaction_id IN ('5201', '5202'))")" = "0 2"
check "the negative batch is brought forward and absorbed: net 140.00" test "$(batch PROV_A 2026-10-08)" = "2 28000 1 8000 1000 -5000 14000"
check "and paid" test "$(sql "$db" 'SELECT amount FROM payouts ORDER BY payout_id DESC LIMIT 1')" = 14000
check "every movement is settled once, in one batch" \
	test "$(sql "$db" 'SELECT count(*) FROM settlement_lines')" = "$(sql "$db" 'SELECT count(*) FROM movements')"

# The switch answers for the payouts (collexia_payouts, a file like any
# other): provider A's first (100.42) is paid in full; provider B's (18.80)
# is paid 18.00: PAYOUT_MISMATCH; provider A's last (140.00) is rejected:
# PAYOUT_REJECTED, and its net is carried into A's next batch; a reference
# kasi never gave is UNKNOWN_REFERENCE. The latest answer is the state.
ref() { sql "$db" "SELECT reference FROM payouts WHERE payout_id = $1"; }
{
	echo "remoteReferenceNo,status,statusDate,statusTime,amountPaidOut,responseCode,responseDescription"
	echo "$(ref 1),6,20261008,080000,0,,"
	echo "$(ref 1),3,20261008,120000,100.42,0,Transaction Successful"
	echo "$(ref 2),3,20261008,120100,18.00,0,Transaction Successful"
	echo "$(ref 3),4,20261008,120200,0,RR04,Closed Debtor Account Number"
	echo "KP999999999999,3,20261008,120300,5.00,0,Transaction Successful"
} >"$tmp/collexia_payouts_20261008.csv"
kasi ingest "$tmp/collexia_payouts_20261008.csv"
expect_status 1 "the confirmations ingest, with discrepancies (exit 1)"
expect_out "PAYOUT_MISMATCH" "a payout paid other than instructed is a mismatch"
expect_out "PAYOUT_REJECTED" "a rejected payout is named"
expect_out "UNKNOWN_REFERENCE" "a reference kasi never gave is unknown"
check "the states: paid, mismatch, rejected" \
	test "$(sql "$db" "SELECT group_concat(state, ' ') FROM (SELECT state FROM payouts ORDER BY payout_id)")" = "paid mismatch rejected"
check "the latest answer wins (in progress, then paid)" \
	test "$(sql "$db" "SELECT amount_paid FROM payouts WHERE payout_id = 1")" = 10042
kasi report discrepancies --period 2026-10 --out "$tmp/d.csv"
check "the mismatch names the payout and both amounts" \
	grep -q "^PAYOUT_MISMATCH,error,collexia_payouts,collexia_payouts_20261008.csv,4,$(ref 2),$(ref 2),18.80,18.00," "$tmp/d.csv"
# 9 October: provider A collects 10.00 (fee 0.50). Its rejected 140.00 is
# brought forward: net 10.00 - 0.50 + 140.00 = 149.50, a new payout.
# Provider B has no new money, but its payout of 18.80 was paid 18.00: the
# 0.80 short is owed still; with no new line B gets no batch, and the 0.80
# waits for its next batch that has lines.
day 20261009 5301:4:2001:-10.00
kasi settle --through 2026-10-09
expect_status 0 "settle through 9 October"
check "a rejected payout's net is brought into the provider's next batch" test "$(batch PROV_A 2026-10-09)" = "1 1000 0 0 50 14000 14950"
a_batch=$(sql "$db" "SELECT b.batch_id FROM settlement_batches b JOIN providers v USING (provider_id) WHERE v.provider_code = 'PROV_A' AND b.through = '2026-10-09'")
check "once: the rejected payout is marked carried into it" \
	test "$(sql "$db" "SELECT carried_into FROM payouts WHERE payout_id = 3")" = "$a_batch"
old_ref=$(ref 3)
check "and paid again, under a new reference" test "$(sql "$db" "SELECT amount || ' ' || (reference <> '$old_ref') FROM payouts WHERE batch_id = $a_batch")" = "14950 1"
check "regression: a provider with no new line gets no batch, though a payout left it owed 0.80" \
	test -z "$(batch PROV_B 2026-10-09)"
kasi status
expect_out "payout $old_ref rejected: carried forward into batch $a_batch" "kasi status lists the batches with their payout state"
expect_out "payout $(ref 1) paid on 2026-10-08" "a paid one with its day"
expect_out "payout $(ref 2) mismatch: paid 18.00 of 18.80 on 2026-10-08, 0.80 short" \
	"a mismatched one with what it paid and the difference"
# 10 October: TP-3 (provider B: 100 bps + 1.00) pays 10.00, fee 1.10. B's
# batch brings the 0.80 forward: net 10.00 - 1.10 + 0.80 = 9.70, paid.
day 20261010 5311:4:2003:-10.00
kasi settle --through 2026-10-10
expect_status 0 "settle through 10 October"
check "the 0.80 a short payout left owed is brought into B's next batch with lines" \
	test "$(batch PROV_B 2026-10-10)" = "1 1000 0 0 110 80 970"
check "and the short payout is marked carried into it" \
	test "$(sql "$db" "SELECT carried_into = (SELECT max(batch_id) FROM settlement_batches) FROM payouts WHERE payout_id = 2")" = 1

# kasi checks, before it commits a settlement, that every provider's money
# balances: over all its batches, collected - reversed - fees against what
# they paid or carry. A batch tampered with in the store (a fee of a cent
# more, its net left as it was) breaks it: the next settlement is refused,
# naming the provider, and writes nothing.
sql "$db" "UPDATE settlement_batches SET fees = fees + 1 WHERE batch_id = 1"
day 20261011 5401:4:2002:-10.00
before=$(sql "$db" 'SELECT count(*) FROM settlement_batches')
kasi settle --through 2026-10-11
expect_status 65 "money that does not balance stops the settlement (exit 65)"
expect_err "provider PROV_A does not balance" "naming the provider"
check "nothing is written" test "$(sql "$db" 'SELECT count(*) FROM settlement_batches')" = "$before"
check "not even the settlement's day" test "$(sql "$db" "SELECT count(*) FROM settlements WHERE through = '2026-10-11'")" = 0

echo "1..$tap_n"
