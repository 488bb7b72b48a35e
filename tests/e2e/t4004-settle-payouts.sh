#!/usr/bin/env bash
# Payout regressions, each as a tester found money paid twice, stranded or
# sent to the wrong account with exit 0:
#   - a payout confirmed paid after its rejection was carried into a later
#     batch was counted twice, and every settlement after failed to balance;
#   - confirmations in another order (a rejection then a completion; an
#     in-progress answer after a final one) changed a final state;
#   - a rejected payout was never paid again when its provider had no new
#     money;
#   - a mismatched payout dropped the difference;
#   - a rejected payout's exception put 0.00 at stake, not its amount;
#   - `report settlement` wrote instructions again for payouts already
#     paid, rejected or carried, and with today's account, not the one the
#     batch was made for;
#   - instructions were written without the house's account when the
#     payout configuration was missing, and a FIFO hung the report.
# Provider A (PROVA) takes 250 bps: 100.00 pays 97.50.
. "$(dirname "$0")/lib.sh"

export KASI_NOW=2026-11-30T08:00:00+02:00
sh='transactionId,transactionTypeId,clientId,collectionId,transactionDate,amount,reference,generationTypeId,cycleDate,originalTransactionId,unpaidReasonDescription'
ph='remoteReferenceNo,status,statusDate,statusTime,amountPaidOut,responseCode,responseDescription'
conf=$tmp/house/payouts.conf # not beside the stores: given by $KASI_PAYOUTS
mkdir "$tmp/house"
payouts_conf "$conf"

fresh() { # fresh NAME: PROVA's 100.00 of 2 October settled: payout KP000000000001 of 97.50
	db=$tmp/$1.db
	export KASI_DB=$db
	printf '%s\n' 'product_code,product_name,provider_code,provider_name,fee_bps,fee_fixed,payout_bank_id,payout_account' \
		'PA,Plan A,PROVA,Provider A,250,0.00,64,111111111' \
		'PB,Plan B,PROVB,Provider B,100,1.00,65,222222222' >"$tmp/products.csv"
	printf '%s\n' 'policy_number,product_code,customer_name,id_number,premium,channel,collection_ref,easypay_code,debit_day,status,start_date,cancel_date' \
		'TP-1,PA,One,,100.00,softycomp,2001,,1,active,2025-01-01,' >"$tmp/policies.csv"
	"$KASI" init >/dev/null
	"$KASI" load products "$tmp/products.csv" >/dev/null
	"$KASI" load policies "$tmp/policies.csv" >/dev/null
	"$KASI" schedule --period 2026-10 >/dev/null
	collect 20261002 5001 100.00
	"$KASI" settle --through 2026-10-02 >/dev/null
}
collect() { # collect YYYYMMDD ID AMOUNT: TP-1 pays, ingested and reconciled
	printf '%s\n' "$sh" "$2,4,9,2001,${1:0:4}-${1:4:2}-${1:6:2}T00:00:00,-$3,X,1,${1:0:4}-${1:4:2}-${1:6:2}T00:00:00,," \
		>"$tmp/softycomp_transactions_$1.csv"
	"$KASI" ingest "$tmp/softycomp_transactions_$1.csv" >/dev/null
	"$KASI" reconcile --period 2026-10 >/dev/null
}
answer() { # answer YYYYMMDD ROW...: a payouts file from the switch, ingested ($out, $status)
	local f=$tmp/collexia_payouts_$1.csv
	shift
	printf '%s\n' "$ph" "$@" >"$f"
	kasi ingest "$f"
}
state() { sql "$db" "SELECT state || ' ' || ifnull(amount_paid, '-') FROM payouts WHERE reference = '$1'"; }
batch() { # batch THROUGH: "collections collected fees brought_forward net" of PROVA's batch
	sql "$db" "SELECT collections || ' ' || collected || ' ' || fees || ' ' || brought_forward || ' ' || net
		FROM settlement_batches WHERE through = '$1'"
}
discrepancy() { sql "$db" "SELECT code || ': ' || detail FROM discrepancies WHERE code = '$1'"; }

