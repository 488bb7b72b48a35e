#!/usr/bin/env bash
# The fixture world, end to end: load, ingest a month in date order,
# schedule, reconcile, report; the outcomes and discrepancies must be
# exactly those worked out by hand in tests/e2e/expected/ (see its
# README.md). Also: a late unpaid changes its original's period; reconcile
# again gives the same result; reports are 0600, gzip and formula-safe.
. "$(dirname "$0")/lib.sh"

expected=$KASI_ROOT/tests/e2e/expected
db=$tmp/kasi.db
export KASI_DB=$db
world "$db"

# Channel files in date order (the date in the name), then by name.
files=$(for f in "$fixtures"/world/{easypay,softycomp,collexia,mobilemoney}_*; do
	d=$(basename "$f" | grep -oE '[0-9]{8}')
	echo "$d $(basename "$f") $f"
done | sort | awk '{print $3}')

for f in $files; do
	case $(basename "$f") in *20261103*) continue ;; esac	# November: later
	kasi ingest "$f"
	case $(basename "$f") in
	easypay_recon_20261021.csv) want=65 ;;	# rejected
	easypay_recon_20261005.csv.gz | softycomp_transactions_20261002.csv | collexia_results_20261015.csv) want=1 ;;
	*) want=0 ;;
	esac
	expect_status "$want" "ingest $(basename "$f") exits $want"
done

kasi schedule --period 2026-10
expect_status 0 "schedule 2026-10"
expect_out "scheduled 2026-10: 12 policies expected" "12 policies are expected in October"

kasi reconcile --period 2026-10
expect_status 1 "reconcile exits 1: the period has discrepancies"
got=$(sql "$db" "SELECT o.status FROM outcomes o JOIN policies p USING (policy_id) WHERE p.policy_number = 'POL-1011' AND o.period = '2026-10'")
check "before November's file, POL-1011 is PAID_FULL ($got)" test "$got" = PAID_FULL

# November's first file brings an unpaid of an October debit.
kasi ingest "$fixtures/world/softycomp_transactions_20261103.csv"
expect_status 0 "November's Softy Comp file applies"
kasi reconcile --period 2026-10
expect_status 1 "October is reconciled again"
expect_out "PAID_FULL            6" "6 paid in full"
expect_out "UNPAID               4" "4 unpaid"

kasi report outcomes --period 2026-10 --out "$tmp/outcomes.csv"
expect_status 0 "the outcomes report is written"
expect_out "12 policies: PAID_FULL 6, PAID_PARTIAL 1, UNPAID 4, CANCELLED 1" "its summary counts by status"
# 150.00 + 724.19 + 235.45 + 300.00 + 200.00 + 100.00 + 150.00 + 180.00 +
# 120.00 + 210.00 + 80.00 + 99.00 expected; collected, shortfall and
# pending are the sums of the expected file's columns.
expect_out "expected 2548.64, collected 1005.54, shortfall 1563.09, pending 923.19" "and totals the money"
if cmp -s "$expected/world_outcomes_2026-10.csv" "$tmp/outcomes.csv"; then
	ok "the outcomes are exactly those worked out by hand"
else
	not_ok "the outcomes are exactly those worked out by hand"
	diff "$expected/world_outcomes_2026-10.csv" "$tmp/outcomes.csv" | diag
fi
check "the report is mode 0600" test "$(stat -c %a "$tmp/outcomes.csv")" = 600

kasi report discrepancies --period 2026-10 --out "$tmp/discrepancies.csv"
expect_status 0 "the discrepancies report is written"
expect_out "discrepancies 2026-10: 16" "16 discrepancies"
head -1 "$tmp/discrepancies.csv" > "$tmp/head"
check "with the discrepancies report's header" \
	test "$(cat "$tmp/head")" = "code,severity,channel,file,row,reference,transaction_id,expected,actual,detail,id,status,first_seen,age"
# Compare all but the free-text detail, read with a real CSV parser.
# (None of these nine columns can hold a comma, so list mode is exact.)
sqlite3 "$tmp/cmp.db" ".import --csv $tmp/discrepancies.csv d" \
	".headers on" ".mode list" ".separator ," ".output $tmp/got.csv" \
	"SELECT code, severity, channel, file, row, reference, transaction_id, expected, actual FROM d"
if cmp -s "$expected/world_discrepancies_2026-10.csv" <(tr -d '\r' < "$tmp/got.csv"); then
	ok "the discrepancies are exactly those worked out by hand"
else
	not_ok "the discrepancies are exactly those worked out by hand"
	diff "$expected/world_discrepancies_2026-10.csv" <(tr -d '\r' < "$tmp/got.csv") | diag
