#!/usr/bin/env bash
# kasi ingest: all or nothing; duplicate files and transactions never
# counted twice (a conflicting repeat says what differs: regression, its
# expected and actual were empty); rejected files recorded once.
. "$(dirname "$0")/lib.sh"

db=$tmp/kasi.db
world "$db"
facts() { sql "$db" "SELECT count(*) || ' ' || ifnull(sum(amount), 0) FROM facts WHERE duplicate_of IS NULL"; }
disc() { sql "$db" "SELECT count(*) FROM discrepancies WHERE code = '$1'"; }

f=$fixtures/world/easypay_recon_20261005.csv
kasi --db "$db" ingest "$f"
expect_status 0 "a clean file applies: exit 0"
expect_out "applied: 3 rows, 3 counted" "3 rows counted"
check "as 3 facts, 670.00 in all" test "$(facts)" = "3 67000"
check "with file and row kept" test "$(sql "$db" "SELECT l.name || ':' || f.row FROM facts f JOIN files l USING (file_id) WHERE transaction_id = 'EP_TXN_20261005_003'")" = "easypay_recon_20261005.csv:4"
check "and the SAST business date" test "$(sql "$db" "SELECT business_date FROM facts WHERE transaction_id = 'EP_TXN_20261005_003'")" = 2026-10-05

kasi --db "$db" ingest "$f"
expect_status 1 "the same file again exits 1"
expect_out "DUPLICATE_FILE" "as DUPLICATE_FILE"
check "and nothing changes" test "$(facts)" = "3 67000"
kasi --db "$db" ingest "$f"
check "a third try records nothing more" test "$(disc DUPLICATE_FILE)" = 1

gzip -c "$f" > "$tmp/easypay_recon_20261005.csv.gz"
kasi --db "$db" ingest "$tmp/easypay_recon_20261005.csv.gz"
expect_status 1 "the same content compressed is the same file"
check "still nothing changes" test "$(facts)" = "3 67000"

# The same transaction in another file: not counted again.
mkdir -p "$tmp/d"
{ head -1 "$f"; sed -n 2p "$f"; sed -n 3p "$f" | sed 's/,50.00,/,55.00,/'; } > "$tmp/d/easypay_recon_20261005.csv"
kasi --db "$db" ingest "$tmp/d/easypay_recon_20261005.csv"
expect_status 1 "a file repeating transactions exits 1"
expect_out "DUPLICATE_TRANSACTION row 2 EP_TXN_20261005_001" "a repeat with the same content is DUPLICATE_TRANSACTION"
expect_out "CONFLICTING_DUPLICATE row 3 EP_TXN_20261005_002" "one with other content is CONFLICTING_DUPLICATE"
check "neither is counted" test "$(facts)" = "3 67000"
check "both are kept for the record" test "$(sql "$db" 'SELECT count(*) FROM facts WHERE duplicate_of IS NOT NULL')" = 2
check "the discrepancies name the policy" test "$(sql "$db" "SELECT reference FROM discrepancies WHERE code = 'CONFLICTING_DUPLICATE'")" = POL-1007
check "regression: the conflicting repeat's expected and actual are what differs, the counted row's and its own" \
	test "$(sql "$db" "SELECT expected || ' / ' || actual FROM discrepancies WHERE code = 'CONFLICTING_DUPLICATE'")" = "amount 50.00 / amount 55.00"
check "a repeat with the same content has none" \
	test "$(sql "$db" "SELECT count(*) FROM discrepancies WHERE code = 'DUPLICATE_TRANSACTION' AND expected IS NULL AND actual IS NULL")" = 1

# An invalid file loads nothing, and is recorded once however often it comes.
bad=$fixtures/invalid/luhn/easypay_recon_20261005.csv
kasi --db "$db" ingest "$bad"
expect_status 65 "an invalid file exits 65"
expect_out "row 4, column 'easypay_code', luhn:" "with its validation report"
expect_out "FILE_REJECTED" "and FILE_REJECTED"
check "nothing of it is stored" test "$(facts)" = "3 67000"
kasi --db "$db" ingest "$bad"
check "FILE_REJECTED is recorded once" test "$(disc FILE_REJECTED)" = 1
check "in the period of the file's date" test "$(sql "$db" "SELECT period FROM discrepancies WHERE code = 'FILE_REJECTED'")" = 2026-10

# Header-only files carry nothing: never duplicates of each other.
h=$fixtures/valid/header-only/easypay_recon_20261005.csv
mkdir -p "$tmp/h"
cp "$h" "$tmp/h/easypay_recon_20261007.csv"
kasi --db "$db" ingest "$h"
expect_status 0 "a header-only file applies"
kasi --db "$db" ingest "$tmp/h/easypay_recon_20261007.csv"
expect_status 0 "another with the same bytes is not a duplicate"

