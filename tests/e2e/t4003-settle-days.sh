#!/usr/bin/env bash
# Settlement regressions about days and sums, each as a tester found it:
#   - a through date after today was accepted, and every settlement after
#     it said "nothing new" for good: refused (exit 64), by the clock of
#     $KASI_NOW when set;
#   - money that came late (dated through a day already settled) was
#     passed over in silence: said, and settled by the next settlement;
#   - every month between a file's first and last fact had to be
#     reconciled, even months without a fact;
#   - one collection's absurd fee blocked every provider, with an internal
#     id for a name: its provider is held back, named by file, row and
#     policy, and every other provider is settled;
#   - `report settlement --through 2026-02-30` said the date was required;
#   - the settlement summary did not add up (no brought forward).
. "$(dirname "$0")/lib.sh"

today=2026-11-30T08:00:00+02:00
export KASI_NOW=$today
sh='transactionId,transactionTypeId,clientId,collectionId,transactionDate,amount,reference,generationTypeId,cycleDate,originalTransactionId,unpaidReasonDescription'
cx='remoteReferenceNo,contractReference,messageDate,status,statusDate,statusTime,transactionAmount,amountPaidOut,responseCode,responseDescription'

# The house's side of payout instructions, beside every store below.
payouts_conf "$tmp/payouts.conf"

fresh() { # fresh NAME: a store with the two products, three policies and October scheduled
	db=$tmp/$1.db
	export KASI_DB=$db
	printf '%s\n' 'product_code,product_name,provider_code,provider_name,fee_bps,fee_fixed,payout_bank_id,payout_account' \
		'PA,Plan A,PROVA,Provider A,250,0.00,64,111111111' \
		'PB,Plan B,PROVB,Provider B,100,1.00,65,222222222' >"$tmp/products.csv"
	printf '%s\n' 'policy_number,product_code,customer_name,id_number,premium,channel,collection_ref,easypay_code,debit_day,status,start_date,cancel_date' \
		'TP-1,PA,One,,100.00,softycomp,2001,,1,active,2019-01-01,' \
		'TP-2,PA,Two,,100.00,softycomp,2002,,1,active,2019-01-01,' \
		'TP-3,PB,Three,,100.00,collexia,CX3,,15,active,2019-01-01,' >"$tmp/policies.csv"
	"$KASI" init >/dev/null
	"$KASI" load products "$tmp/products.csv" >/dev/null
	"$KASI" load policies "$tmp/policies.csv" >/dev/null
	"$KASI" schedule --period 2026-10 >/dev/null
}
softy() { # softy YYYYMMDD ID:REF:DATE:AMOUNT...: a Softy Comp file of collections, ingested
	local f=$tmp/softycomp_transactions_$1.csv r
	shift
	{
		echo "$sh"
		for r in "$@"; do
			IFS=: read -r id ref date amount <<<"$r"
			echo "$id,4,9,$ref,${date}T00:00:00,$amount,X,1,${date}T00:00:00,,"
		done
	} >"$f"
	"$KASI" ingest "$f" >/dev/null
}

# ---- a day after today ---------------------------------------------------------
fresh future
softy 20261002 5001:2001:2026-10-02:-100.00
"$KASI" reconcile --period 2026-10 >/dev/null
for d in 9999-12-31 2027-10-31 2026-12-01; do
	kasi settle --through $d
	expect_status 64 "regression: settling through $d, after today (30 November), is refused (exit 64)"