fi
check "every discrepancy has a detail" test "$(sqlite3 "$tmp/cmp.db" "SELECT count(*) FROM d WHERE detail = ''")" = 0

# Reconciling again changes nothing.
kasi reconcile --period 2026-10
kasi report outcomes --period 2026-10 --out "$tmp/outcomes2.csv"
kasi report discrepancies --period 2026-10 --out "$tmp/discrepancies2.csv"
check "reconcile again: identical outcomes" cmp -s "$tmp/outcomes.csv" "$tmp/outcomes2.csv"
check "reconcile again: identical discrepancies, none duplicated" \
	cmp -s "$tmp/discrepancies.csv" "$tmp/discrepancies2.csv"

kasi schedule --period 2026-10
expect_out "nothing changed" "scheduling again changes nothing"

kasi report outcomes --period 2026-10 --out "$tmp/o.csv" --gzip
expect_status 0 "--gzip writes the report compressed"
check "as FILE.gz, the same rows" bash -c "zcat '$tmp/o.csv.gz' | cmp -s - '$tmp/outcomes.csv'"

# Regression: --out - wrote a file named '-'. It is standard output, the
# summary going to stderr; gzipped too, but never to a terminal.
mkdir "$tmp/cwd"
(cd "$tmp/cwd" && "$KASI" report outcomes --period 2026-10 --out - >"$tmp/stdout.csv" 2>"$tmp/stderr")
check "--out - writes the report to standard output, exit 0" test $? -eq 0
check "the same rows as to a file" cmp -s "$tmp/stdout.csv" "$tmp/outcomes.csv"
check "and no file named '-'" test -z "$(ls -A "$tmp/cwd")"
check "the summary goes to stderr" grep -q "written to standard output" "$tmp/stderr"
(cd "$tmp/cwd" && "$KASI" report outcomes --period 2026-10 --out - --gzip >"$tmp/stdout.csv.gz" 2>/dev/null)
check "--out - --gzip writes it gzipped" bash -c "zcat '$tmp/stdout.csv.gz' | cmp -s - '$tmp/outcomes.csv'"
check "and no file named '-' or '-.gz'" test -z "$(ls -A "$tmp/cwd")"
if command -v script >/dev/null; then
	script -qec "cd '$tmp/cwd' && '$KASI' report outcomes --period 2026-10 --out - --gzip" \
		/dev/null >"$tmp/tty" 2>&1
	check "--out - --gzip to a terminal is refused (exit 64)" test $? -eq 64
	check "saying why" grep -q "compressed data to a terminal" "$tmp/tty"
fi

kasi explain POL-1011 --period 2026-10
expect_status 0 "explain POL-1011"
expect_out "softycomp_transactions_20261001.csv row 5  4846104" "it names the October debit, file and row"
expect_out "unpaid: reverses 4846104 (Account Closed)" "and the November unpaid that reversed it"
expect_out "UNPAID, by the rule collected 0.00 <= 0" "and the rule that decided"
expect_out "reason ACCOUNT_CLOSED (the channel said: Account Closed)" "and the reason, raw and normalised"

kasi explain POL-1006 --period 2026-10
expect_out "PAID_FULL, by the rule collected 99.99 >= expected 100.00 - 0.01" "the tolerance edge is explained"
# Regression: the discrepancies ingest raised of a policy's rows were not
# shown, though the help promises every discrepancy its rows raised.
kasi explain POL-1001 --period 2026-10
expect_out "DUPLICATE_TRANSACTION (info)  softycomp_transactions_20261002.csv row 2  4846101" \
	"explain shows the repeat ingest raised of the policy's row"
expect_out "was applied before from softycomp_transactions_20261001.csv row 2" "with its detail"
kasi explain POL-1010 --period 2026-10
expect_out "OUT_OF_PERIOD (warning)  collexia_results_20261015.csv row 6  0029789700RB42" \
	"and a row dated after its file"
kasi explain POL-1006 --period 2026-10
check "a policy with none shows no such heading" test -n "$out" -a -z "$(grep -F "raised when its rows were applied" <<<"$out")"
kasi explain POL-9999 --period 2026-10
expect_status 65 "explaining an unknown policy exits 65"

# Regression: explaining a period never scheduled printed the policy and
# "what counted, in order:" on stdout, then failed.
kasi explain POL-1011 --period 2026-09
expect_status 65 "explaining a period never scheduled exits 65"
expect_err "period 2026-09 is not scheduled" "saying why"
check "before printing any of the story" test -z "$out"
kasi explain POL-1011 --period 2026-13
expect_status 64 "explaining a period that is not a period is a usage error"
check "printed before any of the story" test -z "$out"