# ---- a completion after the rejection was carried ------------------------------
fresh carried
answer 20261003 'KP000000000001,4,20261003,100000,0,RR04,Closed'
collect 20261004 5002 10.00
"$KASI" settle --through 2026-10-04 >/dev/null
check "the rejected 97.50 is brought into batch 2 (10.00 - 0.25 + 97.50), paid as KP000000000002" \
	test "$(batch 2026-10-04) $(sql "$db" "SELECT amount FROM payouts WHERE reference = 'KP000000000002'")" = "1 1000 25 9750 10725 10725"
answer 20261005 'KP000000000001,3,20261005,090000,97.50,0,Successful'
expect_status 1 "the switch then says KP000000000001 was paid: exit 1"
check "regression: its state does not change (it was turned to paid)" test "$(state KP000000000001)" = "rejected 0"
check "PAYOUT_CONFLICT, an error, says it is refused and may be paid twice" \
	test -n "$(sql "$db" "SELECT 1 FROM discrepancies WHERE code = 'PAYOUT_CONFLICT' AND severity = 'error' AND detail LIKE
		'payout KP000000000001 was rejected on 2026-10-03, and the 97.50 it left owed was brought forward into batch 2; this answer (status 3 on 2026-10-05, 97.50 paid out) says paid: not applied%if the switch did pay it, the provider is paid twice: recover it'")"
answer 20261006 'KP000000000001,6,20261006,090000,0,,'
check "an in-progress answer after the carry is refused too" \
	test "$(state KP000000000001) $(sql "$db" "SELECT count(*) FROM discrepancies WHERE code = 'PAYOUT_CONFLICT'")" = "rejected 0 2"
collect 20261007 5003 20.00
kasi settle --through 2026-10-07
expect_status 0 "regression: the next settlement balances (it failed 'does not balance' for good)"
check "and brings nothing forward twice (20.00 - 0.50)" test "$(batch 2026-10-07)" = "1 2000 50 0 1950"

# A store of version 6 (the last before settlement was put right) that the bug left so (the carried payout turned to
# paid; no balance for good) is put right by its migration; its payouts
# are given their provider's account as the migration finds it.
fresh migrated
answer 20261003 'KP000000000001,4,20261003,100000,0,RR04,Closed'
collect 20261004 5002 10.00
"$KASI" settle --through 2026-10-04 >/dev/null
sql "$db" "DROP INDEX settlement_lines_reversals; ALTER TABLE payouts DROP COLUMN to_bank_id;
	ALTER TABLE payouts DROP COLUMN to_account; DROP TABLE exception_resolutions;
	DROP TABLE exceptions; ALTER TABLE discrepancies DROP COLUMN subject; DROP TABLE debit_results;
	ALTER TABLE periods DROP COLUMN debit_results;
	DROP INDEX files_applied_once; ALTER TABLE files DROP COLUMN voided;
	CREATE UNIQUE INDEX files_applied_once ON files(sha256) WHERE outcome = 'applied' AND rows > 0;
	DROP INDEX facts_counted_once; ALTER TABLE facts DROP COLUMN withdrawn;
	CREATE UNIQUE INDEX facts_counted_once ON facts(channel, fact_key) WHERE duplicate_of IS NULL;
	ALTER TABLE periods DROP COLUMN reconciled_through_void; DROP TABLE voids; DROP TABLE uncounted_keys; DROP TABLE void_repeats; DROP INDEX fact_keys_by_fact;
	ALTER TABLE policies DROP COLUMN created_by; ALTER TABLE policy_changes DROP COLUMN changed_by; DROP INDEX files_by_content;
	PRAGMA user_version = 6;
	UPDATE payouts SET state = 'paid', amount_paid = 9750 WHERE reference = 'KP000000000001'"
