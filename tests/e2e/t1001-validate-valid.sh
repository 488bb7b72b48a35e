#!/usr/bin/env bash
# Every valid fixture passes with a one-line summary; the edge cases of
# the issue (BOM + CRLF, quoted comma and doubled quote, empty optional
# cashier_id, .csv.gz) among them, with the row counts they were written
# with.
. "$(dirname "$0")/lib.sh"

for f in "$fixtures"/world/*.csv* "$fixtures"/valid/*/*; do
	name=${f#"$fixtures"/}
	# The world's 21 October EasyPay file is invalid on purpose (its
	# FILE_REJECTED is part of the month, tests/e2e/t3000-world.sh).
	[ "$name" = world/easypay_recon_20261021.csv ] && continue
	kasi validate "$f"
	expect_status 0 "$name is valid"
	expect_out "$f: valid: " "$name gets a one-line summary"
	lines=$(printf '%s\n' "$out" | wc -l)
	check "$name prints one line" test "$lines" -eq 1
done

# Summaries carry rows, bytes, schema and date.
kasi validate "$fixtures/valid/bom-crlf/easypay_recon_20261005.csv"
expect_out "valid: 3 rows, 647 bytes, schema easypay_recon, date 2026-10-05" \
	"BOM + CRLF: 3 rows, all bytes counted, schema and date named"
kasi validate "$fixtures/valid/quoted-fields/easypay_recon_20261005.csv"
expect_out "valid: 4 rows," "quoted comma, doubled quote and a quoted line break: 4 rows"
kasi validate "$fixtures/valid/empty-cashier/easypay_recon_20261005.csv"
expect_out "valid: 1 row," "an empty optional cashier_id is valid"
kasi validate "$fixtures/valid/gzip/easypay_recon_20261005.csv.gz"
expect_out "valid: 2 rows, 479 bytes (gzip)" ".csv.gz is read transparently"
kasi validate "$fixtures/valid/gzip-named-csv/easypay_recon_20261005.csv"
expect_out "(gzip)" "gzip content is recognised by its magic bytes, not its name"
kasi validate "$fixtures/valid/header-only/easypay_recon_20261005.csv"
expect_out "valid: 0 rows," "a header-only file is valid"
kasi validate "$fixtures/valid/trailing-blank-lines/easypay_recon_20261005.csv"
expect_out "valid: 2 rows," "trailing empty lines are ignored"
kasi validate "$fixtures/valid/mixed-line-ends/easypay_recon_20261005.csv"
expect_out "valid: 3 rows," "LF and CRLF mixed, no final newline: 3 rows"
kasi validate "$fixtures/valid/offsets/easypay_recon_20261005.csv"
expect_out "valid: 5 rows," "Z, +0200, -02:30 and fractions convert to the SAST date"
kasi validate "$fixtures/world/policies.csv"
expect_out "valid: 13 rows," "the policy register: 13 policies"

# The reason mapping shipped as data validates against its own schema.
kasi validate "$KASI_ROOT/schemas/unpaid_reasons.csv"
expect_status 0 "schemas/unpaid_reasons.csv is valid"

echo "1..$tap_n"
