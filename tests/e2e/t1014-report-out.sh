#!/usr/bin/env bash
# Where --out points decides how a report is written: a new or regular
# file is replaced whole or not at all; a symbolic link stays a link (the
# file it names is replaced); a character device or a FIFO is written
# straight through (no temporary file, no rename: /dev/null stays a
# device); a directory is a usage mistake (exit 64). Messages name the
# path given, never the temporary file.
#
# Regression: --out to a character device, a FIFO or a symbolic link
# replaced it with a regular file (as root, --out /dev/null would have
# replaced /dev/null); --out /tmp exited 74 "cannot rename '/tmp.tmp-N' to
# '/tmp'"; and errors named the temporary file ("cannot create
# '/nonexistent/x.csv.tmp-N'"). A settlement report to a device put its
# payout instructions in the device's directory.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/four_policies.sh"

db=$tmp/kasi.db
export KASI_DB=$db
four_policies "$db"
day_file "$tmp/in" softycomp_transactions_20261001.csv "$softy_header" \
	'101,4,9,2001,2026-10-01T00:00:00,-100.00,,1,2026-10-01T00:00:00,,'
"$KASI" ingest "$tmp/in/softycomp_transactions_20261001.csv" >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null
dir=$tmp/out
mkdir -p "$dir"

# A FIFO is written straight through, and stays a FIFO.
mkfifo "$dir/fifo"
cat "$dir/fifo" >"$tmp/from-fifo" &
reader=$!
kasi report outcomes --period 2026-10 --out "$dir/fifo"
expect_status 0 "a report to a FIFO is written"
# (A report that never opened the FIFO leaves its reader waiting.)
if [ -p "$dir/fifo" ]; then wait "$reader"; else kill "$reader" 2>/dev/null; fi
check "through the FIFO, whole" test "$(wc -l <"$tmp/from-fifo")" = 5
check "which stays a FIFO" test -p "$dir/fifo"
check "no temporary file is left" test -z "$(ls "$dir" | grep tmp)"

# A symbolic link to a file: the file is replaced, the link stays.
echo old >"$dir/real.csv"
ln -s real.csv "$dir/link.csv"
kasi report outcomes --period 2026-10 --out "$dir/link.csv"
expect_status 0 "a report to a symbolic link is written"
check "the link stays a link" test -L "$dir/link.csv"
check "and the file it names holds the report" grep -q '^TP-1,PA,2026-10,PAID_FULL' "$dir/real.csv"

# A symbolic link to /dev/null: written through, the link stays.
ln -s /dev/null "$dir/null"
kasi report discrepancies --period 2026-10 --out "$dir/null" --gzip
expect_status 0 "a report to a link to /dev/null is written"
check "the link stays a link to /dev/null" test "$(readlink "$dir/null")" = /dev/null
check "and no .gz is made beside it" test ! -e "$dir/null.gz"
check "/dev/null is still a character device" test -c /dev/null

# A character device of our own (where the system lets us make one).
mkdir -p "$dir/dev" "$tmp/cwd"
if mknod "$dir/dev/null" c 1 3 2>/dev/null; then
	kasi report outcomes --period 2026-10 --out "$dir/dev/null"
	expect_status 0 "a report to a character device is written"
	check "which stays a character device" test -c "$dir/dev/null"
	# The settlement's payout instructions go to the current directory,
	# not into the device's.
	"$KASI" settle --through 2026-10-31 >/dev/null
	payouts_conf "$tmp/payouts.conf"
	export KASI_PAYOUTS=$tmp/payouts.conf
	(cd "$tmp/cwd" && "$KASI" report settlement --through 2026-10-31 --out "$dir/dev/null" >"$tmp/say" 2>&1)
	check "a settlement to a device puts no payout instruction beside it" \
		test "$(ls "$dir/dev")" = null
	check "but in the current directory" test -n "$(ls "$tmp/cwd"/payout_*.json 2>/dev/null)"
else
	ok "# SKIP no mknod here: a character device of our own"
fi

# A directory is a usage mistake, named as given.
kasi report outcomes --period 2026-10 --out "$dir"
expect_status 64 "a directory for --out is a usage error (exit 64)"
expect_err "'$dir' is a directory: give the report a file name" "naming the directory"
check "and it is left alone" test -d "$dir"
kasi report outcomes --period 2026-10 --out /tmp
expect_status 64 "--out /tmp likewise"

# Errors name the path given, not the temporary file.
kasi report outcomes --period 2026-10 --out "$tmp/nonexistent/x.csv"
expect_status 74 "a report into a missing directory fails (exit 74)"
expect_err "cannot create '$tmp/nonexistent/x.csv': No such file or directory" "naming the path given"
check "no temporary name in the message" test -z "$(grep -o 'tmp-[0-9]*' <<<"$err")"
ln -s nowhere "$dir/dangling.csv"
kasi report outcomes --period 2026-10 --out "$dir/dangling.csv"
expect_status 74 "a link to nothing is refused"
check "and stays a link to nothing" test "$(readlink "$dir/dangling.csv")" = nowhere

echo "1..$tap_n"
