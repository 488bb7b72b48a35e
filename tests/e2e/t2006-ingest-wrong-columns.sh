#!/usr/bin/env bash
# kasi ingest of a channel file whose header lacks its date column, or
# whose rows lack a date: rejected data (exit 65, the report that `kasi
# validate` prints, FILE_REJECTED recorded), never an I/O error.
. "$(dirname "$0")/lib.sh"

db=$tmp/kasi.db
world "$db" || { echo "not ok 1 - the fixture world loads"; exit 1; }
w=$fixtures/world
facts() { sql "$db" "SELECT count(*) FROM facts"; }

# Each channel's file with its date column (the one `map date` names) renamed.
for pair in easypay_recon_20261005:transaction_timestamp \
	softycomp_transactions_20261001:transactionDate \
	collexia_results_20261015:messageDate; do
	name=${pair%%:*} col=${pair#*:}
	mkdir -p "$tmp/$name"
	f=$tmp/$name/$name.csv
	sed "1s/\\b$col\\b/${col}_x/" "$w/$name.csv" > "$f"
	kasi validate "$f"
	report=$out
	before=$(facts)
	kasi --db "$db" ingest "$f"
	expect_status 65 "regression: $name with '$col' renamed stopped as an I/O error (74): now exit 65"
	check "$name: no 'no business date' stop" test -z "$err"
	while IFS= read -r line; do
		expect_out "$line" "$name: prints what validate says: ${line#"$f: "}"
	done <<<"$report"
	expect_out "$f: FILE_REJECTED: " "$name: says FILE_REJECTED"
	got=$(sql "$db" "SELECT count(*) FROM discrepancies d JOIN files f USING (file_id) WHERE d.code = 'FILE_REJECTED' AND f.name = '$name.csv'")
	check "$name: FILE_REJECTED is recorded ($got)" test "$got" = 1
	check "$name: no fact is stored" test "$(facts)" = "$before"
done

# A schema may leave its date column optional: a row without a date is
# bad data at its row, not "row 2: no business date" and exit 74.
mkdir -p "$tmp/schemas" "$tmp/opt"
cp "$KASI_ROOT"/schemas/*.schema "$tmp/schemas/"
sed -i '/^column transactionDate$/,/^$/s/^\trequired$/\toptional/' "$tmp/schemas/softycomp_transactions.schema"
grep -A2 '^column transactionDate' "$tmp/schemas/softycomp_transactions.schema" | grep -q optional ||
	echo "# the schema edit did not take"
f=$tmp/opt/softycomp_transactions_20261001.csv
awk -F, -v OFS=, 'NR == 3 { $5 = "" } { print }' "$w/softycomp_transactions_20261001.csv" > "$f"
before=$(facts)
kasi --db "$db" --schemas "$tmp/schemas" ingest "$f"
expect_status 65 "regression: a row without a business date stopped the ingest as an I/O error: now exit 65"
expect_out "$f: row 3, column 'transactionDate', required: the row has no business date" \
	"naming the row and the date column"
check "and no fact is stored" test "$(facts)" = "$before"

# A schema whose date column carries no date check cannot give a
# business date at all: a configuration error, before any row.
sed -i '/^column transactionDate$/,/^$/{/date yyyy/d}' "$tmp/schemas/softycomp_transactions.schema"
kasi --db "$db" --schemas "$tmp/schemas" ingest "$w/softycomp_transactions_20261001.csv"
expect_status 78 "a date column without a date check is a configuration error"
expect_err "maps date to column 'transactionDate', which has no date or timestamp check" \
	"naming the column"
check "and no fact is stored" test "$(facts)" = "$before"

echo "1..$tap_n"
