#!/usr/bin/env bash
# A void is as if the file had never come: for each channel file of the
# fixture world, the world with every file applied, that one voided and
# its periods reconciled again, has the outcomes and discrepancies of the
# world in which that file never came (the file applied later, whose rows
# repeated the voided file's, counting in their place).
. "$(dirname "$0")/lib.sh"
export KASI_NOW=2026-11-30T08:00:00+02:00

build() { # build DB [LEAVE]: the world, every file but LEAVE, both months reconciled
	world "$1"
	world_ingest "$1" "${2:-}"
	"$KASI" --db "$1" schedule --period 2026-10 >/dev/null
	"$KASI" --db "$1" schedule --period 2026-11 >/dev/null
	reconcile_all "$1"
}
reconcile_all() {
	"$KASI" --db "$1" reconcile --period 2026-10 >/dev/null 2>&1
	"$KASI" --db "$1" reconcile --period 2026-11 >/dev/null 2>&1
}
# What a month came to: each policy's outcome, each discrepancy (but those
# of rows of voided files, kept for the record, and a copy of a file's
# bytes skipped: a note of what arrived, not of money).
snapshot() {
	sql "$1" "SELECT o.period, p.policy_number, o.status, o.collected, o.pending, ifnull(o.reason, '')
		FROM outcomes o JOIN policies p USING (policy_id) ORDER BY 1, 2;
		SELECT d.period, d.code, ifnull(d.transaction_id, ''), ifnull(d.reference, ''),
		       ifnull(d.expected, ''), ifnull(d.actual, '')
		FROM discrepancies d LEFT JOIN files f USING (file_id)
		WHERE f.voided IS NULL AND d.code <> 'DUPLICATE_FILE' ORDER BY 1, 2, 3, 4, 5, 6"
}

all=$tmp/all.db
build "$all"
cp "$all" "$tmp/base.db"
for f in $(world_files); do
	name=$(basename "$f")
	case $name in *.gz | easypay_recon_20261021.csv) continue ;; esac # a copy; a rejected file
	voided=$tmp/voided.db
	cp "$tmp/base.db" "$voided"
	if ! "$KASI" --db "$voided" void "$name" --note "never came" >/dev/null 2>&1; then
		not_ok "void $name"
		continue
	fi
	reconcile_all "$voided"
	never=$tmp/never.db
	rm -f "$never"
	build "$never" "/$name(\.gz)?\$" # (its gzip copy, the same bytes, skipped as a duplicate)
	if diff <(snapshot "$voided") <(snapshot "$never") >"$tmp/diff"; then
		ok "voiding $name is as if it never came"
	else
		not_ok "voiding $name is as if it never came"
		diag <"$tmp/diff"
	fi
done
echo "1..$tap_n"
