#!/usr/bin/env bash
# A fifth channel is a schema file and nothing else. Debitron (a bureau that
# exists only here, tests/e2e/channels/debitron_debits.schema) sends the
# same kind of data as Softy Comp — collections, and returns that reverse
# them by the original's id or by mandate and run date — with other column
# names, other codes, positive amounts and other reason texts. The same
# month told by each channel must give the same outcomes, and the same
# discrepancies but for the channel's own names.
. "$(dirname "$0")/lib.sh"

# The schemas: the shipped ones, Debitron's, and the registers and reason
# mapping told of the new channel (data, as an operator would add it).
schemas=$tmp/schemas
mkdir -p "$schemas"
cp "$KASI_ROOT"/schemas/* "$schemas/"
cp "$KASI_ROOT/tests/e2e/channels/debitron_debits.schema" "$schemas/"
sed -i -e 's/^\tvalues softycomp|collexia|easypay$/\tvalues softycomp|collexia|easypay|debitron/' \
	-e 's/when channel=softycomp|collexia required/when channel=softycomp|collexia|debitron required/' \
	-e 's/^\twhen channel=collexia pattern \(.*\)$/\twhen channel=collexia pattern \1\n\twhen channel=debitron pattern ^M[0-9]{4}$/' \
	"$schemas/policies.schema"
sed -i 's/^\tvalues softycomp|collexia|easypay|mobilemoney$/\tvalues softycomp|collexia|easypay|mobilemoney|debitron/' \
	"$schemas/unpaid_reasons.schema"
printf '%s\n' "debitron,Not enough money,INSUFFICIENT_FUNDS,,Debitron's words" \
	"debitron,Closed,ACCOUNT_CLOSED,,Debitron's words" >>"$schemas/unpaid_reasons.csv"
kasi --schemas "$schemas" validate "$schemas/unpaid_reasons.csv"
expect_status 0 "the schemas load, with the new channel in the reason mapping"

# (regression: a debits schema with a reversal rule and a mapped
# original_id but no 'link' was taken, and every return then became an
# ORPHAN_REVERSAL "names no original", though it named one) Refused at
# the reversal's rule, as every command loads every schema.
mkdir -p "$tmp/nolink"
cp "$schemas"/* "$tmp/nolink/"
sed -i '/^link /d' "$tmp/nolink/debitron_debits.schema"
rule=$(grep -n '^kind reversal' "$tmp/nolink/debitron_debits.schema" | cut -d: -f1)
kasi --schemas "$tmp/nolink" validate "$schemas/unpaid_reasons.csv"
expect_status 78 "regression: a debits flow's reversals with no link: exit 78"
expect_err "debitron_debits.schema:$rule: kind reversal: a reversal finds its original only through a 'link' directive: add 'link original_id' (original_id is mapped)" \
	"naming the file, the line of the reversal rule, and the link to add"

# night NAME CHANNEL REF_PREFIX FILES...: a store of four policies of
# CHANNEL, the files ingested in order, October reconciled and reported.
night() {
	local name=$1 channel=$2 prefix=$3 db=$tmp/$1.db f
	shift 3
	{
		echo "policy_number,product_code,customer_name,id_number,premium,channel,collection_ref,easypay_code,debit_day,status,start_date,cancel_date"
		for n in 1 2 3 4; do
			echo "TP-000$n,FUNERAL_01,Customer $n,,100.00,$channel,${prefix}100$n,,1,active,2025-01-01,"
		done
	} >"$tmp/policies.csv"
	"$KASI" --db "$db" --schemas "$schemas" init >/dev/null
	"$KASI" --db "$db" --schemas "$schemas" load products "$fixtures/world/products.csv" >/dev/null
	"$KASI" --db "$db" --schemas "$schemas" load policies "$tmp/policies.csv" >/dev/null ||
		not_ok "$name: the policies load"
	for f in "$@"; do
		kasi --db "$db" --schemas "$schemas" ingest "$f"
		expect_status 0 "$name: $(basename "$f") is applied"
	done
	"$KASI" --db "$db" --schemas "$schemas" schedule --period 2026-10 >/dev/null
	kasi --db "$db" --schemas "$schemas" reconcile --period 2026-10
	expect_status 1 "$name: October reconciles, with a discrepancy"
	"$KASI" --db "$db" --schemas "$schemas" report outcomes --period 2026-10 --out "$tmp/$name-outcomes.csv" >/dev/null
	"$KASI" --db "$db" --schemas "$schemas" report discrepancies --period 2026-10 --out "$tmp/$name-discrepancies.csv" >/dev/null
}

# Softy Comp: a collection each on 1 October (and a credit note, type 9);
# on the 6th an unpaid naming its original, and one naming an original
# that does not exist; on 3 November an unpaid linked by collectionId and
# cycleDate.
s=$tmp/softy
mkdir -p "$s"
sh='transactionId,transactionTypeId,clientId,collectionId,transactionDate,amount,reference,generationTypeId,cycleDate,originalTransactionId,unpaidReasonDescription'
printf '%s\n' "$sh" \
	"5000001,4,9,1001,2026-10-01T00:00:00,-100.00,X,1,2026-10-01T00:00:00,," \
	"5000002,4,9,1002,2026-10-01T00:00:00,-100.00,X,1,2026-10-01T00:00:00,," \
	"5000003,4,9,1003,2026-10-01T00:00:00,-100.00,X,1,2026-10-01T00:00:00,," \
	"5000004,4,9,1004,2026-10-01T00:00:00,-60.00,X,1,2026-10-01T00:00:00,," \
	"5000005,9,9,1001,2026-10-01T00:00:00,-5.00,X,1,2026-10-01T00:00:00,," \
	>"$s/softycomp_transactions_20261001.csv"
printf '%s\n' "$sh" \
	"5000101,7,9,1002,2026-10-06T00:00:00,-100.00,X,1,2026-10-01T00:00:00,5000002,PAAF Insufficient Funds" \
	"5000102,7,9,1004,2026-10-06T00:00:00,-60.00,X,1,2026-10-01T00:00:00,5999999,Account Closed" \
	>"$s/softycomp_transactions_20261006.csv"
printf '%s\n' "$sh" \
	"5000201,7,9,1003,2026-11-03T00:00:00,-100.00,X,1,2026-10-01T00:00:00,,Account Closed" \
	>"$s/softycomp_transactions_20261103.csv"

# The same month from Debitron: DR collected, RD returned (positive
# amounts), NT a note; returns name the original by `returns`, else by
# mandate and run date.
d=$tmp/debitron
mkdir -p "$d"
dh='ref,code,mandate,value_date,value,run,returns,why'
printf '%s\n' "$dh" \
	"DT000001,DR,M1001,2026-10-01,100.00,2026-10-01,," \
	"DT000002,DR,M1002,2026-10-01,100.00,2026-10-01,," \
	"DT000003,DR,M1003,2026-10-01,100.00,2026-10-01,," \
	"DT000004,DR,M1004,2026-10-01,60.00,2026-10-01,," \
	"DT000005,NT,M1001,2026-10-01,5.00,2026-10-01,," \
	>"$d/debitron_debits_20261001.csv"
printf '%s\n' "$dh" \
	"DT000101,RD,M1002,2026-10-06,100.00,2026-10-01,DT000002,Not enough money" \
	"DT000102,RD,M1004,2026-10-06,60.00,2026-10-01,DT999999,Closed" \
	>"$d/debitron_debits_20261006.csv"
printf '%s\n' "$dh" \
	"DT000201,RD,M1003,2026-11-03,100.00,2026-10-01,,Closed" \
	>"$d/debitron_debits_20261103.csv"

night softy softycomp "" "$s"/softycomp_transactions_2026100{1,6}.csv "$s/softycomp_transactions_20261103.csv"
night debitron debitron M "$d"/debitron_debits_2026100{1,6}.csv "$d/debitron_debits_20261103.csv"

# Worked out by hand: TP-0001 paid; TP-0002 collected and returned with
# its original named (INSUFFICIENT_FUNDS); TP-0003 returned in November,
# linked by mandate and run date (ACCOUNT_CLOSED); TP-0004's return names
# an original that does not exist: an orphan, reversing nothing.
cat >"$tmp/want.csv" <<'CSV'
policy_number,product_code,period,status,expected,collected,shortfall,pending,reason
TP-0001,FUNERAL_01,2026-10,PAID_FULL,100.00,100.00,0.00,0.00,
TP-0002,FUNERAL_01,2026-10,UNPAID,100.00,0.00,100.00,0.00,INSUFFICIENT_FUNDS
TP-0003,FUNERAL_01,2026-10,UNPAID,100.00,0.00,100.00,0.00,ACCOUNT_CLOSED
TP-0004,FUNERAL_01,2026-10,PAID_PARTIAL,100.00,60.00,40.00,0.00,NOT_RECEIVED
CSV
check "Softy Comp's month gives the outcomes worked out by hand" cmp -s "$tmp/want.csv" "$tmp/softy-outcomes.csv"
if cmp -s "$tmp/softy-outcomes.csv" "$tmp/debitron-outcomes.csv"; then
	ok "Debitron's month gives exactly the same outcomes"
else
	not_ok "Debitron's month gives exactly the same outcomes"
	diff "$tmp/softy-outcomes.csv" "$tmp/debitron-outcomes.csv" | diag
fi
# code, severity, row, reference, expected (the original's id), actual
cols() { cut -d, -f1,2,5,6,9 "$1"; }
if [ "$(cols "$tmp/softy-discrepancies.csv")" = "$(cols "$tmp/debitron-discrepancies.csv" | sed 's/DT999999/5999999/')" ]; then
	ok "and the same discrepancy: an ORPHAN_REVERSAL of TP-0004"
else
	not_ok "and the same discrepancy: an ORPHAN_REVERSAL of TP-0004"
	diff <(cols "$tmp/softy-discrepancies.csv") <(cols "$tmp/debitron-discrepancies.csv") | diag
fi
check "Debitron's orphan is named in its own words" \
	grep -q "ORPHAN_REVERSAL,error,debitron,debitron_debits_20261006.csv,3,TP-0004,DT000102,DT999999,60.00,\"return DT000102 names original DT999999" \
	"$tmp/debitron-discrepancies.csv"

# explain tells Debitron's story in Debitron's words.
kasi --db "$tmp/debitron.db" --schemas "$schemas" explain TP-0003 --period 2026-10
expect_out "return: reverses DT000003 (Closed)" "explain: the November return, linked by mandate and run date"
expect_out "reason ACCOUNT_CLOSED (the channel said: Closed)" "and its reason, raw and normalised"

# Debit-order health knows Debitron by its schema's flow, as Softy Comp:
# 4 collections, 2 returned (TP-0002, TP-0003; TP-0004's is an orphan).
kasi --db "$tmp/softy.db" --schemas "$schemas" monitor --period 2026-10
softy_line=$(grep -E '^  softycomp ' <<<"$out" | sed 's/^  softycomp /  CHANNEL /')
kasi --db "$tmp/debitron.db" --schemas "$schemas" monitor --period 2026-10
check "monitor counts Debitron's debits as Softy Comp's: 4 instructions, 2 unpaids" \
	test "$(grep -E '^  debitron ' <<<"$out" | sed 's/^  debitron  /  CHANNEL /' | tr -s ' ')" = "$(tr -s ' ' <<<"$softy_line")"
check "(4 instructions, 2 unpaids, 50.00%)" grep -qE '^  debitron +OLDMUTUAL +4 +2 +50\.00% ' <<<"$out"

# (regression: with 'link reference cycle_date' alone, a return with no
# run date was said to name "no original and no cycle date", though it
# named one, by a column this schema does not link by) The orphan says
# what the row lacks of the way its schema links.
pair=$tmp/pair-only
mkdir -p "$pair" "$tmp/pair-files"
cp "$schemas"/* "$pair/"
sed -i '/^link original_id$/d' "$pair/debitron_debits.schema"
printf '%s\n' "$dh" \
	"DT000001,DR,M1001,2026-10-01,100.00,2026-10-01,," \
	"DT000002,DR,M1002,2026-10-01,100.00,2026-10-01,," \
	"DT000003,DR,M1003,2026-10-01,100.00,2026-10-01,," \
	"DT000004,DR,M1004,2026-10-01,100.00,2026-10-01,," \
	>"$tmp/pair-files/debitron_debits_20261001.csv"
printf '%s\n' "$dh" "DT000101,RD,M1002,2026-10-06,100.00,,DT000002,Not enough money" \
	>"$tmp/pair-files/debitron_debits_20261006.csv"
schemas=$pair night pair-only debitron M "$tmp"/pair-files/debitron_debits_2026100{1,6}.csv
check "regression: the return is an orphan that says it has no run date to be linked by" \
	grep -q ',return DT000101 has no run: nothing links it to its original,' "$tmp/pair-only-discrepancies.csv"
if grep -q 'names no' "$tmp/pair-only-discrepancies.csv"; then
	not_ok "and not that it names no original (it names one)"
else
	ok "and not that it names no original (it names one)"
fi


# (regression: the words of an orphan were put together in a 256-byte
# buffer, and a finding's in 512: a schema's long column names ran past
# the first and were cut by the second) A return that names no original
# and has no run date, under column names of 300 characters each: the
# discrepancy says both names whole.
long=$tmp/long-names
mkdir -p "$long" "$tmp/long-files"
cp "$schemas"/* "$long/"
returns_col=returns_$(printf 'r%.0s' $(seq 292))
run_col=run_$(printf 'd%.0s' $(seq 296))
sed -i -e "s/^column returns$/column $returns_col/" -e "s/^map original_id returns$/map original_id $returns_col/" \
	-e "s/^column run$/column $run_col/" -e "s/^map cycle_date run$/map cycle_date $run_col/" \
	"$long/debitron_debits.schema"
lh="ref,code,mandate,value_date,value,$run_col,$returns_col,why"
printf '%s\n' "$lh" "DT000001,DR,M1001,2026-10-01,100.00,2026-10-01,," \
	"DT000002,DR,M1002,2026-10-01,100.00,2026-10-01,," \
	"DT000003,DR,M1003,2026-10-01,100.00,2026-10-01,," \
	"DT000004,DR,M1004,2026-10-01,100.00,2026-10-01,," \
	>"$tmp/long-files/debitron_debits_20261001.csv"
printf '%s\n' "$lh" "DT000101,RD,M1002,2026-10-06,100.00,,,Not enough money" \
	>"$tmp/long-files/debitron_debits_20261006.csv"
schemas=$long night long-names debitron M "$tmp"/long-files/debitron_debits_2026100{1,6}.csv
check "regression: an orphan under 300-character column names is told whole" \
	grep -qF ",return DT000101 names no $returns_col and has no $run_col: nothing links it to its original," \
	"$tmp/long-names-discrepancies.csv"

# (regression: the worklist's total counted a transaction's money once by
# its channel and transaction id cut to 511 bytes: two collections whose
# 603-character ids differ only at the end were one transaction, and one's
# money was dropped from the total at stake.) A schema whose ids and
# mandates may be long; two collections to mandates no policy has.
ids=$tmp/long-ids
mkdir -p "$ids" "$tmp/long-id-files"
cp "$schemas"/* "$ids/"
sed -i -e 's/pattern \^DT\[0-9\]{6}\$/pattern ^DT[0-9]{6,2000}$/' \
	-e 's/pattern \^M\[0-9\]{4}\$/pattern ^M[0-9]{4,2000}$/' "$ids/debitron_debits.schema"
zeros=$(printf '0%.0s' $(seq 600))
sevens=$(printf '7%.0s' $(seq 600))
printf '%s\n' "$dh" "DT${zeros}1,DR,M${sevens}1,2026-10-01,100.00,2026-10-01,," \
	"DT${zeros}2,DR,M${sevens}2,2026-10-01,50.00,2026-10-01,," \
	"DT000001,DR,M1001,2026-10-01,100.00,2026-10-01,," \
	"DT000002,DR,M1002,2026-10-01,100.00,2026-10-01,," \
	"DT000003,DR,M1003,2026-10-01,100.00,2026-10-01,," \
	"DT000004,DR,M1004,2026-10-01,100.00,2026-10-01,," \
	>"$tmp/long-id-files/debitron_debits_20261001.csv"
schemas=$ids night long-ids debitron M "$tmp/long-id-files/debitron_debits_20261001.csv"
kasi --db "$tmp/long-ids.db" --schemas "$ids" exceptions
check "two unknown references of 602 characters: two exceptions" \
	test "$(grep -c ' UNKNOWN_REFERENCE ' <<<"$out")" = 2
expect_out "2 open, 0 resolved, 0 cleared; 2 listed, 150.00 at stake" \
	"regression: two transactions whose long ids differ only at the end: 100.00 + 50.00 at stake"

# (regression: an OUT_OF_PERIOD's detail named the date column from a
# 160-byte buffer: a 300-character column name was cut to 159.) A row
# dated after its file's date, under a date column of 300 characters:
# the detail names the column whole.
late=$tmp/long-date
mkdir -p "$late" "$tmp/long-date-files"
cp "$schemas"/* "$late/"
date_col=value_date_$(printf 'v%.0s' $(seq 289))
sed -i -e "s/^column value_date$/column $date_col/" -e "s/^map date value_date$/map date $date_col/" \
	"$late/debitron_debits.schema"
printf '%s\n' "ref,code,mandate,$date_col,value,run,returns,why" "DT000001,DR,M1001,2026-10-05,100.00,2026-10-01,," \
	>"$tmp/long-date-files/debitron_debits_20261002.csv"
"$KASI" --db "$tmp/long-date.db" --schemas "$late" init >/dev/null
kasi --db "$tmp/long-date.db" --schemas "$late" ingest "$tmp/long-date-files/debitron_debits_20261002.csv"
expect_status 1 "a row dated after its file's date is applied, out of period (exit 1)"
kasi --db "$tmp/long-date.db" --schemas "$late" exceptions --json
check "regression: its OUT_OF_PERIOD names the 300-character date column whole" \
	test "$(jq -r '.exceptions[] | select(.code == "OUT_OF_PERIOD") | .detail' <<<"$out")" = "$date_col 2026-10-05 is after the file's date"

echo "1..$tap_n"
