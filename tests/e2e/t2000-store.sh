#!/usr/bin/env bash
# kasi init: create, migrate in place, refuse a newer store; commands that
# need a store say so when there is none.
. "$(dirname "$0")/lib.sh"

db=$tmp/kasi.db
kasi --db "$db" init
expect_status 0 "kasi init creates a store"
expect_out "created store $db (version 1)" "and says so"
check "the store is at version 1" test "$(sql "$db" 'PRAGMA user_version')" = 1
check "in WAL mode" test "$(sql "$db" 'PRAGMA journal_mode')" = wal

kasi --db "$db" init
expect_status 0 "kasi init on a current store exits 0"
expect_out "is up to date" "and changes nothing"

KASI_DB="$db" kasi status
expect_status 0 "\$KASI_DB names the store"

# An older store (version 0: a database without kasi's tables) is migrated.
old=$tmp/old.db
sql "$old" "CREATE TABLE unrelated (x); PRAGMA user_version = 0;"
kasi --db "$old" init
expect_status 0 "a version-0 store is migrated"
check "to version 1" test "$(sql "$old" 'PRAGMA user_version')" = 1
check "keeping what it held" test "$(sql "$old" "SELECT count(*) FROM sqlite_master WHERE name = 'unrelated'")" = 1

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

kasi --db "$tmp/none.db" status
expect_status 66 "no store: exit 66"
expect_err "kasi init" "pointing at kasi init"
check "and no store is created by accident" test ! -e "$tmp/none.db"

echo "1..$tap_n"
