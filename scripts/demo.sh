#!/usr/bin/env bash
# make demo: kasi's core on the bundled fixture world, as an operator runs it.
#
#   a fresh store (demo/kasi.db); products, policies and the ledger loaded;
#   October 2026 scheduled; every channel file of the month ingested in date
#   order (one is invalid, one is a duplicate: both are handled as they
#   would be at night), then November's first file (a late unpaid);
#   October reconciled; outcome and discrepancy reports written (0600) to
#   demo/reports/; a summary, and one outcome explained.
#
# The SFTP pull and the drop folders (kasi run) come in a later issue.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
KASI=${KASI:-$root/kasi}
export KASI_SCHEMAS=$root/schemas
export KASI_DB=$root/demo/kasi.db
period=2026-10
world=fixtures/world
rm -rf demo
mkdir -p demo/reports

step() { printf '\n== %s\n' "$*"; }
run() { "$KASI" "$@" | sed 's/^/   /'; return "${PIPESTATUS[0]}"; }

step "a new store"
run init
step "reference data"
run load products "$world/products.csv"
run load policies "$world/policies.csv"
run load ledger "$world/ledger.csv"
step "expected premiums for $period"
run schedule --period "$period"

step "the channels' files, in date order"
for f in $(for f in "$world"/{easypay,softycomp,collexia}_*; do
	echo "$(basename "$f" | grep -oE '[0-9]{8}') $f"
done | sort | awk '{print $2}'); do
	set +e
	out=$("$KASI" ingest "$f" 2>&1)
	status=$?
	set -e
	printf '   %-40s exit %d  %s\n' "$(basename "$f")" "$status" "$(tail -1 <<<"$out" | sed 's/^[^:]*: //')"
done

step "reconcile $period"
set +e
run reconcile --period "$period"
set -e

step "reports"
run report outcomes --period "$period" --out "demo/reports/outcomes_$period.csv"
run report discrepancies --period "$period" --out "demo/reports/discrepancies_$period.csv"

step "one outcome explained: a debit of October, reversed by an unpaid in November's file"
run explain POL-1011 --period "$period"

cat <<TXT

Reports (CSV, mode 0600):
   $root/demo/reports/outcomes_$period.csv
   $root/demo/reports/discrepancies_$period.csv
The store is $KASI_DB ('kasi --db $KASI_DB status' shows it).
Next: 'make test' runs the test suite; 'kasi help' lists the commands.
TXT
