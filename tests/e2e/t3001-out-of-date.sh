#!/usr/bin/env bash
# A reconciled period goes out of date when a file that could change it is
# applied afterwards: a channel's file with facts dated in the period or
# later, or a load of the policy register or the ledger. Its reports are
# refused until it is reconciled again, and kasi status says so.
#
# Regression: after 'kasi reconcile', a later file's facts were ignored by
# 'kasi report outcomes', which wrote the old reconciliation's outcomes
# (exit 0) as if they were current, and 'kasi status' did not tell.
. "$(dirname "$0")/lib.sh"

db=$tmp/kasi.db
export KASI_DB=$db
world "$db"
w=$fixtures/world
for f in softycomp_transactions_20261001.csv easypay_recon_20261005.csv \
	softycomp_transactions_20261006.csv collexia_results_20261015.csv; do
	"$KASI" ingest "$w/$f" >/dev/null
done
"$KASI" schedule --period 2026-10 >/dev/null
"$KASI" schedule --period 2026-11 >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null
"$KASI" reconcile --period 2026-11 >/dev/null

# state P: what kasi status says of the period: "OUT OF DATE: ..." or
# "up to date".
state() {
	"$KASI" status | grep -E "^  $1  scheduled" | grep -oE 'OUT OF DATE: .*' || echo "up to date"
}

kasi status
expect_status 0 "status after reconciling"
check "a period just reconciled is up to date" \
	test "$(state 2026-10) $(state 2026-11)" = "up to date up to date"

# What changes no outcome leaves the periods up to date.
kasi ingest "$w/easypay_recon_20261021.csv"
expect_status 65 "a rejected file ..."
kasi ingest "$w/easypay_recon_20261005.csv.gz"
expect_status 1 "... a duplicate file ..."
sed 's/Hollard Family Life Cover/Hollard Family Life Plan/' "$w/products.csv" >"$tmp/products.csv"
kasi load products "$tmp/products.csv"
expect_out "1 changed" "... and a changed product catalogue are applied"
check "and leave both periods up to date" \
	test "$(state 2026-10) $(state 2026-11)" = "up to date up to date"
kasi report outcomes --period 2026-10 --out "$tmp/o.csv"
expect_status 0 "so October's outcomes are reported"

# Facts dated in October: October is out of date, November is not.
kasi ingest "$w/collexia_results_20261017.csv"
expect_status 0 "a Collexia file of October is applied"
check "October is out of date by one file" \
	test "$(state 2026-10)" = "OUT OF DATE: 1 file applied or voided since"
check "November is not: the file has no fact in it or later" \
	test "$(state 2026-11)" = "up to date"

kasi report outcomes --period 2026-10 --out "$tmp/o10.csv"
expect_status 65 "the outcomes report of an out-of-date period is refused (exit 65)"
expect_err "facts changed since the last reconcile of 2026-10 at " "saying what changed"
expect_err "run 'kasi reconcile --period 2026-10'" "and what to do"
check "and no report is written" test ! -e "$tmp/o10.csv"
kasi report discrepancies --period 2026-10 --out "$tmp/d10.csv"
expect_status 65 "the discrepancies report of an out-of-date period is refused too"
check "and not written" test ! -e "$tmp/d10.csv"
kasi report outcomes --period 2026-11 --out "$tmp/o11.csv"
expect_status 0 "November's report is still written"

# A header-only EasyPay file of an October day says EasyPay had nothing
# that day: the ledger's records of the day are then missing from it.
"$KASI" reconcile --period 2026-10 >/dev/null
missing() { sql "$db" "SELECT count(*) FROM discrepancies WHERE period = '2026-10' AND code = 'MISSING_FROM_FILE'"; }
before=$(missing)
head -1 "$w/easypay_recon_20261020.csv" >"$tmp/easypay_recon_20261020.csv"
kasi ingest "$tmp/easypay_recon_20261020.csv"
expect_out "applied: 0 rows" "a header-only EasyPay file of October 20 is applied"
check "and puts October out of date" test "$(state 2026-10)" = "OUT OF DATE: 1 file applied or voided since"
"$KASI" reconcile --period 2026-10 >/dev/null
check "rightly: reconciling again finds the day's ledger records missing ($before -> $(missing) MISSING_FROM_FILE)" \
	test "$(missing)" -gt "$before"

# A late unpaid dated in November reverses an October debit: it reaches
# both periods.
kasi ingest "$w/softycomp_transactions_20261103.csv"
check "a November file puts October out of date" \
	test "$(state 2026-10)" = "OUT OF DATE: 1 file applied or voided since"
check "and November one" \
	test "$(state 2026-11)" = "OUT OF DATE: 1 file applied or voided since"

before=$(sql "$db" "SELECT count(*) FROM outcomes WHERE period = '2026-10' AND status = 'PAID_FULL'")
kasi reconcile --period 2026-10
after=$(sql "$db" "SELECT count(*) FROM outcomes WHERE period = '2026-10' AND status = 'PAID_FULL'")
check "reconciling again counts what came since (PAID_FULL $before -> $after)" test "$after" -lt "$before"
check "and brings October up to date" test "$(state 2026-10)" = "up to date"
kasi report outcomes --period 2026-10 --out "$tmp/o10.csv"
expect_status 0 "so its report is written again"
expect_out "PAID_FULL $after," "with the new outcomes"

# The policy register and the ledger change outcomes.
"$KASI" reconcile --period 2026-11 >/dev/null
sed 's/^POL-1001,FUNERAL_01,Thandiwe Mokoena/POL-1001,FUNERAL_01,Thandiwe Mokoena-Zulu/' \
	"$w/policies.csv" >"$tmp/policies.csv"
kasi load policies "$tmp/policies.csv"
expect_out "1 changed" "a changed policy register is loaded"
check "and puts October out of date" test "$(state 2026-10)" = "OUT OF DATE: 1 file applied or voided since"
check "and November" test "$(state 2026-11)" = "OUT OF DATE: 1 file applied or voided since"
"$KASI" reconcile --period 2026-10 >/dev/null
{ cat "$w/ledger.csv"; echo "EP_TXN_20261020_009,easypay,91234567890103,2026-10-20T09:00:00+02:00,10.00,settled"; } >"$tmp/ledger.csv"
kasi load ledger "$tmp/ledger.csv"
expect_out "1 new" "a ledger with a new record is loaded"
check "and puts October out of date" test "$(state 2026-10)" = "OUT OF DATE: 1 file applied or voided since"

echo "1..$tap_n"
