#!/usr/bin/env bash
# Reconciling a period again writes only what changed: an outcome or
# movement the same as the stored one is left, a changed one replaced, a
# new one added, one that no longer follows from the facts deleted. The
# store must hold exactly what reconciling into empty tables writes.
#
# Oracle: the same store, its period's outcomes and movements deleted by
# hand before the same reconcile. Between the two reconciles: later files
# add movements and change outcomes; a voided file takes movements away;
# a policy cancelled in the register changes an outcome's status.
. "$(dirname "$0")/lib.sh"

export KASI_NOW=2026-11-30T08:00:00+02:00
db=$tmp/kasi.db
world "$db"
"$KASI" --db "$db" schedule --period 2026-10 >/dev/null
later='collexia_results_20261017|softycomp_transactions_20261025|mobilemoney'
world_ingest "$db" "$later"
"$KASI" --db "$db" reconcile --period 2026-10 >/dev/null

# table DB T: the period's rows of T, whole, in key order.
table() {
	case $2 in
	outcomes) sql "$1" "SELECT * FROM outcomes WHERE period = '2026-10' ORDER BY policy_id" ;;
	movements) sql "$1" "SELECT * FROM movements WHERE period = '2026-10' ORDER BY fact_id, kind" ;;
	esac
}
table "$db" outcomes >"$tmp/o1"
table "$db" movements >"$tmp/m1"
check "the first reconcile wrote outcomes and movements" test -s "$tmp/o1" -a -s "$tmp/m1"

# What changes: the later files, a void, a cancelled policy.
for f in $(world_files | grep -E "$later"); do "$KASI" --db "$db" ingest "$f" >/dev/null 2>&1; done
voided=softycomp_transactions_20261006.csv
kasi --db "$db" void "$voided" --note "sent twice by mistake"
expect_status 0 "a file of the period is voided"
awk -F, -v OFS=, 'NR == 2 { $10 = "cancelled"; $12 = "2026-10-10" } { print }' \
	"$fixtures/world/policies.csv" >"$tmp/policies.csv"
kasi --db "$db" load policies "$tmp/policies.csv"
expect_status 0 "a policy is cancelled in the register"

# afresh LABEL: reconcile again, and beside it, into emptied tables, a
# copy of the store as it was; the period's tables must be the same.
afresh() {
	cp "$db" "$tmp/oracle.db"
	sql "$tmp/oracle.db" "DELETE FROM outcomes WHERE period = '2026-10';
	                      DELETE FROM movements WHERE period = '2026-10'"
	kasi --db "$db" reconcile --period 2026-10
	check "$1: reconciled again (exit 0 or 1)" test "$status" -le 1
	kasi --db "$tmp/oracle.db" reconcile --period 2026-10
	check "$1: the oracle reconciled into empty tables" test "$status" -le 1
	local t
	for t in outcomes movements; do
		table "$db" $t >"$tmp/${t:0:1}2"
		table "$tmp/oracle.db" $t >"$tmp/${t:0:1}x"
		check "$1: $t written again are exactly the $t written afresh" \
			cmp -s "$tmp/${t:0:1}2" "$tmp/${t:0:1}x"
	done
}
afresh "later files, a void, a cancellation"
check "some outcomes changed between the reconciles" \
	test "$(comm -13 <(sort "$tmp/o1") <(sort "$tmp/o2") | wc -l)" -gt 0
check "some outcomes stored before are gone (replaced)" \
	test "$(comm -23 <(sort "$tmp/o1") <(sort "$tmp/o2") | wc -l)" -gt 0
file_id=$(sql "$db" "SELECT file_id FROM files WHERE name = '$voided' AND voided IS NOT NULL")
check "the voided file had movements before ..." \
	grep -q "^2026-10|$((file_id * 4294967296 + 2))|" "$tmp/m1"
check "... and has none now" \
	test "$(awk -F'|' -v lo=$((file_id * 4294967296)) -v hi=$(((file_id + 1) * 4294967296)) \
		'$2 >= lo && $2 < hi' "$tmp/m2" | wc -l)" = 0
check "the later files added movements" \
	test "$(comm -13 <(sort "$tmp/m1") <(sort "$tmp/m2") | wc -l)" -gt 0

# Nothing changed since: a third reconcile leaves every row as it is.
kasi --db "$db" reconcile --period 2026-10
check "a third reconcile (nothing new) ..." test "$status" -le 1
table "$db" outcomes >"$tmp/o3"
table "$db" movements >"$tmp/m3"
check "... keeps the outcomes" cmp -s "$tmp/o2" "$tmp/o3"
check "... and the movements" cmp -s "$tmp/m2" "$tmp/m3"
check "and the period still holds movements to settle" \
	test "$(sql "$db" "SELECT unsettled FROM periods WHERE period = '2026-10'")" = 1

# The last file applied voided: the period's last movements go (nothing
# after them is written to find them by).
last=$(basename "$(world_files | grep -E "$later" | tail -1)")
m_before=$(wc -l <"$tmp/m3")
kasi --db "$db" void "$last" --note "wrong file"
expect_status 0 "the last file applied is voided"
afresh "the last file voided"
check "its movements are gone" test "$(wc -l <"$tmp/m2")" -lt "$m_before"
echo "1..$tap_n"