done
expect_err "2026-12-01 is after today (2026-11-30, SAST)" "saying what today is"
check "and nothing is recorded" test "$(sql "$db" 'SELECT count(*) FROM settlements')" = 0
# 30 November 2026 at 23:30 in UTC is already 1 December in SAST.
KASI_NOW=2026-11-30T23:30:00Z kasi settle --through 2026-12-01
expect_status 0 "today is SAST's: 23:30 UTC on 30 November is 1 December"
KASI_NOW=yesterday kasi settle --through 2026-10-31
expect_status 78 "a KASI_NOW that is not ISO 8601 with an offset exits 78"
expect_err "KASI_NOW must be ISO 8601 with an offset" "naming it"
# A store that an older kasi settled through a day to come is not stuck:
# that settlement does not stop the days before it.
fresh stuck
softy 20261002 5001:2001:2026-10-02:-100.00
"$KASI" reconcile --period 2026-10 >/dev/null
sql "$db" "INSERT INTO settlements (through, settled_at, batches) VALUES ('9999-12-31', '2026-11-01T00:00:00Z', 0)"
kasi settle --through 2026-10-31
expect_status 0 "a settlement through 9999-12-31 recorded before does not block today's"
check "the money is settled" test "$(sql "$db" "SELECT count(*) FROM settlement_lines")" = 1

# ---- money that came late ------------------------------------------------------
# Settled through 31 October; then a collection of 5 October arrives (in a
# file of 6 November). Settling through 31 October again creates nothing,
# and says why; the settlement through 1 November settles it.
fresh late
softy 20261002 5001:2001:2026-10-02:-100.00
"$KASI" reconcile --period 2026-10 >/dev/null
kasi settle --through 2026-10-31
softy 20261106 5002:2002:2026-10-05:-40.00
"$KASI" reconcile --period 2026-10 >/dev/null
kasi settle --through 2026-10-31
expect_status 0 "settling through 31 October again exits 0"
expect_out "nothing new to settle through 2026-10-31" "it creates nothing"
expect_out "but 1 movement dated on or before 2026-10-31 (net 40.00) came after the settlement through 2026-10-31 and is not settled yet: the next settlement through a day after 2026-10-31 settles it" \
	"regression: and says that late money waits, instead of only 'nothing new'"
kasi settle --through 2026-11-01
expect_status 0 "settle through 1 November"
check "the late collection is settled by the next settlement" \
	test "$(sql "$db" "SELECT b.through FROM settlement_lines l JOIN settlement_batches b USING (batch_id) JOIN facts f ON f.fact_id = l.fact_id WHERE f.transaction_id = '5002'")" = 2026-11-01
# 100.00 - 2.50 = 97.50 paid through 31 October; 40.00 - 1.00 = 39.00 now.
kasi report settlement --through 2026-11-01 --out "$tmp/late.csv"
expect_out "collected 40.00, reversed 0.00, fees 1.00, brought forward 0.00, net 39.00" "the report's summary says so"

# ---- only months that hold facts ----------------------------------------------
# One file with a collection of 1 October 2026 and one of 1 January 2020:
# 2020-01 and 2026-10 hold facts, the 80 months between none.
fresh months
softy 20261002 5001:2001:2026-10-01:-100.00 5002:2002:2020-01-01:-50.00
"$KASI" reconcile --period 2026-10 >/dev/null
kasi settle --through 2026-10-31
expect_status 65 "a month holding facts that is not reconciled is refused"
expect_err "period 2020-01 holds facts to settle but is not reconciled" "naming it"
"$KASI" schedule --period 2020-01 >/dev/null
"$KASI" reconcile --period 2020-01 >/dev/null
kasi settle --through 2026-10-31
expect_status 0 "regression: months without a fact need not be reconciled (2020-02 was demanded)"
check "both collections are settled" test "$(sql "$db" 'SELECT count(*) FROM settlement_lines')" = 2

# ---- one absurd fee ---------------------------------------------------------------
# Provider B's fee is 100%: a Collexia completion of 9999999999999.99 (its
# column's ceiling) costs 999999999999999c x 10000 bps, past int64 cents.
# Provider A's 100.00 is settled all the same; B is held back, named.
fresh overflow
sed -i 's/PB,Plan B,PROVB,Provider B,100,/PB,Plan B,PROVB,Provider B,10000,/' "$tmp/products.csv"
"$KASI" load products "$tmp/products.csv" >/dev/null
softy 20261002 5001:2001:2026-10-02:-100.00
printf '%s\n' "$cx" '0029789700RB1,CX3,20261015,3,20261015,141000,9999999999999.99,9999999999999.99,0,ok' \
	>"$tmp/collexia_results_20261015.csv"
