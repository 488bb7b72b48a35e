#!/usr/bin/env bash
# A void puts out of date every reconciled period it can change, so that
# reconciling just those gives what a store that never saw the voided file
# gives reconciling every period. Four sequences a property test found
# (thousands of random ingests and voids against a store rebuilt from the
# files that still count), each a regression:
#   1. voiding a collection moves an unpaid onto another collection of the
#      same collectionId and cycleDate, in another month (that month was
#      not put out of date);
#   2. the void makes a repeat unpaid count, and it names its original by
#      id in another month (that month was not put out of date);
#   3. the void makes a repeat collection count, and it ends an unpaid's
#      orphan in the unpaid's own month (that month was not put out of
#      date);
#   4. the void makes a repeat collection count ahead of another
#      collection of its cycle, which its unpaid no longer takes back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/four_policies.sh"

# softy CASE DAY ROW...: the case's Softy Comp file of DAY (YYYYMMDD), of
# rows "id,type,collectionId,date,amount,cycle,original,reason".
softy() {
	local in=$tmp/$1 name=$2 row id type ref date amount cycle orig why
	shift 2
	mkdir -p "$in"
	{
		echo "$softy_header"
		for row in "$@"; do
			IFS=, read -r id type ref date amount cycle orig why <<<"$row"
			echo "$id,$type,9,$ref,${date}T00:00:00,$amount,,1,${cycle}T00:00:00,$orig,$why"
		done
	} >"$in/softycomp_transactions_$name.csv"
}
# store DB: the four policies, September to December scheduled and reconciled.
store() {
	rm -f "$1" "$1"-wal "$1"-shm
	four_policies "$1"
	local p
	for p in 09 10 11 12; do
		"$KASI" --db "$1" schedule --period 2026-$p >/dev/null
		"$KASI" --db "$1" reconcile --period 2026-$p >/dev/null
	done
}
out_of_date() { "$KASI" --db "$1" status | grep -oE '^  2026-[0-9]{2}  scheduled.*OUT OF DATE' | cut -c3-9 | tr '\n' ' '; }
reconcile_out_of_date() {
	local p
	for p in $(out_of_date "$1"); do "$KASI" --db "$1" reconcile --period "$p" >/dev/null; done
}
results() {
	sql "$1" "SELECT period, policy_id, status, collected, ifnull(reason, '') FROM outcomes ORDER BY 1, 2"
	sql "$1" "SELECT period, code, transaction_id, detail FROM discrepancies WHERE source = 'reconcile' ORDER BY 1, 2, 3"
}
# ingest DB FILE: applied (exit 1 when it holds a repeat), or the test
# says why not.
ingest() {
	"$KASI" --db "$1" ingest "$2" >"$tmp/ingest.out" 2>&1
	[ $? -le 1 ] && grep -q ": applied: " "$tmp/ingest.out" ||
		{ not_ok "$(basename "$2") is applied"; diag <"$tmp/ingest.out"; }
}
# sequence CASE NAME VOID DAY...: store A applies the case's files of
# those days in order and voids VOID's, reconciling after each step only
# what is out of date; store B applies the files but VOID's and
# reconciles every period. Same results?
sequence() {
	local in=$tmp/$1 name=$2 void=$3 f
	shift 3
	local a=$tmp/$name-a.db b=$tmp/$name-b.db
	store "$a"
	for f in "$@"; do
		ingest "$a" "$in/softycomp_transactions_$f.csv"
		reconcile_out_of_date "$a"
	done
	"$KASI" --db "$a" void "softycomp_transactions_$void.csv" --note "sent in error" >/dev/null
	voided_out_of_date=$(out_of_date "$a")
	reconcile_out_of_date "$a"
	store "$b"
	for f in "$@"; do
		[ "$f" = "$void" ] || ingest "$b" "$in/softycomp_transactions_$f.csv"
	done
	for p in 09 10 11 12; do "$KASI" --db "$b" reconcile --period 2026-$p >/dev/null; done
	results "$a" >"$tmp/$name-a.txt"
	results "$b" >"$tmp/$name-b.txt"
	if cmp -s "$tmp/$name-a.txt" "$tmp/$name-b.txt"; then ok "$name: reconciling what the void put out of date ($voided_out_of_date) gives what a store without the file gives"; else
		not_ok "$name: reconciling what the void put out of date ($voided_out_of_date) gives what a store without the file gives"
		diff "$tmp/$name-a.txt" "$tmp/$name-b.txt" | diag
	fi
}

# 1. 201 took back 101 (September); 101 voided, it takes back 102, October's.
softy 1 20260901 '101,4,2001,2026-09-01,-100.00,2026-09-01,,'
softy 1 20261001 '102,4,2001,2026-10-01,-100.00,2026-09-01,,'
softy 1 20260920 '201,7,2001,2026-09-20,-100.00,2026-09-01,,Account Closed'
sequence 1 "another collection of the cycle" 20260901 20260901 20261001 20260920
check "the void puts October out of date ($voided_out_of_date)" grep -q 2026-10 <<<"$voided_out_of_date"

# 2. 201 of 5 November repeats 201 of 5 December (another cycle); the
# December file voided, November's 201 counts and names 101, September's.
softy 2 20260901 '101,4,2001,2026-09-01,-100.00,2026-09-01,,'
softy 2 20261205 '201,7,2001,2026-12-05,-100.00,2026-12-01,,Account Closed'
softy 2 20261105 '201,7,2001,2026-11-05,-100.00,2026-11-01,101,Account Closed'
sequence 2 "a repeat unpaid that counts now" 20261205 20260901 20261205 20261105
check "the void puts September out of date ($voided_out_of_date)" grep -q 2026-09 <<<"$voided_out_of_date"

# 3. 201 (20 October, September's cycle) is October's orphan; the repeat
# 101 of 1 November, of that cycle, counts once December's 101 is voided.
softy 3 20261201 '101,4,2001,2026-12-01,-100.00,2026-12-01,,'
softy 3 20261020 '201,7,2001,2026-10-20,-100.00,2026-09-01,,Account Closed'
softy 3 20261101 '101,4,2001,2026-11-01,-100.00,2026-09-01,,'
sequence 3 "a repeat collection that ends an orphan" 20261201 20261201 20261020 20261101
check "the void puts October out of date ($voided_out_of_date)" grep -q 2026-10 <<<"$voided_out_of_date"

# 4. The repeat 101 (1 November, September's cycle) counts once December's
# 101 is voided, and came before 102 (2 October): 201 takes it back, not 102.
softy 4 20261201 '101,4,2001,2026-12-01,-100.00,2026-12-01,,'
softy 4 20261101 '101,4,2001,2026-11-01,-100.00,2026-09-01,,'
softy 4 20261002 '102,4,2001,2026-10-02,-100.00,2026-09-01,,'
softy 4 20261020 '201,7,2001,2026-10-20,-100.00,2026-09-01,,Account Closed'
sequence 4 "a repeat collection ahead of another of its cycle" 20261201 20261201 20261101 20261002 20261020
check "the void puts October out of date ($voided_out_of_date)" grep -q 2026-10 <<<"$voided_out_of_date"

echo "1..$tap_n"
