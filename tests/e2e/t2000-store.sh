#!/usr/bin/env bash
# kasi init: create, migrate in place, refuse a newer store; commands that
# need a store say so when there is none.
. "$(dirname "$0")/lib.sh"

db=$tmp/kasi.db
kasi --db "$db" init
expect_status 0 "kasi init creates a store"
expect_out "created store $db (version " "and says so"
current=$(sed -n 's/.*(version \([0-9]*\)).*/\1/p' <<<"$out")
check "the store is at the version it says ($current)" test "$(sql "$db" 'PRAGMA user_version')" = "${current:-x}"
check "in WAL mode" test "$(sql "$db" 'PRAGMA journal_mode')" = wal
check "with 16 KiB pages (a page read or written carries four times SQLite's default)" \
	test "$(sql "$db" 'PRAGMA page_size')" = 16384

kasi --db "$db" init
expect_status 0 "kasi init on a current store exits 0"
expect_out "is up to date" "and changes nothing"

KASI_DB="$db" kasi status
expect_status 0 "\$KASI_DB names the store"

# Regression: the store, which holds names and ID numbers, was created
# mode 0644 (and SQLite gives its -wal and -shm the main file's mode).
# hold DB: the store held open (a reader in the middle of a transaction,
# so that its -wal and -shm exist) until release.
hold() {
	rm -f "$tmp/hold" && mkfifo "$tmp/hold"
	sqlite3 "$1" <"$tmp/hold" >/dev/null 2>&1 &
	held=$!
	exec 3>"$tmp/hold"
	echo "BEGIN; SELECT count(*) FROM files;" >&3
	for _ in $(seq 100); do [ -e "$1-shm" ] && [ -e "$1-wal" ] && break; sleep 0.05; done
}
release() {
	exec 3>&-
	wait "$held" 2>/dev/null
}
modes() { stat -c %a "$1" "$1-wal" "$1-shm" | tr '\n' ' '; }

check "kasi init creates the store 0600" test "$(stat -c %a "$db")" = 600
hold "$db"
check "and its -wal and -shm are 0600 too" test "$(modes "$db")" = "600 600 600 "
release

loose=$tmp/loose.db
"$KASI" --db "$loose" init >/dev/null
chmod 644 "$loose"
hold "$loose"
check "a store an older kasi made 0644 has a -wal and -shm 0644" test "$(modes "$loose")" = "644 644 644 "
kasi --db "$loose" init
expect_status 0 "kasi init on a 0644 store ..."
check "... makes it and its -wal and -shm 0600" test "$(modes "$loose")" = "600 600 600 "
expect_err "was mode 0644: made 0600" "and says so"
release

# Another application's database (no kasi version, tables of its own) is
# not a store: kasi adds nothing to it, nor changes its mode or journal.
# (Regression: kasi init added kasi's tables to it.)
old=$tmp/old.db
sql "$old" "CREATE TABLE unrelated (x); PRAGMA user_version = 0;"
chmod 644 "$old"
kasi --db "$old" init
expect_status 78 "kasi init refuses another application's database (exit 78)"
expect_err "'$old' is not a kasi store: an SQLite database with tables of its own ('unrelated', ...)" "saying so"
check "and adds nothing to it" test "$(sql "$old" "SELECT group_concat(name) FROM sqlite_master")" = unrelated
check "nor changes its mode or its journal" test "$(stat -c %a "$old") $(sql "$old" 'PRAGMA journal_mode')" = "644 delete"
kasi --db "$old" status
expect_status 78 "other commands refuse it too"
expect_err "is not a kasi store" "alike"
# (regression: a database of another application's that sets its own
# user_version was taken for a kasi store: made 0600, put in WAL mode,
# migrated or called up to date)
versioned=$tmp/versioned.db
sql "$versioned" "CREATE TABLE t (x); PRAGMA user_version = 13;"
chmod 644 "$versioned"
kasi --db "$versioned" init
expect_status 78 "kasi init refuses another application's database that has a version of its own"
expect_err "'$versioned' is not a kasi store: an SQLite database at version 13 without kasi's tables" "saying so"
check "and changes nothing in it: mode, journal, tables" \
	test "$(stat -c %a "$versioned") $(sql "$versioned" 'PRAGMA journal_mode') $(sql "$versioned" "SELECT group_concat(name) FROM sqlite_master")" = "644 delete t"
