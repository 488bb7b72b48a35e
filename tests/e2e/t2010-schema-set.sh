#!/usr/bin/env bash
# The schema set is checked whole when it loads, before any file is read:
# a mistake is exit 78 with the schema's file and line.
#
# Regression: two schemas describing one channel were caught only when a
# period was reconciled, naming neither file; a label with control
# characters was accepted and printed raw by 'kasi explain'.
. "$(dirname "$0")/lib.sh"

schemas=$tmp/schemas
mkdir -p "$schemas"
cp "$KASI_ROOT"/schemas/* "$schemas/"
sed 's/^file_name .*/file_name ^softy_v2_(?<date>[0-9]{8})\\.csv$/' \
	"$schemas/softycomp_transactions.schema" >"$schemas/softycomp_v2.schema"
kasi --schemas "$schemas" validate "$fixtures/world/products.csv"
expect_status 78 "two schemas of one channel: the set is refused (exit 78)"
expect_err "$schemas/softycomp_v2.schema:4: channel softycomp is described by $schemas/softycomp_transactions.schema:4 already" \
	"naming both files and lines"
rm "$schemas/softycomp_v2.schema"

printf 'label Softy\033[2J Comp\n' >>"$schemas/softycomp_transactions.schema"
sed -i '/^label Softy Comp$/d' "$schemas/softycomp_transactions.schema"
kasi --schemas "$schemas" validate "$fixtures/world/products.csv"
expect_status 78 "a label with control characters is refused"
expect_err "softycomp_transactions.schema:" "naming the schema"
expect_err "label: control characters" "and what is wrong"
check "the control character is not echoed" test -z "$(grep -F $'\033' <<<"$err")"

echo "1..$tap_n"
