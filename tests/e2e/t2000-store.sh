#!/usr/bin/env bash
# kasi init: create, migrate in place, refuse a newer store; commands that
# need a store say so when there is none.
. "$(dirname "$0")/lib.sh"

db=$tmp/kasi.db
kasi --db "$db" init
expect_status 0 "kasi init creates a store"
expect_out "created store $db (version 2)" "and says so"
check "the store is at version 2" test "$(sql "$db" 'PRAGMA user_version')" = 2
check "in WAL mode" test "$(sql "$db" 'PRAGMA journal_mode')" = wal

kasi --db "$db" init
expect_status 0 "kasi init on a current store exits 0"
expect_out "is up to date" "and changes nothing"

KASI_DB="$db" kasi status
expect_status 0 "\$KASI_DB names the store"

# Regression: the store, which holds names and ID numbers, was created
# mode 0644 (and SQLite gives its -wal and -shm the main file's mode).
# hold DB: a kasi with the store open (and its -wal and -shm made) until
# release: it waits on a FIFO for its input file.
hold() {
	rm -rf "$tmp/fifo" && mkdir "$tmp/fifo" && mkfifo "$tmp/fifo/softycomp_transactions_20261001.csv"
	"$KASI" --db "$1" ingest "$tmp/fifo/softycomp_transactions_20261001.csv" >/dev/null 2>&1 &
	held=$!
	for _ in $(seq 100); do [ -e "$1-shm" ] && [ -e "$1-wal" ] && break; sleep 0.05; done
}
release() {
	timeout 5 bash -c ': >"$1"' _ "$tmp/fifo/softycomp_transactions_20261001.csv"
	kill "$held" 2>/dev/null
	wait "$held"
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

# An older store (version 0: a database without kasi's tables) is migrated.
old=$tmp/old.db
sql "$old" "CREATE TABLE unrelated (x); PRAGMA user_version = 0;"
kasi --db "$old" init
expect_status 0 "a version-0 store is migrated"
check "to version 2" test "$(sql "$old" 'PRAGMA user_version')" = 2
check "keeping what it held" test "$(sql "$old" "SELECT count(*) FROM sqlite_master WHERE name = 'unrelated'")" = 1

# A version-1 store (before reconciliations recorded the files they saw)
# is migrated in place, its data kept. Such a store is this one with
# version 2's column dropped. Its reconciled periods are taken to have
# seen the files applied in a second before they were reconciled: a file
# of the same second counts as after (out of date, never wrongly current).
v1=$tmp/v1.db
world "$v1"
for f in softycomp_transactions_20261001.csv easypay_recon_20261005.csv softycomp_transactions_20261103.csv; do
	"$KASI" --db "$v1" ingest "$fixtures/world/$f" >/dev/null
done
for p in 2026-10 2026-11 2026-12; do "$KASI" --db "$v1" schedule --period $p >/dev/null; done
"$KASI" --db "$v1" reconcile --period 2026-10 >/dev/null
"$KASI" --db "$v1" reconcile --period 2026-11 >/dev/null
# Files 1-5 (the reference data, two October files) before October's
# reconciliation, the November file 6 after; November reconciled in the
# second file 6 was applied.
sql "$v1" "UPDATE files SET applied_at = '2026-11-01T10:00:00Z' WHERE file_id <= 5;
	UPDATE files SET applied_at = '2026-11-04T10:00:00Z' WHERE file_id = 6;
	UPDATE periods SET reconciled_at = '2026-11-02T10:00:00Z' WHERE period = '2026-10';
	UPDATE periods SET reconciled_at = '2026-11-04T10:00:00Z' WHERE period = '2026-11';
	ALTER TABLE periods DROP COLUMN reconciled_through_file; PRAGMA user_version = 1;"
kasi --db "$v1" status
expect_status 78 "a version-1 store is refused until migrated"
expect_err "run 'kasi init' to migrate it to 2" "saying how"
kasi --db "$v1" init
expect_status 0 "kasi init migrates a version-1 store"
expect_out "migrated store $v1 from version 1 to 2" "and says so"
check "keeping its outcomes" test "$(sql "$v1" "SELECT count(*) FROM outcomes WHERE period = '2026-10'")" = 12
check "reconciled periods seen through the files of an earlier second" \
	test "$(sql "$v1" "SELECT group_concat(period || ':' || ifnull(reconciled_through_file, '-'), ' ') FROM periods")" = "2026-10:5 2026-11:5 2026-12:-"
kasi --db "$v1" status
check "so the November file puts October out of date" \
	test "$(grep '^  2026-10  scheduled' <<<"$out" | grep -o 'OUT OF DATE.*')" = "OUT OF DATE: 1 file since"
kasi --db "$v1" report outcomes --period 2026-11 --out "$tmp/o11.csv"
expect_status 65 "a file of the second November was reconciled in counts as after it"
"$KASI" --db "$v1" reconcile --period 2026-10 >/dev/null
kasi --db "$v1" report outcomes --period 2026-10 --out "$tmp/o10.csv"
expect_status 0 "and once reconciled, October is reported"

# A store written by a newer kasi is left alone.
new=$tmp/new.db
sql "$new" "PRAGMA user_version = 99;"
kasi --db "$new" init
expect_status 78 "a newer store is refused"
expect_err "newer than this kasi" "with the reason"
check "and not touched" test "$(sql "$new" 'PRAGMA user_version')" = 99
kasi --db "$new" status
expect_status 78 "commands refuse a store at another version"

# A migration that fails leaves the store as it was: all or nothing.
half=$tmp/half.db
sql "$half" "CREATE TABLE files (x); PRAGMA user_version = 0;"
kasi --db "$half" init
expect_status 74 "a migration that cannot apply fails"
check "and rolls back entirely" test "$(sql "$half" 'PRAGMA user_version') $(sql "$half" "SELECT count(*) FROM sqlite_master WHERE name = 'policies'")" = "0 0"

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