"$KASI" ingest "$tmp/collexia_results_20261015.csv" >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null
kasi settle --through 2026-10-31
expect_status 65 "a provider held back: exit 65"
expect_err "collexia_results_20261015.csv row 2 (policy TP-3): the fee of a collection of 9999999999999.99 at 10000 bps + 1.00 passes int64 cents: provider PROVB is held back" \
	"regression: named by file, row and policy (it was an internal fact id), with its provider"
check "every other provider is settled (PROVA, 97.50)" \
	test "$(sql "$db" "SELECT group_concat(v.provider_code || ' ' || b.net) FROM settlement_batches b JOIN providers v USING (provider_id)")" = "PROVA 9750"
check "nothing of PROVB is" test "$(sql "$db" "SELECT count(*) FROM settlement_lines WHERE policy_id = (SELECT policy_id FROM policies WHERE policy_number = 'TP-3')")" = 0
# The fee put right (200 bps + 1.00), its money is settled by the next one.
sed -i 's/PB,Plan B,PROVB,Provider B,10000,/PB,Plan B,PROVB,Provider B,200,/' "$tmp/products.csv"
"$KASI" load products "$tmp/products.csv" >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null
kasi settle --through 2026-11-01
expect_status 0 "once the fee is put right, settle through 1 November"
check "PROVB's held money is settled then" \
	test "$(sql "$db" "SELECT v.provider_code || ' ' || b.collected FROM settlement_batches b JOIN providers v USING (provider_id) WHERE b.through = '2026-11-01'")" = "PROVB 999999999999999"

# ---- a date that is not real -----------------------------------------------------
kasi report settlement --through 2026-02-30
expect_status 64 "report settlement --through 2026-02-30: usage (exit 64)"
expect_err "--through 2026-02-30 is not a real date" "regression: says the date is not real (it said it was required)"
kasi report settlement --through garbage
expect_err "--through garbage is not a date (YYYY-MM-DD)" "and garbage is not a date"
kasi report settlement
expect_err "--through YYYY-MM-DD is required" "a missing --through is still required"
kasi settle --through 2026-02-30
expect_status 64 "settle --through 2026-02-30: usage"
expect_err "'2026-02-30' is not a real date" "not a real date either"

# ---- a summary that adds up ------------------------------------------------------
# Provider A: 100.00 through 2 October (net 97.50, paid); its unpaid and a
# 30.00 collection on 5 October: 30.00 - 100.00 - (0.75 - 2.50) = -68.25,
# carried forward; 9 October, 200.00 (fee 5.00): 200.00 - 5.00 - 68.25 =
# 126.75.
fresh sums
softy 20261002 5001:2001:2026-10-02:-100.00
"$KASI" reconcile --period 2026-10 >/dev/null
"$KASI" settle --through 2026-10-02 >/dev/null
printf '%s\n' "$sh" '5101,7,9,2001,2026-10-05T00:00:00,-100.00,X,1,2026-10-02T00:00:00,5001,Account Closed' \
	'5102,4,9,2002,2026-10-05T00:00:00,-30.00,X,1,2026-10-05T00:00:00,,' >"$tmp/softycomp_transactions_20261005.csv"
"$KASI" ingest "$tmp/softycomp_transactions_20261005.csv" >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null
kasi settle --through 2026-10-05
expect_out "net -68.25, carried forward" "settle: a negative net is carried forward"
softy 20261009 5201:2001:2026-10-09:-200.00
"$KASI" reconcile --period 2026-10 >/dev/null
kasi settle --through 2026-10-09
expect_out "brought forward -68.25: net 126.75" "and the next batch shows it brought forward"
kasi report settlement --through 2026-10-09 --out "$tmp/sums.csv"
expect_out "collected 200.00, reversed 0.00, fees 5.00, brought forward -68.25, net 126.75" \
	"regression: the report's summary adds up: collected - reversed - fees + brought forward = net"
kasi status
expect_out "net       -68.25  no payout: carried forward" "status: carried forward, the same words"

echo "1..$tap_n"
