#!/usr/bin/env bash
# A .csv.gz may hold several gzip members one after the other: all of
# them are the file's content, through validate and ingest. Anything else
# after a member is an error (rule gzip) naming the file: it used to be
# dropped without a word, and the file validated and ingested short.
. "$(dirname "$0")/lib.sh"

w=$fixtures/world/easypay_recon_20261005.csv
mkdir -p "$tmp/members" "$tmp/trailing"
head -2 "$w" | gzip -c > "$tmp/a.gz"
tail -n +3 "$w" | gzip -c > "$tmp/b.gz"
members=$tmp/members/easypay_recon_20261005.csv.gz
cat "$tmp/a.gz" "$tmp/b.gz" > "$members"
rows=$(($(wc -l < "$w") - 1))

kasi validate "$members"
expect_status 0 "cat a.gz b.gz > c.csv.gz is valid"
expect_out "valid: $rows rows, $(wc -c < "$w") bytes (gzip)" "every member's rows and bytes are read ($rows rows)"

db=$tmp/kasi.db
world "$db" || { echo "not ok - the fixture world loads"; exit 1; }
kasi --db "$db" ingest "$members"
expect_status 0 "two members ingest"
check "every row of both members is a fact" \
	test "$(sql "$db" "SELECT count(*) FROM facts WHERE channel = 'easypay'")" = "$rows"
kasi --db "$db" ingest "$w"
expect_status 1 "the same content, uncompressed, is a duplicate of it (one identity)"
expect_out "DUPLICATE_FILE" "DUPLICATE_FILE"

# A member, then plain rows: the rows after it were dropped silently.
trailing=$tmp/trailing/easypay_recon_20261006.csv.gz
{ sed 's/20261005/20261006/g; s/2026-10-05/2026-10-06/g' "$w" | gzip -c; printf 'EP_TXN_20261006_009,91234567890103,topup,M,T,,2026-10-06T10:00:00+02:00,10.00,settled,,\n'; } > "$trailing"
member=$(sed 's/20261005/20261006/g; s/2026-10-05/2026-10-06/g' "$w" | gzip -c | wc -c)
kasi validate "$trailing"
expect_status 65 "regression: plain bytes after a gzip member were dropped silently: now rejected"
expect_out "$trailing: gzip: bytes after the end of the gzip data (from byte $member): not another gzip member" \
	"rule gzip, naming the file and where the stray bytes begin"
before=$(sql "$db" "SELECT count(*) FROM facts")
kasi --db "$db" ingest "$trailing"
expect_status 65 "ingest rejects it"
expect_out "FILE_REJECTED" "FILE_REJECTED"
check "and stores none of its rows" test "$(sql "$db" "SELECT count(*) FROM facts")" = "$before"

echo "1..$tap_n"
