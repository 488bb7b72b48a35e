#!/usr/bin/env bash
# --json on the commands that print a summary (reconcile, settle, status;
# exceptions and monitor have their own tests): one JSON document each,
# with the figures the human summary prints, amounts as strings of rands.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || { echo "1..0 # SKIP jq is missing (scripts/deps.sh installs it)"; exit 0; }
db=$tmp/kasi.db
export KASI_DB=$db KASI_NOW=2026-11-08T01:00:00+02:00
world "$db"
world_ingest "$db" 20261103
"$KASI" schedule --period 2026-10 >/dev/null

kasi reconcile --period 2026-10 --json
expect_status 1 "reconcile --json exits as reconcile does (1: discrepancies)"
printf '%s\n' "$out" >"$tmp/r.json"
check "one JSON document" bash -c 'jq -e . "$1" >/dev/null' _ "$tmp/r.json"
# The fixture world's October, as tests/e2e/expected has it: 12 policies,
# 16 discrepancies, 11 of them found by reconciling.
check "policies, discrepancies, found by reconciling" \
	test "$(jq -r '"\(.policies) \(.discrepancies) \(.found_by_reconciling)"' "$tmp/r.json")" = "12 16 11"
human=$("$KASI" reconcile --period 2026-10)
for s in PAID_FULL PAID_PARTIAL UNPAID CANCELLED; do
	n=$(awk -v s="$s" '$1 == s {print $2}' <<<"$human")
	check "$s: $n, as the summary says" test "$(jq -r ".by_status.$s" "$tmp/r.json")" = "$n"
done
money=$(grep -o 'expected .*' <<<"$human")
check "the money as the summary says ($money)" \
	test "$(jq -r '"expected \(.expected), collected \(.collected), shortfall \(.shortfall), pending \(.pending)"' "$tmp/r.json")" = "$money"
check "amounts are strings with two decimals" test "$(jq -r '.expected | type' "$tmp/r.json")" = string

kasi settle --through 2026-10-31 --json
expect_status 0 "settle --json"
printf '%s\n' "$out" >"$tmp/s.json"
# tests/e2e/expected/world_settlement_2026-10-31.csv: OLDMUTUAL net
# 967.10, HOLLARD 278.41.
check "two batches, their nets as worked out by hand" \
	test "$(jq -r '[.batches_shown[] | "\(.provider) \(.net) \(.payout)"] | sort | join(",")' "$tmp/s.json")" = "HOLLARD 278.41 KP000000000002,OLDMUTUAL 967.10 KP000000000001"
check "batches and lines counted" test "$(jq -r '"\(.batches) \(.nothing_new)"' "$tmp/s.json")" = "2 false"
kasi settle --through 2026-10-31 --json
check "settling again: nothing new, said in JSON" \
	test "$(jq -r '"\(.nothing_new) \(.settled_through) \(.batches)"' <<<"$out")" = "true 2026-10-31 0"

kasi status --json
expect_status 0 "status --json"
printf '%s\n' "$out" >"$tmp/st.json"
check "status: one JSON document" bash -c 'jq -e . "$1" >/dev/null' _ "$tmp/st.json"
# 3 registers and 9 channel files applied; the file of the 21st rejected,
# the .gz of the 5th a duplicate.
check "files applied, rejected, duplicates (12, 1, 1)" \
	test "$(jq -r '.files | "\(.applied) \(.rejected) \(.duplicates)"' "$tmp/st.json")" = "12 1 1"
check "the period, reconciled, not out of date" \
	test "$(jq -r '.periods[] | "\(.period) \(.outcomes) \(.out_of_date)"' "$tmp/st.json")" = "2026-10 12 false"
check "discrepancies by code add up to 16" test "$(jq '[.discrepancies[].count] | add' "$tmp/st.json")" = 16
check "16 open exceptions, 1122.00 at stake (as kasi exceptions counts it)" \
	test "$(jq -r '.exceptions | "\(.open) \(.open_at_stake)"' "$tmp/st.json")" = "16 1122.00"
check "every batch, each with its payout" \
	test "$(jq -r '[.batches[] | "\(.batch_id) \(.payout.state)"] | join(",")' "$tmp/st.json")" = "2 instructed,1 instructed"

# Out of date shows in status --json; hostile text stays valid JSON.
cat >"$tmp/easypay_recon_20261027.csv" <<'EOF'
transaction_id,easypay_code,transaction_type,merchant_id,terminal_id,cashier_id,transaction_timestamp,gross_amount,settlement_status,merchant_name,receipt_number
EP_TXN_20261027_001,91234567890608,topup,EP_MERCHANT_13579,EP_TERMINAL_007,CASHIER_311,2026-10-27T13:00:00+02:00,30.00,settled,"Boxer ""\ Umlazi",RCP-002401
EOF
"$KASI" ingest "$tmp/easypay_recon_20261027.csv" >/dev/null
kasi status --json
check "a period out of date says so" \
	test "$(jq -r '.periods[0] | "\(.out_of_date) \(.files_since_reconciled)"' <<<"$out")" = "true 1"
kasi exceptions resolve 1 --note 'a "quoted" \ note, tab	in it'
expect_status 64 "a note with a tab is refused (one line of plain text)"
kasi exceptions resolve 1 --note 'a "quoted" \ note'
kasi exceptions --all --json
check "a note with quotes and a backslash stays valid JSON, read back as written" \
	test "$(jq -r '.exceptions[] | select(.id == 1) | .resolution.note' <<<"$out")" = 'a "quoted" \ note'

