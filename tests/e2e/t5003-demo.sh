#!/usr/bin/env bash
# make demo's script, on a copy of the tree: it runs a month of nights with
# local jobs, settles October, and the reports it points at are the
# hand-worked ones (tests/e2e/expected/).
. "$(dirname "$0")/lib.sh"

expected=$KASI_ROOT/tests/e2e/expected
tree=$tmp/tree
mkdir -p "$tree/scripts"
cp -r "$KASI_ROOT/jobs" "$tree/jobs"
cp "$KASI_ROOT/scripts/demo.sh" "$tree/scripts/"
ln -s "$KASI_ROOT/fixtures" "$tree/fixtures"
ln -s "$KASI_ROOT/schemas" "$tree/schemas"
start=$(date +%s)
out=$(KASI=$KASI bash "$tree/scripts/demo.sh" 2>&1)
status=$?
secs=$(($(date +%s) - start))
expect_status 0 "the demo runs to the end (in ${secs} s)"
expect_out "136 runs" "every job runs every night"
check "the demo writes only under demo/" test -z "$(find "$tree" -newer "$tree/scripts/demo.sh" ! -path "$tree/demo*" ! -path "$tree/jobs*" -type f)"
for f in outcomes_2026-10.csv settlement_2026-10-31.csv settlement_lines_2026-10-31.csv summary_2026-10.html; do
	check "the summary names demo/reports/$f" grep -qF "$tree/demo/reports/$f" <<<"$out"
done
check "its outcomes are the hand-worked ones" cmp "$expected/world_outcomes_2026-10.csv" "$tree/demo/reports/outcomes_2026-10.csv"
check "its settlement is the hand-worked one" cmp "$expected/world_settlement_2026-10-31.csv" "$tree/demo/reports/settlement_2026-10-31.csv"
check "its settlement lines are the hand-worked ones" cmp "$expected/world_settlement_lines_2026-10-31.csv" "$tree/demo/reports/settlement_lines_2026-10-31.csv"
check "the summary page is written" grep -q '<h1>Collections, 2026-10</h1>' "$tree/demo/reports/summary_2026-10.html"
check "a payout instruction per batch" test "$(ls "$tree"/demo/reports/payout_*.json | wc -l)" = 2
check "every file of the world was filed" test -z "$(find "$tree"/demo/*/inbox -type f)"
check "reports are private" test -z "$(find "$tree/demo" -path '*reports*' -type f -perm /077)"
