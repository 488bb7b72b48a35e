#!/usr/bin/env bash
# What validate, load and ingest are given to read must be a regular file:
# a named pipe is refused at once (it used to hang them for ever), a
# directory is named as one (exit 66), and all three say it alike.
. "$(dirname "$0")/lib.sh"

db=$tmp/kasi.db
world "$db" || { echo "not ok 1 - the fixture world loads"; exit 1; }
facts() { sql "$db" "SELECT count(*) FROM facts"; }

mkdir -p "$tmp/in/somedir"
fifo=$tmp/in/easypay_recon_20261005.csv
mkfifo "$fifo"

# run_bounded DESC ARGS...: kasi ARGS, killed after 10 s (exit 124).
run_bounded() {
	local d=$1
	shift
	out=$(timeout 10 "$KASI" "$@" 2>"$tmp/.stderr")
	status=$?
	err=$(cat "$tmp/.stderr")
	check "regression: $d hung on a named pipe: now it returns (exit $status)" test "$status" -ne 124
	expect_status 66 "$d: exit 66"
}
said="'$fifo' is a named pipe, not a regular file"
before=$(facts)
run_bounded "validate" validate "$fifo"
expect_err "$said" "validate says it is a named pipe"
run_bounded "validate --json" validate --json "$fifo"
expect_out "\"message\": \"$said\"" "validate --json says so in its error document"
run_bounded "ingest" --db "$db" ingest "$fifo"
expect_err "$said" "ingest says it is a named pipe"
run_bounded "load" --db "$db" load products "$fifo"
expect_err "$said" "load says it is a named pipe"
check "the store holds no new fact" test "$(facts)" = "$before"
run_bounded "ingest of a named pipe and a file" --db "$db" ingest "$fifo" "$fixtures/world/easypay_recon_20261005.csv"
expect_err "$said" "ingest of two: says the first is a named pipe"
expect_out "easypay_recon_20261005.csv: applied" "and goes on to apply the second"
check "the named pipe is still there, untouched" test -p "$fifo"

# A directory, with or without the slash.
for d in "$tmp/in/somedir/" "$tmp/in/somedir"; do
	kasi --db "$db" ingest "$d"
	expect_status 66 "regression: ingest of a directory ($d) was 'no schema matches': exit 66"
	expect_err "'$d' is a directory" "ingest names '$d' as a directory"
	kasi validate "$d"
	expect_status 66 "validate of a directory: exit 66"
	expect_err "'$d' is a directory" "validate names '$d' as a directory"
	kasi --db "$db" load policies "$d"
	expect_status 66 "load of a directory: exit 66"
	expect_err "'$d' is a directory" "load names '$d' as a directory"
done

# A schema directory holding a named pipe: refused, not a hang.
mkdir -p "$tmp/schemas"
cp "$KASI_ROOT"/schemas/*.schema "$tmp/schemas/"
mkfifo "$tmp/schemas/zz.schema"
out=$(timeout 10 "$KASI" --schemas "$tmp/schemas" validate "$fixtures/world/products.csv" 2>"$tmp/.stderr")
status=$?
err=$(cat "$tmp/.stderr")
expect_status 78 "regression: a named pipe among the schemas hung every command: now exit 78"
expect_err "zz.schema' is a named pipe, not a regular file" "naming it"

echo "1..$tap_n"