# kasi run --json: the document alone on stdout, the lines a file on stderr.
mkdir -p "$tmp/drop" "$tmp/root"
cp "$fixtures/world/easypay_recon_20261020.csv" "$tmp/drop/"
printf '%s\n' '[job]' 'name = easypay' 'source = local' "remote_dir = $tmp/drop" \
	'pattern = ^easypay_recon_[0-9]{8}\.csv$' 'schema = easypay_recon' "root = $tmp/root" \
	'deadline = 07:00' 'after_pull = keep' >"$tmp/easypay.job"
KASI_NOW=2026-10-21T06:00:00+02:00 kasi run "$tmp/easypay.job" --date 2026-10-20 --json
printf '%s\n' "$out" >"$tmp/run.json"
check "run --json: one JSON document on stdout" bash -c 'jq -e . "$1" >/dev/null' _ "$tmp/run.json"
check "its status is the run's exit status ($status)" test "$(jq -r .status "$tmp/run.json")" = "$status"
check "the job, its day, one file fetched and filed, not stopped" \
	test "$(jq -r '"\(.job) \(.day) \(.fetched) \(.files) \(.stopped)"' "$tmp/run.json")" = "easypay 2026-10-20 1 1 false"
check "the reports it wrote, each there" \
	test "$(jq -r '.reports[]' "$tmp/run.json" | while read -r f; do test -f "$f" && echo ok; done | wc -l)" = "$(jq '.reports | length' "$tmp/run.json")"
expect_err "easypay_recon_20261020.csv" "the line a file went to stderr"
kasi run "$tmp/missing.job" --json
check "a run that cannot start says so in JSON too (exit $status)" \
	test "$(jq -r '"\(.stopped) \(.status)"' <<<"$out")" = "true $status"

# (regression: a bad $KASI_NOW with --json printed nothing on stdout,
# though a command that cannot do its work still prints one document)
for c in "status" "exceptions" "settle --through 2026-10-31" "reconcile --period 2026-10" "monitor --period 2026-10"; do
	KASI_NOW=bad kasi $c --json
	expect_status 78 "regression: a bad \$KASI_NOW, $c --json: exit 78"
	check "$c --json: one document, {\"error\": ...}, status 78 and the message logged" \
		test "$(jq -r '.error | "\(.status) \(.message)"' <<<"$out")" = "78 KASI_NOW must be ISO 8601 with an offset (2026-10-23T07:30:00+02:00), got 'bad'"
	check "regression: $c --json: the error's code as kasi validate's (the two shapes differed)" \
		test "$(jq -r '.error.code' <<<"$out")" = CONFIGURATION_ERROR
	expect_err "KASI_NOW must be ISO 8601" "$c --json: the message still on stderr"
done
KASI_NOW=bad kasi run "$tmp/easypay.job" --json
expect_status 78 "regression: a bad \$KASI_NOW, run --json: exit 78"
check "run --json: the run's own document, stopped, with the status and the message" \
	test "$(jq -r '"\(.stopped) \(.status) \(.files) \(.error)"' <<<"$out")" = "true 78 0 KASI_NOW must be ISO 8601 with an offset (2026-10-23T07:30:00+02:00), got 'bad'"
# A run whose store is not there is stopped the same way.
kasi --db "$tmp/none.db" run "$tmp/easypay.job" --json
expect_status 66 "run --json with no store: exit 66"
check "run --json with no store: the run's document, stopped" \
	test "$(jq -r '"\(.stopped) \(.status)"' <<<"$out")" = "true 66"

kasi reconcile --period 2026-10 --json --period 2026-11
expect_status 64 "--period twice is still a usage error"
kasi status --json extra
expect_status 64 "status takes nothing but --json"

# (regression: a usage error with --json printed the usage on stderr and
# nothing on stdout: a program reading the document got none, and could
# not tell a mistyped cron line from a crash.) Every command line kasi
# cannot read still prints one document, USAGE_ERROR, status 64; text from
# the command line in it (a control character, a byte that is no UTF-8)
# escaped.
bad=$'\x01\xff"x'
while IFS='|' read -r desc args; do
	eval "set -- $args"
	kasi "$@"
	expect_status 64 "$desc: exit 64"
	check "regression: $desc: one JSON document on stdout, USAGE_ERROR, status 64" \
		test "$(jq -sr 'if length == 1 then .[0].error | "\(.code) \(.status)" else "docs: \(length)" end' <<<"$out")" = "USAGE_ERROR 64"
done <<'EOF'
an unknown option|exceptions --json --bogus
an operand too many|status --json extra
a period that is no period|monitor --period 2026-13 --json
no period|reconcile --json
a period given twice|reconcile --period 2026-10 --json --period 2026-11
settle through no day|settle --json
settle through a day that is not real|settle --through 2026-02-30 --json
validate with no file|validate --json
void with no file|void --json
a period of control characters and bad bytes|exceptions --period "$bad" --json
an unknown command|statsu --json
an unknown global option|--bogus status --json
a global option after the command|status --json --db "$tmp/x.db"
EOF
kasi exceptions --period "$bad" --json
check "the bad bytes of the command line escaped in the message, read back as U+FFFD" \
	test "$(jq -r '.error.message' <<<"$out")" = $'--period must be YYYY-MM, got \'\x01\xef\xbf\xbd"x\''
kasi run --json --bogus "$tmp/easypay.job"
expect_status 64 "run --json with an unknown option: exit 64"
check "regression: run --json with an unknown option: the run's own document, stopped, status 64" \
	test "$(jq -r '"\(.stopped) \(.status) \(.error)"' <<<"$out")" = "true 64 unknown or incomplete option '--bogus'"
kasi exceptions --bogus
check "without --json a usage error prints nothing on stdout" test -z "$out"
kasi exceptions --bogus -- --json
check "nor with --json after --, where it is no option" test -z "$out"

echo "1..$tap_n"