kasi --db "$versioned" status
expect_status 78 "and so does every other command"
check "which changes nothing either" test "$(sql "$versioned" 'PRAGMA journal_mode')" = delete
# other_program DB: another program's database DB (a table t of one row,
# mode 0644), and that program (sqlite3) at work on it, taking its
# statements from file descriptor $to_program; its pid in $program.
other_program() {
	sql "$1" "CREATE TABLE t (x); INSERT INTO t VALUES ('keep');"
	chmod 644 "$1"
	rm -f "$1.fifo" && mkfifo "$1.fifo"
	sqlite3 "$1" <"$1.fifo" >/dev/null 2>&1 &
	program=$!
	exec {to_program}>"$1.fifo"
}
# (regression: another application's database it could not read for the
# moment was taken for kasi's) Locked by its program for two seconds:
# kasi waits, then sees it is not kasi's.
busy=$tmp/busy.db
other_program "$busy"
locker=$program
echo "BEGIN EXCLUSIVE; INSERT INTO t VALUES (2);" >&"$to_program"
for _ in $(seq 100); do [ -s "$busy-journal" ] && break; sleep 0.05; done
(sleep 2 && echo "COMMIT;" >&"$to_program") &
kasi --db "$busy" init
expect_status 78 "kasi init on another application's locked database waits, then refuses it"
expect_err "is not a kasi store: an SQLite database with tables of its own ('t', ...)" "saying why"
exec {to_program}>&-
wait "$locker" 2>/dev/null
check "and changes nothing in it" \
	test "$(stat -c %a "$busy") $(sql "$busy" 'PRAGMA journal_mode') $(sql "$busy" 'SELECT count(*) FROM t') $(sql "$busy" 'PRAGMA user_version')" = "644 delete 2 0"
# Left with a transaction its program never finished (killed): kasi
# cannot read it without finishing that transaction, which is not its to
# do.
hot=$tmp/hot.db
other_program "$hot"
crashing=$program
echo "PRAGMA cache_size = 10; BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) INSERT INTO t SELECT randomblob(1000) FROM n; SELECT 'inserted';" >&"$to_program"
for _ in $(seq 200); do [ "$(stat -c %s "$hot-journal" 2>/dev/null || echo 0)" -gt 100000 ] && break; sleep 0.05; done
sleep 0.5
kill -9 "$crashing"
wait "$crashing" 2>/dev/null
exec {to_program}>&-
check "(a hot journal is left beside it)" test -s "$hot-journal"
kasi --db "$hot" init
expect_status 74 "kasi init refuses a database another program left mid-transaction"
expect_err "holds an unfinished transaction of the program that last wrote it" "saying so"
check "and changes nothing: its journal is still there, its mode and rows as they were" \
	test "$(stat -c %a "$hot") $([ -s "$hot-journal" ] && echo journal)" = "644 journal"
check "(its program's transaction, rolled back by sqlite3, leaves its one row)" \
	test "$(sql "$hot" 'SELECT count(*) FROM t')" = 1
echo "policy_number,premium" >"$tmp/not-a-db.csv"
kasi --db "$tmp/not-a-db.csv" init
expect_status 78 "a file that is no database is refused"
expect_err "is not a kasi store (not an SQLite database)" "saying so"
check "and left as it was" test "$(cat "$tmp/not-a-db.csv")" = "policy_number,premium"
# An empty file, or a database of nothing, is kasi's to make.
: >"$tmp/empty.db"
kasi --db "$tmp/empty.db" status
expect_status 66 "an empty file is no store yet (exit 66)"
expect_err "no kasi store at '$tmp/empty.db' (create it with 'kasi init')" "saying how to make one"
# (regression: a command refused an empty file after writing SQLite's
# header into it, with 4 KiB pages, which kasi init then kept)
check "and leaves it empty" test "$(stat -c %s "$tmp/empty.db")" = 0
kasi --db "$tmp/empty.db" report outcomes --period 2026-10
expect_status 66 "a report of an empty file: no store yet (exit 66)"
check "and it stays empty" test "$(stat -c %s "$tmp/empty.db")" = 0
kasi --db "$tmp/empty.db" init
expect_status 0 "kasi init makes a store of an empty file"
check "with 16 KiB pages, as every new store" test "$(sql "$tmp/empty.db" 'PRAGMA page_size')" = 16384

# A store written by a newer kasi is left alone.
new=$tmp/new.db
"$KASI" --db "$new" init >/dev/null
sql "$new" "PRAGMA user_version = 99;"
kasi --db "$new" init
expect_status 78 "a newer store is refused"
expect_err "newer than this kasi" "with the reason"
check "and not touched" test "$(sql "$new" 'PRAGMA user_version')" = 99
kasi --db "$new" status
expect_status 78 "commands refuse a store at another version"

# A migration that fails leaves the store as it was: all or nothing (a
# version-1 store whose last script cannot apply: a table of its name is
# there already).
half=$tmp/half.db
sqlite3 "$half" <"$fixtures/store/v1-world.sql"
sql "$half" "CREATE TABLE file_periods (x);"
kasi --db "$half" init
expect_status 74 "a migration that cannot apply fails"
check "and rolls back entirely" test "$(sql "$half" 'PRAGMA user_version') $(sql "$half" "SELECT count(*) FROM sqlite_master WHERE name IN ('movements', 'fact_keys')")" = "1 0"

