#!/usr/bin/env bash
# Every count a command prints agrees with its noun: "1 row", "2 rows".
#
# Regression: kasi status printed "1 rows", "1 outcomes" and "1 skipped as
# duplicates"; schedule, reconcile and report "1 policies"; ingest "1 more
# discrepancies".
. "$(dirname "$0")/lib.sh"

db=$tmp/kasi.db
export KASI_DB=$db
w=$fixtures/world
"$KASI" init >/dev/null
"$KASI" load products "$w/products.csv" >/dev/null
# A register of one policy (POL-1001, Softy Comp), and one of two.
head -2 "$w/policies.csv" >"$tmp/policies.csv"
"$KASI" load policies "$tmp/policies.csv" >/dev/null

kasi schedule --period 2026-10
expect_out "scheduled 2026-10: 1 policy expected" "schedule: 1 policy expected"
kasi schedule --period 2026-10
expect_out ": 1 policy expected; nothing changed" "schedule again: 1 policy expected"
kasi ingest "$fixtures/world/softycomp_transactions_20261103.csv"
expect_out "applied: 1 row, 1 counted" "ingest: 1 row"
kasi reconcile --period 2026-10
expect_out "reconciled 2026-10: 1 policy" "reconcile: 1 policy"
kasi report outcomes --period 2026-10 --out "$tmp/o.csv"
expect_out "outcomes 2026-10: 1 policy:" "report: 1 policy"

kasi ingest "$fixtures/world/softycomp_transactions_20261103.csv"
expect_status 1 "the same file again is a duplicate"
kasi status
expect_out "files: 3 applied, 0 rejected, 1 skipped as a duplicate" "status: 1 skipped as a duplicate"
check "status: 1 file, 1 row" grep -qE '^  softycomp +softycomp_transactions +2026-11-03 +1 file +1 row  ' <<<"$out"
check "status: 1 outcome" grep -qE '^  2026-10  scheduled .* 1 expected .* 1 outcome$' <<<"$out"

# And the plural stays plural.
"$KASI" ingest "$w/softycomp_transactions_20261001.csv" >/dev/null
kasi ingest "$w/softycomp_transactions_20261001.csv"
expect_status 1 "a second duplicate file"
kasi status
expect_out "files: 4 applied, 0 rejected, 2 skipped as duplicates" "status: 2 skipped as duplicates"
check "status: 4 rows" grep -qE '^  softycomp +softycomp_transactions +2026-10-01 +1 file +4 rows  ' <<<"$out"

# Ingest lists the first 100 discrepancies of a file, then counts the
# rest: 101 repeated transactions leave "1 more discrepancy", 102 "2 more
# discrepancies".
# softy FILE FIRST LAST: Softy Comp debits FIRST..LAST of 2026-10-21.
softy() {
	{
		head -1 "$w/softycomp_transactions_20261001.csv"
		for i in $(seq "$2" "$3"); do
			echo "$((880000 + i)),4,500,164061,2026-10-21T00:00:00,-1.00,SOFTY,1,2026-10-21T00:00:00,,"
		done
	} >"$tmp/$1"
}
softy softycomp_transactions_20261021.csv 1 101
softy softycomp_transactions_20261022.csv 1 102
softy softycomp_transactions_20261023.csv 1 103
"$KASI" ingest "$tmp/softycomp_transactions_20261021.csv" >/dev/null
kasi ingest "$tmp/softycomp_transactions_20261022.csv"
expect_out "softycomp_transactions_20261022.csv: ... and 1 more discrepancy" "ingest: 1 more discrepancy"
kasi ingest "$tmp/softycomp_transactions_20261023.csv"
expect_out "softycomp_transactions_20261023.csv: ... and 2 more discrepancies" "ingest: 2 more discrepancies"
expect_out "applied: 103 rows, 1 counted, 102 duplicates not counted" "ingest: 103 rows, 102 duplicates"

echo "1..$tap_n"