# Regression: a premium's change was printed in cents ("premium: 21000 ->
# 22000"); money is always printed in rands.
prem=$tmp/premium.db
world "$prem"
"$KASI" --db "$prem" schedule --period 2026-10 >/dev/null
sed 's/^\(POL-1011,[^,]*,[^,]*,[^,]*,\)210\.00,/\1220.50,/' "$fixtures/world/policies.csv" >"$tmp/policies.csv"
"$KASI" --db "$prem" load policies "$tmp/policies.csv" >/dev/null
kasi --db "$prem" explain POL-1011 --period 2026-10
expect_out "premium: 210.00 -> 220.50, from policies.csv" "explain prints a premium's change in rands"

# Settlement of the month, worked out by hand (expected/README.md): through
# the month's last day, then through 7 November, after November's file.
# The house's own side of a payout instruction: payouts.conf beside the store.
payouts_conf "$tmp/payouts.conf"
# Settling is refused after today: the clock is fixed where the month is past.
now=2026-11-30T08:00:00+02:00
KASI_NOW=$now kasi settle --through 2026-10-31
expect_status 0 "settle through 31 October"
expect_out "settled through 2026-10-31: 2 batches, 16 lines" "two batches, sixteen lines"
kasi report settlement --through 2026-10-31 --out "$tmp/settlement.csv"
expect_status 0 "the settlement report is written"
check "the batches are those worked out by hand" cmp -s "$expected/world_settlement_2026-10-31.csv" "$tmp/settlement.csv"
check "the report is mode 0600" test "$(stat -c %a "$tmp/settlement.csv")" = 600
kasi report settlement --through 2026-10-31 --lines --out "$tmp/lines.csv"
if cmp -s "$expected/world_settlement_lines_2026-10-31.csv" "$tmp/lines.csv"; then
	ok "and so is every line"
else
	not_ok "and so is every line"
	diff "$expected/world_settlement_lines_2026-10-31.csv" "$tmp/lines.csv" | diag
fi
for ref in $(sql "$db" "SELECT reference FROM payouts ORDER BY payout_id"); do
	check "payout $ref's instruction is beside the report, 0600" test "$(stat -c %a "$tmp/payout_$ref.json")" = 600
done
got=$(jq -r '"\(.remoteReferenceNo) \(.transactionAmount) \(.toBanId) \(.toAccountNo)"' "$tmp/payout_KP000000000001.json")
check "OLDMUTUAL's instruction pays 967.10 to its account ($got)" test "$got" = "KP000000000001 967.1 64 62001234567"
check "with its amount written with two decimals" grep -q '"transactionAmount": 967.10,' "$tmp/payout_KP000000000001.json"
got=$(jq -r '"\(.fromAccountNo) \(.fromBanId) \(.remoteGid)"' "$tmp/payout_KP000000000001.json")
check "and the house's own account from payouts.conf ($got)" test "$got" = "1234567 65 39"
KASI_NOW=$now kasi settle --through 2026-10-31
expect_status 0 "settling through the same day again exits 0"
expect_out "nothing new" "and creates nothing"
check "still two batches" test "$(sql "$db" 'SELECT count(*) FROM settlement_batches')" = 2
KASI_NOW=$now kasi settle --through 2026-11-07
expect_status 65 "settling into November before it is reconciled is refused"
expect_err "period 2026-11 holds facts to settle but is not reconciled" "naming the period"
kasi schedule --period 2026-11
kasi reconcile --period 2026-11
KASI_NOW=$now kasi settle --through 2026-11-07
expect_status 0 "settle through 7 November"
kasi report settlement --through 2026-11-07 --out "$tmp/settlement-11.csv"
check "the clawback batch is the one worked out by hand" cmp -s "$expected/world_settlement_2026-11-07.csv" "$tmp/settlement-11.csv"
check "its negative net gets no payout" test "$(sql "$db" 'SELECT count(*) FROM payouts')" = 2
kasi explain POL-1011 --period 2026-10
expect_out "collection       210.00  2026-10-01  4846104  batch 1 through 2026-10-31, to OLDMUTUAL: fee 9.85, net 200.15" \
	"explain: in which batch the October debit was paid"
expect_out "reversal        -210.00  2026-11-03  4847001  batch 3 through 2026-11-07, to OLDMUTUAL: fee -9.85, net -200.15" \
	"and in which its November unpaid was clawed back"

kasi reconcile --period 2026-12
expect_status 65 "reconciling a period never scheduled exits 65"
kasi reconcile --period 2026-13
expect_status 64 "a period that is not a period is a usage error"

kasi status
expect_out "2026-10  scheduled" "status lists the period"

