#!/usr/bin/env bash
# A settlement is all or nothing: kill `kasi settle` with SIGKILL at many
# points of a large one. After each kill the store is intact and holds all
# of the settlement or none of it; the run that completes it leaves exactly
# the batches, lines and payouts of a clean run, and no payout reference is
# given twice.
. "$(dirname "$0")/lib.sh"
# Settling is refused after today: the clock is fixed where October is past.
export KASI_NOW=2026-11-30T08:00:00+02:00

policies=${SETTLE_POLICIES:-5000}
rows=${SETTLE_ROWS:-150000}
kills=${SETTLE_KILLS:-10}
{
	echo "product_code,product_name,provider_code,provider_name,fee_bps,fee_fixed,payout_bank_id,payout_account"
	for p in 1 2 3 4; do echo "PLAN_$p,Plan $p,PROV_$p,Provider $p,$((p * 90)),0.$((p * 2))0,6$p,1000000$p"; done
} >"$tmp/products.csv"
{
	echo "policy_number,product_code,customer_name,id_number,premium,channel,collection_ref,easypay_code,debit_day,status,start_date,cancel_date"
	awk -v n="$policies" 'BEGIN { for (i = 1; i <= n; i++)
		printf "TP-%05d,PLAN_%d,Customer %d,,100.00,softycomp,%d,,1,active,2025-01-01,\n", i, 1 + i % 4, i, 300000 + i }'
} >"$tmp/policies.csv"
# Collections through October, a reversal of every 23rd one (by its id).
big=$tmp/softycomp_transactions_20261028.csv
{
	echo "transactionId,transactionTypeId,clientId,collectionId,transactionDate,amount,reference,generationTypeId,cycleDate,originalTransactionId,unpaidReasonDescription"
	awk -v n="$rows" -v p="$policies" 'BEGIN { for (i = 1; i <= n; i++) {
		d = 1 + i % 28
		printf "%d,4,9,%d,2026-10-%02dT00:00:00,-%d.%02d,X,1,2026-10-%02dT00:00:00,,\n",
			1000000 + i, 300001 + i % p, d, 10 + i % 400, i % 100, d
		if (i % 23 == 0)
			printf "%d,7,9,%d,2026-10-28T00:00:00,-%d.%02d,X,1,2026-10-%02dT00:00:00,%d,Account Closed\n",
				5000000 + i, 300001 + i % p, 10 + i % 400, i % 100, d, 1000000 + i
	} }'
} >"$big"

make_store() {
	"$KASI" --db "$1" init >/dev/null &&
		"$KASI" --db "$1" load products "$tmp/products.csv" >/dev/null &&
		"$KASI" --db "$1" load policies "$tmp/policies.csv" >/dev/null &&
		"$KASI" --db "$1" ingest "$big" >/dev/null &&
		"$KASI" --db "$1" schedule --period 2026-10 >/dev/null &&
		{ "$KASI" --db "$1" reconcile --period 2026-10 >/dev/null || [ $? = 1 ]; }
}
dump() {
	sql "$1" "SELECT provider_id, through, collections, collected, reversals, reversed, fees, brought_forward, net FROM settlement_batches ORDER BY batch_id;
		SELECT count(*), sum(amount), sum(fee), sum(net), sum(fact_id % 1000003) FROM settlement_lines;
		SELECT batch_id, reference, amount FROM payouts ORDER BY payout_id" | sha256sum | cut -c1-16
}
state() { sql "$1" "SELECT count(*) FROM settlements"; }

clean=$tmp/clean.db
check "a store with $rows collections to settle" make_store "$clean"
start=$(date +%s%N)
"$KASI" --db "$clean" settle --through 2026-10-31 >/dev/null
end=$(date +%s%N)
want=$(dump "$clean")
ms=$(((end - start) / 1000000))
check "a clean settlement makes 4 batches" test "$(sql "$clean" 'SELECT count(*) FROM settlement_batches')" = 4
echo "# a clean settle of $(sql "$clean" 'SELECT count(*) FROM settlement_lines') lines took ${ms} ms; killing at $kills points across it"

db=$tmp/killed.db
make_store "$db"
partial=0 corrupt=0
for ((k = 1; k <= kills; k++)); do
	"$KASI" --db "$db" settle --through 2026-10-31 >/dev/null 2>&1 &
	pid=$!
	sleep "$(awk -v ms="$ms" -v k="$k" -v n="$kills" 'BEGIN { printf "%.3f", ms * (0.05 + 1.3 * (k - 1) / (n - 1)) / 1000 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ "$(sql "$db" 'PRAGMA integrity_check')" = ok ] || corrupt=$((corrupt + 1))
	if [ "$(state "$db")" = 1 ]; then
		[ "$(dump "$db")" = "$want" ] || partial=$((partial + 1))
	elif [ "$(sql "$db" 'SELECT count(*) FROM settlement_lines')" != 0 ]; then
		partial=$((partial + 1))
	fi
done
check "the store is intact after each of $kills kills" test "$corrupt" -eq 0
check "after each kill it holds the whole settlement or none of it" test "$partial" -eq 0
kasi --db "$db" settle --through 2026-10-31
check "the run after the kills finishes the work (exit $status)" test "$status" -eq 0
check "and leaves exactly the clean run's batches, lines and payouts" test "$(dump "$db")" = "$want"
check "no payout reference is given twice" \
	test "$(sql "$db" 'SELECT count(DISTINCT reference) = count(*) FROM payouts')" = 1

echo "1..$tap_n"
