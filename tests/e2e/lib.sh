# lib.sh — sourced by every end-to-end test (tests/e2e/tNNNN-*.sh).
#
# Each test drives the real binary ($KASI) and reports TAP lines. The
# helpers run kasi and capture its output and exit status:
#
#   kasi ARGS...        run it; stdout in $out, stderr in $err, exit in $status
#   expect_status N D   ok if the last run exited N
#   expect_out TEXT D   ok if stdout contains TEXT (a fixed string)
#   expect_err TEXT D   ok if stderr contains TEXT
#   check D CMD...      ok if CMD succeeds
#
# Every test gets a private $tmp, removed at exit (kept, and named on
# stderr, with KASI_KEEP_TMP=1: for looking at what a test left).
set -u
: "${KASI:?KASI must name the kasi binary under test}"
: "${KASI_ROOT:?}"
fixtures=$KASI_ROOT/fixtures
tmp=$(mktemp -d)
if [ -n "${KASI_KEEP_TMP:-}" ]; then
	echo "# keeping $tmp" >&2
	trap : EXIT
else
	trap 'rm -rf "$tmp"' EXIT
fi
tap_n=0

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); echo "not ok $tap_n - $*"; }
diag() { sed 's/^/# /'; }

kasi() {
	out=$("$KASI" "$@" 2>"$tmp/.stderr")
	status=$?
	err=$(cat "$tmp/.stderr")
}

expect_status() {
	if [ "$status" -eq "$1" ]; then
		ok "$2"
	else
		not_ok "$2 (exit $status, expected $1)"
		{ echo "stdout:"; printf '%s\n' "$out" | head -20; echo "stderr:"; printf '%s\n' "$err" | head -20; } | diag
	fi
}

# expect_in NAME TEXT CAPTURED DESC: ok if CAPTURED (the stream NAME) holds TEXT.
expect_in() {
	if grep -qF -- "$2" <<<"$3"; then
		ok "$4"
	else
		not_ok "$4"
		{ echo "$1 lacks: $2"; printf '%s\n' "$3" | head -20; } | diag
	fi
}
expect_out() { expect_in stdout "$1" "$out" "$2"; }
expect_err() { expect_in stderr "$1" "$err" "$2"; }

check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

# sql DB QUERY: the query's result from the store, via the sqlite3 shell.
sql() { sqlite3 -batch -noheader "$1" "$2"; }

# world DB: a store with the fixture world's reference data loaded.
# world_files [EXCLUDE]: the fixture world's channel files in the order of
# the date in their names, then by name; names matching EXCLUDE (an ERE)
# left out.
world_files() {
	local f
	for f in "$fixtures"/world/{easypay,softycomp,collexia,mobilemoney}_*; do
		echo "$(basename "$f" | grep -oE '[0-9]{8}') $(basename "$f") $f"
	done | sort | awk '{print $3}' | grep -vE "${1:-^$}"
}

# world_ingest DB [EXCLUDE]: world_files ingested into DB, one by one.
world_ingest() {
	local f
	for f in $(world_files "${2:-}"); do "$KASI" --db "$1" ingest "$f" >/dev/null 2>&1; done
}

# payouts_conf FILE: the house's side of a payout instruction, as the
# tests' settlements expect it.
payouts_conf() {
	printf '%s\n' '[payouts]' 'remoteGid = 39' 'fromGlobalId = 18113' 'fromAccountNo = 1234567' \
		'fromAccountType = 2' 'fromBanId = 65' 'systemUserName = cxuser' \
		'frontEndUserName = kasi' 'uacId = 45' >"$1"
}

# void_registers: the registers of the void tests, in $tmp: provider PROVA
# (250 bps, no fixed fee), Softy Comp policies TP-1 and TP-2 (collection
# references 2001, 2002; 100.00 a month); and $sh, a Softy Comp header.
void_registers() {
	sh='transactionId,transactionTypeId,clientId,collectionId,transactionDate,amount,reference,generationTypeId,cycleDate,originalTransactionId,unpaidReasonDescription'
	printf '%s\n' 'product_code,product_name,provider_code,provider_name,fee_bps,fee_fixed,payout_bank_id,payout_account' \
		'PA,Plan A,PROVA,Provider A,250,0.00,64,111111111' >"$tmp/products.csv"
	printf '%s\n' 'policy_number,product_code,customer_name,id_number,premium,channel,collection_ref,easypay_code,debit_day,status,start_date,cancel_date' \
		'TP-1,PA,One,,100.00,softycomp,2001,,5,active,2025-01-01,' \
		'TP-2,PA,Two,,100.00,softycomp,2002,,5,active,2025-01-01,' >"$tmp/policies.csv"
}

world() {
	"$KASI" --db "$1" init >/dev/null &&
		"$KASI" --db "$1" load products "$fixtures/world/products.csv" >/dev/null &&
		"$KASI" --db "$1" load policies "$fixtures/world/policies.csv" >/dev/null &&
		"$KASI" --db "$1" load ledger "$fixtures/world/ledger.csv" >/dev/null
}