# A period not reconciled has no outcomes: an empty report would read as
# "nothing owed". Refused; the discrepancies report says what it holds.
kasi schedule --period 2026-12
kasi report outcomes --period 2026-12 --out "$tmp/o12.csv"
expect_status 65 "outcomes of a period not reconciled: refused (exit 65)"
expect_err "run 'kasi reconcile --period 2026-12'" "with what to do"
check "and no report written" test ! -e "$tmp/o12.csv"
kasi report discrepancies --period 2026-12 --out "$tmp/d12.csv"
expect_status 0 "discrepancies of a period not reconciled: written"
expect_err "only the discrepancies ingest recorded" "with a warning of what they are"

# Scheduling before the register is loaded would fix the period at
# nothing expected, for good: refused, and nothing recorded.
"$KASI" --db "$tmp/empty.db" init >/dev/null
kasi --db "$tmp/empty.db" schedule --period 2026-10
expect_status 66 "scheduling with no policies loaded exits 66"
expect_err "load the register first" "and says what to do"
check "the period is not recorded as scheduled" test "$(sql "$tmp/empty.db" 'SELECT count(*) FROM periods')" = 0

# Money is int64 cents, and overflow is an error: two debits of
# R92 233 720 368 547 758.07 for one policy add up past int64; the period
# is not reconciled, the last reconciliation stands.
big=$tmp/big.db
world "$big"
"$KASI" --db "$big" schedule --period 2026-10 >/dev/null
"$KASI" --db "$big" reconcile --period 2026-10 >/dev/null
others="SELECT group_concat(s) FROM (SELECT o.status || o.collected AS s FROM outcomes o JOIN policies p USING (policy_id) WHERE p.policy_number <> 'POL-1001' ORDER BY p.policy_number)"
before_others=$(sql "$big" "$others")
huge=$tmp/softycomp_transactions_20261009.csv
{
	echo "transactionId,transactionTypeId,clientId,collectionId,transactionDate,amount,reference,generationTypeId,cycleDate,originalTransactionId,unpaidReasonDescription"
	echo "9001,4,500,164061,2026-10-09T00:00:00,-92233720368547758.07,X,1,2026-10-09T00:00:00,,"
	echo "9002,4,500,164061,2026-10-09T00:00:00,-92233720368547758.07,X,1,2026-10-09T00:00:00,,"
} >"$huge"
# Regression: such amounts were accepted, and two of them blocked the
# period for good (an applied file cannot be undone). Every money column
# has a ceiling now, so the file is rejected at validation.
kasi --db "$big" ingest "$huge"
expect_status 65 "an absurd amount is rejected at validation"
expect_out "column 'amount', money: below the minimum -100000000.00" "by the amount's floor"
kasi --db "$big" reconcile --period 2026-10
expect_status 1 "and the period still reconciles (its one discrepancy: FILE_REJECTED)"
expect_out "reconciled 2026-10" "and says so"
# Past the ceilings (a schema copy without them), the sums are still checked.
mkdir -p "$tmp/loose"
cp "$KASI_ROOT"/schemas/* "$tmp/loose/"
sed -i 's/ min=-100000000.00 max=100000000.00//' "$tmp/loose/softycomp_transactions.schema"
kasi --db "$big" --schemas "$tmp/loose" ingest "$huge"
expect_status 0 "each amount alone fits: the file is applied"
kasi --db "$big" --schemas "$tmp/loose" reconcile --period 2026-10
expect_status 65 "a policy's total past int64 cents: reconcile exits 65"
expect_err "softycomp_transactions_20261009.csv row 3: takes policy POL-1001's money past what kasi can count" \
	"and names the file, row and policy"
# Regression: one policy's overflow made reconcile refuse the whole period.
check "POL-1001 has no outcome recorded" \
	test "$(sql "$big" "SELECT count(*) FROM outcomes o JOIN policies p USING (policy_id) WHERE p.policy_number = 'POL-1001'")" = 0
check "every other scheduled policy's outcome is recorded" \
	test "$(sql "$big" "SELECT count(*) FROM outcomes")" = "$(($(sql "$big" "SELECT count(*) FROM expected WHERE period = '2026-10'") - 1))"
check "and they are what they were before (nothing else changed for them)" \
	test "$(sql "$big" "$others")" = "$before_others"

# Regression: a period without a single Collexia row handed qsort a NULL
# array, which UBSan (make asan) stops on. November holds only Softy Comp's
# unpaid.
kasi schedule --period 2026-11
kasi reconcile --period 2026-11
expect_status 0 "a period with no Collexia rows reconciles (qsort of nothing)"
expect_out "reconciled 2026-11" "and says so"

echo "1..$tap_n"
