#!/usr/bin/env bash
# make demo: a month of kasi's nights on the bundled fixture world.
#
#   a fresh store (demo/kasi.db) with the products, policies and ledger
#   loaded; one local job per channel (jobs/demo/*.job), each with its
#   drop folder (demo/drop/CHANNEL); then, night by night from 1 October to
#   3 November 2026, the day's files dropped and every job run for the day
#   before (kasi run, with the clock fixed at 06:00 the next morning):
#   fetch, validate, ingest, reconcile, reports, files filed away; then
#   October settled and its settlement report and payout instructions
#   written; a summary with the paths.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
KASI=${KASI:-$root/kasi}
export KASI_SCHEMAS=$root/schemas
export KASI_DB=$root/demo/kasi.db
export KASI_PAYOUTS=$root/demo/payouts.conf
world=fixtures/world
jobs="easypay softycomp collexia mobilemoney"
rm -rf demo
mkdir -p demo/reports
for j in $jobs; do mkdir -p "demo/drop/$j"; done

step() { printf '\n== %s\n' "$*"; }
run() { "$KASI" "$@" | sed 's/^/   /'; return "${PIPESTATUS[0]}"; }
# A run's lines without their stamp, for reading on a terminal.
unstamp() { sed -E 's/^[0-9T:+-]+ kasi\[run [0-9a-f]+\]: /   /'; }

step "a new store, the reference data"
run init
run load products "$world/products.csv"
run load policies "$world/policies.csv"
run load ledger "$world/ledger.csv"
# The house's side of each payout instruction (fictional).
cat >demo/payouts.conf <<-EOF
	[payouts]
	remoteGid = 39
	fromGlobalId = 18113
	fromAccountNo = 4071234567
	fromAccountType = 1
	fromBanId = 65
	systemUserName = kasidemo
	frontEndUserName = kasi
	uacId = 45
EOF

step "the nights of October: each morning at 06:00, every job runs for the day before"
echo "   (a line per file; nights with nothing to do are not shown)"
worst=0
nights=0
for day in $(seq 1 31) 32 33 34; do
	d=$(date -u -d "2026-10-01 + $((day - 1)) days" +%F)
	next=$(date -u -d "$d + 1 day" +%F)
	for f in "$world"/*_"${d//-/}".csv*; do
		[ -e "$f" ] || continue
		name=$(basename "$f")
		cp "$f" "demo/drop/${name%%_*}/"
	done
	for j in $jobs; do
		set +e
		out=$(KASI_NOW=${next}T06:00:00+02:00 "$KASI" run "jobs/demo/$j.job" --date "$d" 2>demo/run.err)
		status=$?
		set -e
		cat demo/run.err >>demo/runs.log
		printf '%s\n' "$out" >>demo/runs.log
		[ "$status" -le 65 ] || { cat demo/run.err; exit "$status"; }
		[ "$status" -gt "$worst" ] && worst=$status
		grep -E ': (applied|a duplicate|rejected)' <<<"$out" | unstamp || true
		nights=$((nights + 1))
	done
done
echo "   $nights runs, the worst exit $worst. Each day a job had no file by its deadline"
echo "   raised MISSING_FILE: the fixture world has files on a few days only."
echo "   Every run's lines: demo/runs.log"

# From here, the clock is the morning after the last night: the ages of
# the exceptions and the summary's date are as finance would see them then.
export KASI_NOW=2026-11-04T07:00:00+02:00

step "October as the last night left it"
"$KASI" status | sed -n '/^periods:/,/^settlement batches/p' | sed '$d' | sed 's/^/   /'
run report outcomes --period 2026-10 --out demo/reports/outcomes_2026-10.csv

step "settle October: what each provider is owed, after fees"
run settle --through 2026-10-31
"$KASI" report settlement --through 2026-10-31 --lines \
	--out demo/reports/settlement_lines_2026-10-31.csv >/dev/null
run report settlement --through 2026-10-31 --out demo/reports/settlement_2026-10-31.csv

step "one outcome explained: a debit of October, reversed by an unpaid in November's file"
run explain POL-1011 --period 2026-10 | head -25

step "the finance worklist, debit-order health and the summary page"
run exceptions --period 2026-10 | sed -n '1,20p' # the most money at stake first
echo "   (the first lines: kasi exceptions --period 2026-10 lists them all)"
run monitor --period 2026-10 || true # exit 1: a ratio over its limit (a small world)
run report summary --period 2026-10 --out demo/reports/summary_2026-10.html

cat <<TXT

Where everything is (reports are CSV, mode 0600):
   $root/demo/reports/outcomes_2026-10.csv
      each policy's October
   $root/demo/<job>/reports/discrepancies_2026-10.csv
      every discrepancy of October, as the job's last run left it
   $root/demo/<job>/{processed,discrepancies,error}/
      each file, filed; a file's own discrepancies or errors beside it
   $root/demo/reports/settlement_2026-10-31.csv
      what each provider is owed
   $root/demo/reports/settlement_lines_2026-10-31.csv
      every line behind it
   $root/demo/reports/payout_*.json
      the EFT payout instructions
   $root/demo/reports/summary_2026-10.html
      the month on one page, for a manager (open it in a browser)
The store is $KASI_DB ('$KASI --db $KASI_DB status' shows it).
Next: 'make test' runs the test suite; 'kasi help' lists the commands;
jobs/README.md explains the nightly job and how to point it at a partner's
SFTP server.
TXT
