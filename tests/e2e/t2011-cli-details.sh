#!/usr/bin/env bash
# The command line's small courtesies, each once a tester's finding:
# a read-only store is read; a repeated option is refused, not silently
# the last; a mistyped command gets a "did you mean"; a command's option
# put before it is pointed after it; status's help has its exit codes,
# its columns line up whatever a channel is called, and an empty section
# says none.
. "$(dirname "$0")/lib.sh"

db=$tmp/kasi.db
export KASI_DB=$db
world "$db"
"$KASI" ingest "$fixtures/world/mobilemoney_transactions_20261022.csv" >/dev/null
"$KASI" schedule --period 2026-10 >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null

# Regression: a read-only store failed even 'kasi status' with exit 74
# "attempt to write a readonly database". (As root, a store is made
# read-only by reading it as another user.)
ro=$tmp/ro
mkdir -p "$ro"
cp "$db" "$ro/kasi.db"
chmod 444 "$ro/kasi.db"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 711 "$tmp"
	chmod 777 "$ro"
	reader() { setpriv --reuid=65534 --regid=65534 --clear-groups "$KASI" --db "$ro/kasi.db" "$@"; }
else
	reader() { "$KASI" --db "$ro/kasi.db" "$@"; }
fi
as_reader() {
	out=$(reader "$@" 2>"$tmp/.stderr")
	status=$?
	err=$(cat "$tmp/.stderr")
}
as_reader status
expect_status 0 "kasi status reads a read-only store"
expect_out "2026-10  scheduled" "and shows it"
as_reader report outcomes --period 2026-10 --out -
expect_status 0 "a report of a read-only store is written"
expect_out "POL-1001,FUNERAL_01,2026-10," "with its outcomes"
as_reader explain POL-1001 --period 2026-10
expect_status 0 "kasi explain reads it"
as_reader schedule --period 2026-11
expect_status 74 "what would write it fails"
expect_err "is read-only for this user: " "saying the store is read-only"
check "and it is unchanged" cmp -s "$db" "$ro/kasi.db"
# (regression: kasi init said it could not create the store it had found)
as_reader init
expect_status 74 "kasi init cannot migrate or touch a read-only store"
expect_err "cannot write the store '$ro/kasi.db'" "and says it cannot write it, not create it"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	# Its directory read-only too: a reader cannot make the store's -shm
	# index there. Said so, not "attempt to write a readonly database".
	rm -f "$ro/kasi.db-shm" "$ro/kasi.db-wal"
	chmod 755 "$ro"
	as_reader status
	expect_status 74 "a read-only store in a read-only directory cannot be read"
	expect_err "is read-only for this user, and so is its directory" "and kasi says why"
else
	ok "# SKIP not root: the read-only directory case"
	ok "# SKIP"
fi

# Regression: a repeated option silently used the last.
kasi reconcile --period 2026-10 --period 2026-11
expect_status 64 "--period twice is a usage error"
expect_err "--period is given twice ('2026-10', then '2026-11'): give it once" "naming both"
kasi report outcomes --period 2026-10 --out "$tmp/a.csv" --out "$tmp/b.csv"
expect_status 64 "--out twice too"
check "and nothing is written" test ! -e "$tmp/a.csv" -a ! -e "$tmp/b.csv"
kasi settle --through 2026-10-31 --through=2026-11-30
expect_status 64 "--through twice too"
kasi ingest --schema easypay_recon --schema ledger "$fixtures/world/easypay_recon_20261005.csv"
expect_status 64 "--schema twice too"

# Regression: a mistyped command had no suggestion.
kasi reconcil --period 2026-10
expect_status 64 "an unknown command is a usage error"
expect_err "unknown command 'reconcil' (did you mean 'kasi reconcile'?)" "with a suggestion"
kasi help reconcil
expect_err "no command named 'reconcil' (did you mean 'reconcile'?)" "in kasi help too"
kasi frobnicate
expect_err "unknown command 'frobnicate'" "nothing like a command: no suggestion"
check "none made" test -z "$(grep 'did you mean' <<<"$err")"

# Regression: 'kasi --period 2026-10 reconcile' said only "unknown global
# option '--period'".
kasi --db "$db" --period 2026-10 reconcile
expect_status 64 "a command's option before the command is a usage error"
expect_err "unknown global option '--period': a command's options go after the command: kasi --db $db reconcile --period 2026-10" \
	"with the command line meant"

# Regression: 'kasi help status' had no exit codes.
kasi help status
expect_out "exit: 0 shown, 64 usage, 66 no store, 74 I/O error" "kasi help status lists its exit codes"

# Regression: a channel name longer than the column (mobilemoney) broke
# the alignment of status's files, and an empty periods section was blank.
kasi status
columns=$(sed -n '/^files:/,/^$/p' <<<"$out" | grep '^  ' | awk '{ print index($0, $2) }' | sort -u | wc -l)
check "the schema column starts at one place on every line" test "$columns" = 1
kasi --db "$tmp/new.db" init
kasi --db "$tmp/new.db" status
check "an empty store's periods and discrepancies say none" \
	test "$(sed -n '/^periods:/{n;p}; /^discrepancies:/{n;p}' <<<"$out" | tr -d ' ' | tr '\n' ' ')" = "none none "

echo "1..$tap_n"