kasi init
expect_status 0 "a version-6 store is migrated"
collect 20261007 5003 20.00
check "the carried payout that an answer after its carry made paid is rejected again" \
	test "$(state KP000000000001)" = "rejected 9750"
check "its payouts keep their provider's account" \
	test "$(sql "$db" "SELECT group_concat(to_bank_id || ' ' || to_account) FROM payouts")" = "64 111111111,64 111111111"
kasi settle --through 2026-10-07
expect_status 0 "and it balances again: the next settlement is made"

# ---- the order of the answers ----------------------------------------------------
fresh order1
answer 20261003 'KP000000000001,4,20261003,100000,0,RR04,Closed' 'KP000000000001,3,20261003,110000,97.50,0,Successful'
check "regression: a rejection then a completion: the first final answer stands (rejected)" \
	test "$(state KP000000000001)" = "rejected 0"
expect_out "PAYOUT_CONFLICT" "and the contradiction is flagged, not resolved by row order"
fresh order2
answer 20261003 'KP000000000001,3,20261003,110000,97.00,0,Successful' 'KP000000000001,6,20261003,120000,0,,'
check "regression: a mismatch then a later in-progress answer stays a mismatch, with what it paid" \
	test "$(state KP000000000001)" = "mismatch 9700"
fresh order3
answer 20261003 'KP000000000001,3,20261003,110000,97.50,0,Successful'
answer 20261004 'KP000000000001,6,20261004,090000,0,,'
check "regression: an in-progress answer dated after a completion does not undo it" \
	test "$(state KP000000000001)" = "paid 9750"
fresh order4
answer 20261003 'KP000000000001,6,20261003,090000,0,,' 'KP000000000001,1,20261003,080000,0,,'
check "before a final answer, the latest in-progress one is the state" \
	test "$(sql "$db" "SELECT state || ' ' || state_time FROM payouts")" = "in_progress 32400"

# ---- a rejected payout waits for the provider's next batch with lines ---------
# A provider with nothing to settle gets no batch: what a rejected payout
# left owed is brought forward into its next batch that has lines.
fresh stranded
answer 20261003 'KP000000000001,4,20261003,100000,0,RR04,Closed'
kasi settle --through 2026-10-05
expect_status 0 "settle with no new money"
check "regression: PROVA, owed its rejected 97.50 but with no new line, gets no batch (it got one without lines)" \
	test -z "$(batch 2026-10-05)"
check "the rejected payout is not carried yet" \
	test "$(sql "$db" "SELECT ifnull(carried_into, '-') FROM payouts")" = "-"
expect_err "PROVA is owed 97.50 that its payouts did not pay (rejected, or paid short); nothing of its is settled this time, so no batch is made for it and the money is carried into its next batch" \
	"regression: the settlement says what waits (it said only 0 batches)"
kasi report summary --period 2026-10 --out "$tmp/stranded.html"
check "regression: the summary page says the rejected payout is owed still (it said only 'rejected')" \
	grep -q "KP000000000001 rejected: owed, to be carried into the provider&#39;s next batch\|KP000000000001 rejected: owed, to be carried into the provider's next batch" "$tmp/stranded.html"
collect 20261006 5002 10.00
kasi settle --through 2026-10-06
check "its next batch with lines brings the 97.50 forward: 10.00 - 0.25 + 97.50 = 107.25" \
	test "$(batch 2026-10-06)" = "1 1000 25 9750 10725"
check "paid under a new reference; the rejected payout is carried into that batch" \
	test "$(sql "$db" "SELECT group_concat(reference || ' ' || amount || ' ' || ifnull(carried_into, '-'), ', ') FROM payouts")" = \
	"KP000000000001 9750 2, KP000000000002 10725 -"
kasi settle --through 2026-10-07
check "once: the next settlement has nothing to pay again" test -z "$(batch 2026-10-07)"