# Future-dated rows: OUT_OF_PERIOD, stored and counted.
cat > "$tmp/softycomp_transactions_20261002.csv" <<'CSV'
transactionId,transactionTypeId,clientId,collectionId,transactionDate,amount,reference,generationTypeId,cycleDate,originalTransactionId,unpaidReasonDescription
4846501,4,922,164061,2026-10-02T00:00:00,-10.00,SOFTY 000001,1,2026-10-02T00:00:00,,
4846502,4,922,164061,2026-10-05T00:00:00,-20.00,SOFTY 000001,1,2026-10-05T00:00:00,,
CSV
kasi --db "$db" ingest "$tmp/softycomp_transactions_20261002.csv"
expect_status 1 "a future-dated row exits 1"
expect_out "OUT_OF_PERIOD row 3 4846502" "as OUT_OF_PERIOD"
check "it is stored and counted" test "$(sql "$db" "SELECT count(*) FROM facts WHERE channel = 'softycomp' AND duplicate_of IS NULL")" = 2

# Files of many rows are stored many rows to a statement: repeats are
# still found one by one, wherever they fall in a batch.
hdr=$(head -1 "$fixtures/world/easypay_recon_20261005.csv")
row() { printf 'EP_TXN_%s_%03d,91234567890103,topup,EP_MERCHANT_1,EP_TERMINAL_1,,2026-10-12T10:00:00+02:00,%s,settled,Spar,RCP-%03d\n' "$1" "$2" "$3" "$2"; }
{ echo "$hdr"; for i in $(seq 100); do row 20261012 "$i" 10.00; done; } > "$tmp/easypay_recon_20261012.csv"
mkdir -p "$tmp/b"
{
	echo "$hdr"
	for i in $(seq 100); do
		case $i in
		5 | 100) row 20261012 "$i" 10.00 ;; # the same row again
		40) row 20261012 "$i" 11.00 ;;     # the same id, another amount
		*) row 20261012B "$i" 1.00 ;;
		esac
	done
} > "$tmp/b/easypay_recon_20261012.csv"
kasi --db "$db" ingest "$tmp/easypay_recon_20261012.csv"
expect_status 0 "a file of 100 rows applies"
expect_out "applied: 100 rows, 100 counted" "every row counted"
kasi --db "$db" ingest "$tmp/b/easypay_recon_20261012.csv"
expect_status 1 "a file of 100 rows with three repeats exits 1"
expect_out "applied: 100 rows, 97 counted" "97 of them counted"
expect_out "DUPLICATE_TRANSACTION row 6 EP_TXN_20261012_005" "a repeat in the first batch"
expect_out "CONFLICTING_DUPLICATE row 41 EP_TXN_20261012_040" "a conflict in the second"
expect_out "DUPLICATE_TRANSACTION row 101 EP_TXN_20261012_100" "a repeat in the last, short one"
check "the repeats are kept, each a duplicate of its first" \
	test "$(sql "$db" "SELECT group_concat(d.row || '>' || o.row, ' ') FROM (SELECT * FROM facts WHERE duplicate_of IS NOT NULL AND transaction_id LIKE 'EP_TXN_20261012_%' ORDER BY row) d JOIN facts o ON o.fact_id = d.duplicate_of")" = "6>6 41>41 101>101"
check "the counted sum is the first file's and the new rows'" \
	test "$(sql "$db" "SELECT sum(amount) FROM facts WHERE duplicate_of IS NULL AND transaction_id LIKE 'EP_TXN_20261012%'")" = $((100 * 1000 + 97 * 100))

# Several files at once: each in its own transaction, in the order given;
# the exit status is the worst of theirs.
db3=$tmp/several.db
world "$db3"
kasi --db "$db3" ingest "$fixtures/world/easypay_recon_20261005.csv" "$bad" \
	"$fixtures/world/easypay_recon_20261005.csv" "$tmp/nothing.csv"
expect_status 66 "a missing file among several: the worst status, 66"
expect_out "easypay_recon_20261005.csv: applied: 3 rows" "the first file applied"
expect_out "rejected: nothing loaded" "the invalid one rejected"
expect_out "skipped: a duplicate of easypay_recon_20261005.csv" "the repeat skipped"
check "the good file's rows are stored once" \
	test "$(sql "$db3" "SELECT count(*) FROM facts WHERE duplicate_of IS NULL")" = 3
kasi --db "$db3" ingest "$fixtures/world/softycomp_transactions_20261001.csv" "$fixtures/world/collexia_results_20261017.csv"
expect_status 0 "two clean files of two channels: exit 0"
check "both stored" test "$(sql "$db3" "SELECT count(DISTINCT channel) FROM facts")" = 3
kasi --db "$db3" ingest
expect_status 64 "no file at all is a usage error"

kasi --db "$db" ingest "$fixtures/world/products.csv"
expect_status 78 "reference data is not ingested"
kasi --db "$db" ingest "$tmp/nothing.csv"
expect_status 66 "a missing file exits 66"

echo "1..$tap_n"
