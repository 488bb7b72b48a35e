#!/usr/bin/env bash
# make install puts kasi and its schemas under PREFIX, and the installed
# binary finds them without --schemas or $KASI_SCHEMAS, for any PREFIX.
. "$(dirname "$0")/lib.sh"

prefix=$tmp/prefix
make -s -C "$KASI_ROOT" install PREFIX="$prefix" KASI_BIN="$KASI" >/dev/null 2>"$tmp/install.err"
status=$?
check "make install PREFIX=... succeeds" test "$status" -eq 0
check "kasi is installed under PREFIX/bin" test -x "$prefix/bin/kasi"
for s in "$KASI_ROOT"/schemas/*.schema "$KASI_ROOT"/schemas/unpaid_reasons.csv; do
	check "$(basename "$s") is installed" cmp -s "$s" "$prefix/share/kasi/schemas/$(basename "$s")"
done

out=$(cd "$tmp" && env -u KASI_SCHEMAS "$prefix/bin/kasi" validate "$fixtures/world/policies.csv" 2>&1)
status=$?
expect_status 0 "the installed kasi finds the installed schemas"
expect_out "schema policies" "and uses them"

echo "1..$tap_n"