# A negative balance carried is set against what a payout left owed: the
# 100.00 is clawed back through 3 October (-97.50, carried forward), then
# KP000000000001 (97.50) is rejected. Owed 97.50 less 97.50 carried: nothing
# to pay, no batch; the balance waits for the next batch with lines.
fresh waits
printf '%s\n' "$sh" '5101,7,9,2001,2026-10-03T00:00:00,-100.00,X,1,2026-10-02T00:00:00,5001,Account Closed' \
	>"$tmp/softycomp_transactions_20261003.csv"
"$KASI" ingest "$tmp/softycomp_transactions_20261003.csv" >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null
"$KASI" settle --through 2026-10-03 >/dev/null
answer 20261004 'KP000000000001,4,20261004,100000,0,RR04,Closed'
kasi settle --through 2026-10-05
check "owed 97.50 against -97.50 carried: no batch" test -z "$(batch 2026-10-05)"
collect 20261006 5002 10.00
kasi settle --through 2026-10-06
check "the next batch with lines brings both forward (0.00): net 9.75" test "$(batch 2026-10-06)" = "1 1000 25 0 975"

# ---- a mismatch's difference ---------------------------------------------------------
fresh short
answer 20261003 'KP000000000001,3,20261003,100000,97.49,0,Successful'
expect_out "PAYOUT_MISMATCH" "paid 97.49 of 97.50: a mismatch"
check "the discrepancy shows both amounts and the difference" \
	test "$(discrepancy PAYOUT_MISMATCH)" = "PAYOUT_MISMATCH: payout KP000000000001: 97.49 paid out, 97.50 instructed: 0.01 short; owed still, and brought into the provider's next batch"
kasi status
expect_out "payout KP000000000001 mismatch: paid 97.49 of 97.50 on 2026-10-03, 0.01 short: to be carried into the provider's next batch" \
	"status shows what it paid and the difference"
collect 20261005 5002 10.00
kasi settle --through 2026-10-05
check "regression: the 0.01 short is paid, not dropped: brought into the next batch (10.00 - 0.25 + 0.01)" \
	test "$(batch 2026-10-05)" = "1 1000 25 1 976"
fresh over
answer 20261003 'KP000000000001,3,20261003,100000,98.00,0,Successful'
collect 20261004 5002 10.00
kasi settle --through 2026-10-04
check "paid 0.50 over: taken from the next batch (10.00 - 0.25 - 0.50)" test "$(batch 2026-10-04)" = "1 1000 25 -50 925"

# ---- the money a rejected payout puts at stake ----------------------------------------
# A rejection pays out 0.00 of the 97.50 instructed: the 97.50 is at stake
# (it was 0.00, the answer's amountPaidOut) in the list, its JSON, kasi
# status and the summary page; a mismatch's stays the difference (0.01).
fresh stake
answer 20261003 'KP000000000001,4,20261003,100000,0,RR04,Closed'
"$KASI" reconcile --period 2026-10 >/dev/null
kasi exceptions
check "regression: PAYOUT_REJECTED puts the 97.50 instructed at stake (it put 0.00)" \
	grep -qE '^ +[0-9]+ +2026-10 +PAYOUT_REJECTED .* 97\.50  0-1d ' <<<"$out"
expect_out "1 listed, 97.50 at stake" "and the total counts it"
kasi exceptions --json
check "--json: at_stake 97.50, the list's too" \
	test "$(jq -r '"\(.exceptions[] | select(.code == "PAYOUT_REJECTED") | .at_stake) \(.at_stake)"' <<<"$out")" = "97.50 97.50"
kasi status --json
check "kasi status: 97.50 open at stake" test "$(jq -r .exceptions.open_at_stake <<<"$out")" = 97.50
kasi report summary --period 2026-10 --out "$tmp/stake.html"
check "the summary page: 97.50 at stake" grep -q 'id="open-at-stake">97.50<' "$tmp/stake.html"
fresh stake2
answer 20261003 'KP000000000001,3,20261003,100000,97.49,0,Successful'
kasi exceptions --json
check "a mismatch still puts the difference at stake (0.01)" \
	test "$(jq -r '.exceptions[] | select(.code == "PAYOUT_MISMATCH") | .at_stake' <<<"$out")" = 0.01