# A store written by kasi 0.1.0 (version 1, fixtures/store/v1-world.sql:
# the fixture world's October, reconciled) is migrated in place, all its
# data kept: its facts are given their meaning from their schemas, the cash
# payment code column takes its current name, its reconciled periods are
# taken to have seen the files applied in a second before they were
# reconciled (a file of the same second counts as after: out of date,
# never wrongly current), and the month reconciles as worked out by hand
# once the files that store never saw (mobile money's, November's) are
# ingested by today's kasi.
v1=$tmp/v1.db
sqlite3 "$v1" <"$fixtures/store/v1-world.sql"
last=$(sql "$v1" "SELECT max(file_id) FROM files WHERE outcome = 'applied'")
sql "$v1" "UPDATE files SET applied_at = '2026-11-02T06:00:00Z';
	UPDATE files SET applied_at = '2026-11-02T07:00:00Z' WHERE file_id = $last;
	UPDATE periods SET reconciled_at = '2026-11-02T07:00:00Z' WHERE period = '2026-10';"
kasi --db "$v1" status
expect_status 78 "a version-1 store is refused until migrated"
expect_err "run 'kasi init' to migrate it to $current" "saying how"
kasi --db "$v1" init
expect_status 0 "a version-1 store is migrated"
expect_out "migrated store $v1 from version 1 to $current" "and says so"
check "keeping the 4 KiB pages it was made with" test "$(sql "$v1" 'PRAGMA page_size')" = 4096
check "keeping its outcomes" test "$(sql "$v1" "SELECT count(*) FROM outcomes WHERE period = '2026-10'")" = 12
check "every fact has its meaning" test "$(sql "$v1" "SELECT count(*) FROM facts WHERE canonical_kind IS NULL")" = 0
check "the unpaids are reversals" test "$(sql "$v1" "SELECT group_concat(DISTINCT canonical_kind) FROM facts WHERE kind = '7'")" = reversal
check "a cashout means nothing to count" test "$(sql "$v1" "SELECT group_concat(DISTINCT canonical_kind) FROM facts WHERE kind = 'cashout'")" = ignored
check "the five cash payment codes (POL-1005, 1006, 1007, 1009, 1012) are in cash_code" test "$(sql "$v1" "SELECT count(cash_code) FROM policies")" = 5
check "and indexed under the current name" test "$(sql "$v1" "SELECT count(*) FROM sqlite_master WHERE name = 'policies_by_cash_code'")" = 1
check "no index is left of the old name" test "$(sql "$v1" "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'policies'")" = 3
check "October seen through the files of an earlier second" \
	test "$(sql "$v1" "SELECT reconciled_through_file FROM periods WHERE period = '2026-10'")" = $((last - 1))
kasi --db "$v1" status
check "so the file of its own second puts October out of date" \
	test "$(grep '^  2026-10  scheduled' <<<"$out" | grep -o 'OUT OF DATE.*')" = "OUT OF DATE: 1 file applied or voided since"
kasi --db "$v1" ingest "$fixtures/world/mobilemoney_transactions_20261022.csv"
expect_status 0 "a channel kasi 0.1.0 did not know ingests into the migrated store"
kasi --db "$v1" ingest "$fixtures/world/softycomp_transactions_20261103.csv"
expect_status 0 "November's file ingests into the migrated store"
kasi --db "$v1" report outcomes --period 2026-10 --out "$tmp/v1-outcomes.csv"
expect_status 65 "October's outcomes are refused until it is reconciled again"
kasi --db "$v1" reconcile --period 2026-10
kasi --db "$v1" report outcomes --period 2026-10 --out "$tmp/v1-outcomes.csv"
check "its October is the one worked out by hand" cmp -s "$tmp/v1-outcomes.csv" "$KASI_ROOT/tests/e2e/expected/world_outcomes_2026-10.csv"
kasi --db "$v1" init
expect_out "is up to date" "migrating again changes nothing"

# Regression: a directory given as the store got SQLite's "unable to open
# database file" (exit 74).
mkdir -p "$tmp/dir"
kasi --db "$tmp/dir" status
expect_status 66 "--db naming a directory exits 66"
expect_err "'$tmp/dir' is a directory" "and says so"
kasi --db "$tmp/dir" init
expect_status 66 "kasi init too"
expect_err "(--db $tmp/dir/kasi.db?)" "suggesting a file in it"
check "and nothing is created in it" test -z "$(ls -A "$tmp/dir")"

kasi --db "$tmp/none.db" status
expect_status 66 "no store: exit 66"
expect_err "kasi init" "pointing at kasi init"
check "and no store is created by accident" test ! -e "$tmp/none.db"

echo "1..$tap_n"
