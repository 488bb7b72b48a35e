#!/usr/bin/env bash
# A file in UTF-16 or UTF-32 (with a byte order mark or without) is said
# to be so once, under rule `encoding`, and read no further: not two dozen
# header errors full of \x00. Through validate and ingest alike.
. "$(dirname "$0")/lib.sh"

src=$fixtures/world/easypay_recon_20261005.csv
mkdir -p "$tmp/in"
for enc in UTF-16 UTF-16LE UTF-16BE UTF-32 UTF-32LE UTF-32BE; do
	f=$tmp/in/$enc/easypay_recon_20261005.csv
	mkdir -p "$(dirname "$f")"
	iconv -f UTF-8 -t "$enc" "$src" > "$f"
	case $enc in
	UTF-16 | UTF-16LE) name="UTF-16 (little-endian)" ;;
	UTF-16BE) name="UTF-16 (big-endian)" ;;
	UTF-32 | UTF-32LE) name="UTF-32 (little-endian)" ;;
	UTF-32BE) name="UTF-32 (big-endian)" ;;
	esac
	kasi validate "$f"
	expect_status 65 "$enc: rejected"
	expect_out "$f: encoding: the file is $name, not UTF-8: save it as UTF-8 (expected UTF-8 text)" \
		"regression: $enc was 25 header errors: now one encoding error naming $name"
	expect_out "invalid: 1 error (encoding 1) in 0 rows" "$enc: exactly one error, no row read"
	check "$enc: no \\x00 in the report" eval '! grep -qF "\\x00" <<<"$out"'
done

# Compressed, the decompressed content is what is judged.
f=$tmp/in/gz/easypay_recon_20261005.csv.gz
mkdir -p "$(dirname "$f")"
iconv -f UTF-8 -t UTF-16 "$src" | gzip -c > "$f"
kasi validate "$f"
expect_status 65 "UTF-16 inside gzip: rejected"
expect_out "invalid: 1 error (encoding 1)" "UTF-16 inside gzip: one encoding error"

kasi validate --json "$tmp/in/UTF-16/easypay_recon_20261005.csv"
got=$(jq -r '"\(.error_count) \(.errors[0].rule) \(.errors[0].row) \(.complete)"' <<<"$out")
check "--json: one error, rule encoding, no row, read not complete ($got)" \
	test "$got" = "1 encoding null false"

db=$tmp/kasi.db
world "$db" || { echo "not ok - the fixture world loads"; exit 1; }
kasi --db "$db" ingest "$tmp/in/UTF-16/easypay_recon_20261005.csv"
expect_status 65 "ingest of a UTF-16 file: rejected"
expect_out "encoding: the file is UTF-16 (little-endian)" "ingest prints the encoding error"
check "ingest records FILE_REJECTED" \
	test "$(sql "$db" "SELECT count(*) FROM discrepancies WHERE code = 'FILE_REJECTED'")" = 1
iconv -f UTF-8 -t UTF-16 "$fixtures/world/products.csv" > "$tmp/in/products.csv"
kasi --db "$db" load products "$tmp/in/products.csv"
expect_status 65 "load of a UTF-16 register: rejected"
expect_out "invalid: 1 error (encoding 1)" "load says it once"

echo "1..$tap_n"