# A store of version 10 gave a rejected payout's exception 0.00: migrated,
# it is given the 97.50, and a resolution made on the 0.00 still holds.
fresh stake10
answer 20261003 'KP000000000001,4,20261003,100000,0,RR04,Closed'
x=$(sql "$db" "SELECT exception_id FROM exceptions WHERE code = 'PAYOUT_REJECTED'")
"$KASI" exceptions resolve "$x" --note "asked the provider for a new account" >/dev/null
sql "$db" "UPDATE exceptions SET amount = 0; UPDATE exception_resolutions SET amount = 0;
	ALTER TABLE policies DROP COLUMN created_by; ALTER TABLE policy_changes DROP COLUMN changed_by; DROP INDEX files_by_content; ALTER TABLE exception_resolutions DROP COLUMN reopened;
	PRAGMA user_version = 10"
kasi init
expect_status 0 "a version-10 store is migrated"
check "regression: its rejected payout's exception is given the 97.50 instructed" \
	test "$(sql "$db" "SELECT amount FROM exceptions WHERE exception_id = $x")" = 9750
kasi exceptions --all --json
check "and stays resolved" \
	test "$(jq -r ".exceptions[] | select(.id == $x) | .status + \" \" + .at_stake" <<<"$out")" = "resolved 97.50"

# ---- instructions: only for payouts still instructed, to the account of then ------
fresh instr
mkdir "$tmp/r1" "$tmp/r2" "$tmp/r3"
KASI_PAYOUTS=$conf kasi report settlement --through 2026-10-02 --out "$tmp/r1/s.csv"
expect_status 0 "report settlement: written"
check "an instructed payout gets its instruction" test -f "$tmp/r1/payout_KP000000000001.json"
answer 20261003 'KP000000000001,4,20261003,100000,0,RR04,Closed'
sed -i 's/PROVA,Provider A,250,0.00,64,111111111/PROVA,Provider A,250,0.00,70,999999999/' "$tmp/products.csv"
"$KASI" load products "$tmp/products.csv" >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null
KASI_PAYOUTS=$conf kasi report settlement --through 2026-10-02 --out "$tmp/r2/s.csv"
check "regression: a rejected payout's instruction is not written again" test ! -e "$tmp/r2/payout_KP000000000001.json"
expect_out "payout KP000000000001 to PROVA: 97.50 (rejected): no instruction written" "and the report says so"
collect 20261004 5002 10.00
"$KASI" settle --through 2026-10-04 >/dev/null
KASI_PAYOUTS=$conf kasi report settlement --through 2026-10-04 --out "$tmp/r3/s.csv"
got=$(jq -r '"\(.remoteReferenceNo) \(.transactionAmount) \(.toBanId) \(.toAccountNo)"' "$tmp/r3/payout_KP000000000002.json")
check "the payout that carries it (10.00 - 0.25 + 97.50) is instructed to the account loaded before its batch ($got)" \
	test "$got" = "KP000000000002 107.25 70 999999999"
sed -i 's/PROVA,Provider A,250,0.00,70,999999999/PROVA,Provider A,250,0.00,71,888888888/' "$tmp/products.csv"
"$KASI" load products "$tmp/products.csv" >/dev/null
rm "$tmp/r3/payout_KP000000000002.json"
KASI_PAYOUTS=$conf kasi report settlement --through 2026-10-04 --out "$tmp/r3/s.csv"
got=$(jq -r '"\(.toBanId) \(.toAccountNo)"' "$tmp/r3/payout_KP000000000002.json")
check "regression: written again after another account is loaded, it keeps its own ($got)" test "$got" = "70 999999999"
answer 20261005 'KP000000000002,3,20261005,100000,107.25,0,Successful'
mkdir "$tmp/r4"
kasi report settlement --through 2026-10-04 --out "$tmp/r4/s.csv"
expect_status 0 "a settlement with nothing to instruct needs no payout configuration"
check "regression: a paid payout's instruction is not written again" test ! -e "$tmp/r4/payout_KP000000000002.json"

# ---- no instruction without the house's account ---------------------------------
fresh house
mkdir "$tmp/h1"
KASI_PAYOUTS=$tmp/none.conf kasi report settlement --through 2026-10-02 --out "$tmp/h1/s.csv"
expect_status 78 "a \$KASI_PAYOUTS that names no file: exit 78"
expect_err "cannot open '$tmp/none.conf'" "naming the path"
check "nothing is written: no report, no instruction" test -z "$(ls "$tmp/h1")"
kasi report settlement --through 2026-10-02 --out "$tmp/h1/s.csv"
expect_status 78 "regression: no payouts.conf beside the store: exit 78 (it wrote empty house fields, exit 0)"
mkfifo "$tmp/fifo.conf"
KASI_PAYOUTS=$tmp/fifo.conf timeout 10 "$KASI" report settlement --through 2026-10-02 --out "$tmp/h1/s.csv" 2>"$tmp/fifo.err"
check "regression: a named pipe is refused at once, exit 78 (it hung)" test $? = 78
check "saying it is a named pipe" grep -q "is a named pipe, not a regular file" "$tmp/fifo.err"
KASI_PAYOUTS=$tmp kasi report settlement --through 2026-10-02 --out "$tmp/h1/s.csv"
expect_status 78 "regression: a directory is refused, exit 78 (it gave exit 0 and empty fields)"
expect_err "is a directory" "saying so"
grep -v fromAccountNo "$conf" >"$tmp/partial.conf"
KASI_PAYOUTS=$tmp/partial.conf kasi report settlement --through 2026-10-02 --out "$tmp/h1/s.csv"
expect_status 78 "a configuration without the house's account number: exit 78"
expect_err "partial.conf: no fromAccountNo" "naming the key"
check "still nothing written" test -z "$(ls "$tmp/h1")"
# (regression: a line with no '=' was "FILE: line N: expected key =
# value", unlike every other message's FILE:LINE)
{ cat "$conf"; echo "remoteGid 39"; } >"$tmp/noeq.conf"
KASI_PAYOUTS=$tmp/noeq.conf kasi report settlement --through 2026-10-02 --out "$tmp/h1/s.csv"
expect_status 78 "a line with no '=': exit 78"
expect_err "$tmp/noeq.conf:$(wc -l <"$tmp/noeq.conf"): expected key = value" "naming the file and the line as FILE:LINE"
KASI_PAYOUTS=$conf kasi report settlement --through 2026-10-02 --out "$tmp/h1/s.csv"
got=$(jq -r '"\(.fromAccountNo) \(.fromBanId) \(.remoteGid)"' "$tmp/h1/payout_KP000000000001.json")
check "with it, the instruction carries the house's account ($got)" test "$got" = "1234567 65 39"

# Paid too much (100.00 for 97.50), with nothing to settle: said too, and
# the 2.50 is taken off the next batch with lines.
fresh overpaid
answer 20261003 'KP000000000001,3,20261003,110000,100.00,0,Successful'
kasi settle --through 2026-10-05
check "regression: a payout paid too much, with no new line: no batch" test -z "$(batch 2026-10-05)"
expect_err "PROVA was paid 2.50 more than its payouts were for; nothing of its is settled this time, so no batch is made for it and the difference is taken off its next batch" \
	"regression: the settlement says so (it said nothing)"
collect 20261006 5002 10.00
kasi settle --through 2026-10-06
check "its next batch takes the 2.50 off: 10.00 - 0.25 - 2.50 = 7.25 ($(batch 2026-10-06))" \
	test "$(batch 2026-10-06)" = "1 1000 25 -250 725"

echo "1..$tap_n"
