#!/usr/bin/env bash
# Exceptions, the finance team's worklist: every discrepancy of the fixture
# world is an exception with an id that survives re-reconciles, re-ingests
# and a store migration; one no longer found is cleared (kept); a
# resolution holds until the exception's values change; ages and the money
# at stake are as worked out by hand from the fixture files.
. "$(dirname "$0")/lib.sh"

db=$tmp/kasi.db
export KASI_DB=$db
world "$db"
T0=2026-11-01T01:00:00+02:00
export KASI_NOW=$T0
world_ingest "$db" 20261103
"$KASI" schedule --period 2026-10 >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null

# id CODE SUBJECT: the exception's id, from the store.
id() { sql "$db" "SELECT exception_id FROM exceptions WHERE code = '$1' AND subject = '$2'"; }
# row CODE: the listing's line of the exception of that code (one only).
line() { grep -E "^ +[0-9]+  2026-10  $1 " <<<"$out"; }

kasi exceptions
expect_status 0 "kasi exceptions lists the worklist"
expect_out "exceptions: 16 open, 0 resolved, 0 cleared; 16 listed" "each of October's 16 discrepancies is an open exception"
# At stake, by hand: 125.00 in our ledger against 120.00 in the file; an
# overpayment of 100.00 on an 80.00 premium; a 40.00 ledger record the
# file lacks; a 60.00 topup to a code nobody has; a rejected file: 0.
check "an amount mismatch puts the difference at stake (5.00)" grep -q ' 5\.00  0-1d ' <<<"$(line AMOUNT_MISMATCH)"
check "an overpayment puts what was paid over at stake (20.00)" grep -q ' 20\.00  0-1d ' <<<"$(line OVERPAYMENT)"
check "a record missing from the file puts its amount at stake (40.00)" grep -q ' 40\.00  0-1d ' <<<"$(line MISSING_FROM_FILE)"
check "a rejected file names the file and puts nothing at stake" grep -qE 'easypay_recon_20261021\.csv .* 0\.00  0-1d' <<<"$(line FILE_REJECTED)"
check "the most money at stake comes first: the failed 300.00 cashout" \
	grep -qE '^ +[0-9]+  2026-10  STATUS_MISMATCH .* 300\.00 ' <<<"$(sed -n 4p <<<"$out")"
check "a duplicate skipped (info) puts nothing at stake" grep -q ' 0\.00  0-1d ' <<<"$(line DUPLICATE_TRANSACTION)"
# (regression: the columns had fixed widths: a rejected file's name or a
# long code pushed the rest of its line out of line) Each column is as
# wide as its widest value: every row's amount ends, and its first seen
# starts, under the header's.
check "regression: the list's columns stay aligned with a file's name in them" \
	awk 'NR == 3 { stake = index($0, "at stake") + 7; seen = index($0, "first seen") }
	     NR > 3 && /^ +[0-9]+  / { if (substr($0, stake, 1) !~ /[0-9]/ || substr($0, stake + 1, 1) != " " ||
	                                  substr($0, seen, 4) !~ /^[0-9][0-9][0-9][0-9]$/) bad++ }
	     END { exit bad || !stake }' <<<"$out"
check "a topup to an unknown code, also missing from our ledger: 60.00 each" \
	test "$(grep -cE ' EP_TXN_20261020_006 +60\.00 ' <<<"$out")" = 2
# The total counts a transaction's money once (EP_TXN_20261020_006's 60.00;
# 4846103's 96.50 as a conflicting duplicate and 95.50 as a payment on a
# lapsed policy: the larger) and an info's none.
check "the money at stake adds up, a transaction once (300+180+150+120+100+96.50+60+50.50+40+20+5 = 1122.00)" \
	grep -q '1122.00 at stake' <<<"$out"
expect_out "by age: 0-1d 16 (1122.00), 2-7d 0 (0.00), 8-30d 0 (0.00), >30d 0 (0.00)" "counted by age"

# The discrepancies report carries each one's exception.
kasi report discrepancies --period 2026-10 --out "$tmp/d.csv"
check "the report gains id,status,first_seen,age after detail" \
	test "$(head -1 "$tmp/d.csv" | tr -d '\r')" = "code,severity,channel,file,row,reference,transaction_id,expected,actual,detail,id,status,first_seen,age"
sqlite3 "$tmp/cmp.db" ".import --csv $tmp/d.csv d"
kasi exceptions --json
printf '%s\n' "$out" >"$tmp/x.json"
check "--json is one JSON document" test "$(sql "$tmp/cmp.db" "SELECT json_valid(CAST(readfile('$tmp/x.json') AS TEXT))")" = 1
sql "$tmp/cmp.db" "CREATE TABLE x AS SELECT json_extract(value, '\$.id') AS id, json_extract(value, '\$.code') AS code,
	json_extract(value, '\$.transaction_id') AS tx, json_extract(value, '\$.at_stake') AS at_stake
	FROM json_each(json_extract(CAST(readfile('$tmp/x.json') AS TEXT), '\$.exceptions'))"
check "the report's ids are the worklist's, row for row" \
	test "$(sql "$tmp/cmp.db" "SELECT count(*) FROM d JOIN x ON CAST(x.id AS TEXT) = d.id AND x.code = d.code AND ifnull(x.tx, '') = d.transaction_id")" = 16
check "every row of the report is open, first seen at $T0, 0-1d" \
	test "$(sql "$tmp/cmp.db" "SELECT count(*) FROM d WHERE status = 'open' AND first_seen = '$T0' AND age = '0-1d'")" = 16
check "--json gives the money at stake as text in rands" \
	test "$(sql "$tmp/cmp.db" "SELECT at_stake FROM x WHERE code = 'AMOUNT_MISMATCH'")" = 5.00

# Reconciling again, days later: the same problems, the same ids.
before=$(sql "$db" "SELECT exception_id, code, subject, first_seen FROM exceptions ORDER BY 1")
T1=2026-11-04T01:00:00+02:00
KASI_NOW=$T1 "$KASI" reconcile --period 2026-10 >/dev/null
check "a reconcile later keeps every id and first_seen" \
	test "$(sql "$db" "SELECT exception_id, code, subject, first_seen FROM exceptions ORDER BY 1")" = "$before"
check "and marks them seen again" test "$(sql "$db" "SELECT count(*) FROM exceptions WHERE last_seen = '$T1'")" = 11
KASI_NOW=$T1 kasi exceptions
expect_out "by age: 0-1d 0 (0.00), 2-7d 16 (1122.00)" "three days on, all are 2-7d old"
# The same duplicate file again is the same problem, seen again.
dup=$(id DUPLICATE_FILE easypay_recon_20261005.csv.gz)
KASI_NOW=$T1 "$KASI" ingest "$fixtures/world/easypay_recon_20261005.csv.gz" >/dev/null 2>&1
check "a duplicate file sent again is no new exception: still the one ($dup)" \
	test "$(sql "$db" "SELECT count(*), max(exception_id) FROM exceptions WHERE code = 'DUPLICATE_FILE'")" = "1|$dup"

# A resolution: who, when, why; it survives a reconcile.
mismatch=$(id AMOUNT_MISMATCH EP_TXN_20261005_001)
USER=alice KASI_NOW=$T1 kasi exceptions resolve "$mismatch" --note "till short; EasyPay agreed"
expect_status 0 "an exception is resolved"
expect_out "resolved by alice: till short; EasyPay agreed" "saying by whom and why"
KASI_NOW=$T1 "$KASI" reconcile --period 2026-10 >/dev/null
kasi exceptions
expect_out "15 open, 1 resolved" "it stays resolved through a reconcile"
check "and leaves the open list" test -z "$(line AMOUNT_MISMATCH)"
kasi exceptions --all
check "--all shows it, resolved, with the note" grep -q "resolved by alice on $T1: till short; EasyPay agreed" <<<"$out"
KASI_NOW=$T1 kasi report discrepancies --period 2026-10 --out "$tmp/d2.csv"
check "the report says resolved" grep -q "^AMOUNT_MISMATCH,.*,$mismatch,resolved,$T0,2-7d" "$tmp/d2.csv"

# A resolution made by mistake is undone: reopened, by whom, when and why;
# open again through a reconcile, until resolved again.
USER=dave KASI_NOW=$T1 kasi exceptions reopen "$mismatch" --note "resolved the wrong one"
expect_status 0 "a resolved exception is reopened"
expect_out "AMOUNT_MISMATCH easypay POL-1005 EP_TXN_20261005_001, open) reopened by dave: resolved the wrong one" \
	"saying it is open again, by whom and why"
KASI_NOW=$T1 "$KASI" reconcile --period 2026-10 >/dev/null
kasi exceptions
expect_out "16 open, 0 resolved" "it stays open through a reconcile"
check "and is on the open list again" test -n "$(line AMOUNT_MISMATCH)"
kasi exceptions --all
check "--all shows the reopening, with its note" grep -q "reopened by dave on $T1: resolved the wrong one" <<<"$out"
kasi exceptions --json
check "--json: its latest entry is a reopening, which does not hold" \
	test "$(jq -r ".exceptions[] | select(.id == $mismatch) | \"\(.status) \(.resolution.reopened) \(.resolution.holds) \(.resolution.by)\"" <<<"$out")" = "open true false dave"
KASI_NOW=$T1 kasi report discrepancies --period 2026-10 --out "$tmp/d3.csv"
check "the report says open" grep -q "^AMOUNT_MISMATCH,.*,$mismatch,open,$T0,2-7d" "$tmp/d3.csv"
kasi exceptions reopen "$mismatch" --note "again"
expect_status 65 "an exception not resolved cannot be reopened: exit 65"
# (regression: every refusal said only "is not resolved", whatever the
# exception's history) It says why there is nothing to reopen.
expect_err "exception $mismatch was reopened already, on $T1: there is nothing to reopen" \
	"saying it was reopened already, and when"
kasi exceptions reopen "$dup" --note "by mistake"
expect_status 65 "an exception never resolved cannot be reopened: exit 65"
expect_err "exception $dup was never resolved: there is nothing to reopen" "saying it never was"
kasi exceptions reopen 99999 --note x
expect_status 66 "reopening an exception that does not exist exits 66"
kasi exceptions reopen "$mismatch"
expect_status 64 "a reopening needs a note"
expect_err "reopen needs --note TEXT: why it is open again" "saying what the note is for"
USER=alice KASI_NOW=$T1 kasi exceptions resolve "$mismatch" --note "till short; EasyPay agreed"
expect_status 0 "and it is resolved again"
kasi exceptions
expect_out "15 open, 1 resolved" "off the open list again"

# A resolved exception whose values change is open again: a later 30.00
# topup by POL-1012 makes its overpayment 50.00 (130.00 on 80.00).
over=$(id OVERPAYMENT POL-1012)
USER=bob kasi exceptions resolve "$over" --note "refund of 20.00 sent"
cat >"$tmp/easypay_recon_20261026.csv" <<'EOF'
transaction_id,easypay_code,transaction_type,merchant_id,terminal_id,cashier_id,transaction_timestamp,gross_amount,settlement_status,merchant_name,receipt_number
EP_TXN_20261026_001,91234567890608,topup,EP_MERCHANT_13579,EP_TERMINAL_007,CASHIER_311,2026-10-26T13:00:00+02:00,30.00,settled,Boxer - Umlazi,RCP-002301
EOF
T2=2026-11-05T01:00:00+02:00
export KASI_NOW=$T2
"$KASI" ingest "$tmp/easypay_recon_20261026.csv" >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null
kasi exceptions
check "the overpayment is the same exception ($over), open again, 50.00 at stake" \
	grep -qE "^ +$over  2026-10  OVERPAYMENT .* 50\.00 " <<<"$out"
kasi exceptions --all
expect_out "resolved (values changed since) by bob" "--all says its resolution no longer holds"

# Cleared: the new topup is missing from our ledger until the ledger has it.
missing=$(id MISSING_FROM_LEDGER EP_TXN_20261026_001)
check "the topup missing from the ledger is a new exception" test -n "$missing"
printf 'transaction_id,channel,reference,transaction_timestamp,amount,status\nEP_TXN_20261026_001,easypay,91234567890608,2026-10-26T13:00:00+02:00,30.00,settled\n' >"$tmp/ledger2.csv"
T3=2026-11-06T01:00:00+02:00
KASI_NOW=$T3 "$KASI" load ledger "$tmp/ledger2.csv" >/dev/null
KASI_NOW=$T3 "$KASI" reconcile --period 2026-10 >/dev/null
check "once the ledger has it, a reconcile clears it (kept, with the time)" \
	test "$(sql "$db" "SELECT cleared_at FROM exceptions WHERE exception_id = $missing")" = "$T3"
kasi exceptions
check "a cleared exception is not listed" test -z "$(line MISSING_FROM_LEDGER | grep EP_TXN_20261026_001)"
kasi exceptions --all --json
printf '%s\n' "$out" >"$tmp/all.json"
check "--all --json lists it as cleared" \
	test "$(sql "$tmp/cmp.db" "SELECT json_extract(value, '\$.status') FROM json_each(json_extract(CAST(readfile('$tmp/all.json') AS TEXT), '\$.exceptions')) WHERE json_extract(value, '\$.id') = $missing")" = cleared

# Ages, by the clock.
KASI_NOW=2026-11-11T01:00:00+02:00 kasi exceptions --period 2026-10
expect_out "8-30d 15" "ten days after first seen, 8-30d"
KASI_NOW=2026-12-11T01:00:00+02:00 kasi exceptions --period 2026-10
expect_out ">30d 15" "forty days after, >30d"
kasi exceptions --period 2026-09
expect_out "exceptions 2026-09: 0 open" "another period has none"

# Who resolves, without $USER (cron, systemd): $LOGNAME, else the account.
over2=$(id OVERPAYMENT POL-1012)
env -u USER -u LOGNAME "$KASI" exceptions resolve "$over2" --note "checked with the insurer" >/dev/null
check "regression: without \$USER the resolver is the account kasi runs as, not 'unknown'" \
	test "$(sql "$db" "SELECT resolved_by FROM exception_resolutions ORDER BY resolution_id DESC LIMIT 1")" = "$(whoami)"
env -u USER LOGNAME=carol "$KASI" exceptions resolve "$over2" --note "refund of 8001015009087 is 62001234567's" >/dev/null
check "else \$LOGNAME" test "$(sql "$db" "SELECT resolved_by FROM exception_resolutions ORDER BY resolution_id DESC LIMIT 1")" = carol
check "regression: an ID or account number typed in a note is kept masked but for its last 4" \
	test "$(sql "$db" "SELECT note FROM exception_resolutions ORDER BY resolution_id DESC LIMIT 1")" = "refund of *********9087 is *******4567's"

# Out of date: listed as the last reconcile left them, and said so.
printf '%s\n' 'transaction_id,easypay_code,transaction_type,merchant_id,terminal_id,cashier_id,transaction_timestamp,gross_amount,settlement_status,merchant_name,receipt_number' \
	'EP_TXN_20261028_001,91234567890301,topup,EP_MERCHANT_67890,EP_TERMINAL_005,CASHIER_1,2026-10-28T10:00:00+02:00,50.00,settled,Spar Mamelodi East,RCP-002501' \
	>"$tmp/easypay_recon_20261028.csv"
"$KASI" ingest "$tmp/easypay_recon_20261028.csv" >/dev/null
kasi exceptions --period 2026-10
expect_status 0 "an out-of-date period's exceptions are still listed"
expect_err "period 2026-10 is out of date (1 file applied or voided since its reconcile)" "regression: with a warning naming the period"
kasi --db "$tmp/none.db" exceptions --json
check "regression: --json that cannot work still prints a document, the error in it" \
	test "$(jq -r '.error.status' <<<"$out")" = "$status"
"$KASI" reconcile --period 2026-10 >/dev/null

# A resolution holds only for the values it was made on: the same
# transaction repeated again with another amount is open again.
conflict=$(id CONFLICTING_DUPLICATE 4846103)
kasi exceptions resolve "$conflict" --note "the first one counts; agreed"
printf '%s\n' 'transactionId,transactionTypeId,clientId,collectionId,transactionDate,amount,reference,generationTypeId,cycleDate,originalTransactionId,unpaidReasonDescription' \
	'4846103,5,930,164069,2026-10-01T00:00:00,-999.00,SOFTY 000009,1,2026-10-01T00:00:00,,' \
	>"$tmp/softycomp_transactions_20261008.csv"
"$KASI" ingest "$tmp/softycomp_transactions_20261008.csv" >/dev/null
kasi exceptions
check "regression: a repeat with another amount reopens a resolved conflicting duplicate (999.00 at stake)" \
	grep -qE "^ +$conflict  2026-10  CONFLICTING_DUPLICATE .* 999\.00 " <<<"$out"
kasi exceptions reopen "$conflict" --note "by mistake"
expect_status 65 "an exception whose resolution no longer holds cannot be reopened: exit 65"
expect_err "exception $conflict is open again already: its values changed since it was resolved on " \
	"saying its values changed since it was resolved"

# What people and files wrote is shown escaped, never as terminal codes.
USER=$'ev\e]0;x\a\e[31mil' "$KASI" exceptions resolve "$conflict" --note "seen" >/dev/null
kasi exceptions --all
check "regression: a \$USER holding escape codes is shown escaped" grep -qF 'ev\x1B]0;x\x07\x1B[31mil' <<<"$out"
check "no raw escape reaches the terminal" bash -c '! grep -qP "\x1b|\x07" <<<"$1"' _ "$out"
kasi exceptions resolve "$conflict" --note $'turned \xe2\x80\xae around'
expect_status 64 "regression: a note with a direction override is refused"

# A clock kasi cannot read is refused before anything is recorded.
KASI_NOW=soon kasi reconcile --period 2026-10
expect_status 78 "regression: KASI_NOW=soon is refused by reconcile too (it was recorded as the time)"
check "nothing was recorded at 'soon'" test "$(sql "$db" "SELECT count(*) FROM exceptions WHERE last_seen = 'soon' OR first_seen = 'soon'")" = 0

# Mistakes.
kasi exceptions --period 2026-13
expect_status 64 "a bad period is a usage error"
kasi exceptions resolve 99999 --note x
expect_status 66 "resolving an exception that does not exist exits 66"
expect_err "no exception 99999" "naming it"
kasi exceptions resolve "$mismatch"
expect_status 64 "a resolution needs a note"
kasi exceptions resolve "$mismatch" --note "$(printf 'two\nlines')"
expect_status 64 "a note is one line"
kasi exceptions resolve abc --note x
expect_status 64 "an id is a number"
kasi exceptions resolve " 7" --note x
expect_status 64 "regression: an id is digits only (no space, sign or leading zero)"
KASI_NOW=0001-01-01T00:00:00Z kasi exceptions
expect_status 78 "a KASI_NOW kasi cannot take is a configuration error"
check "nothing of these was recorded" test "$(sql "$db" "SELECT count(*) FROM exception_resolutions")" = 8

# A store written before exceptions (version 7) keeps every discrepancy,
# each now an exception first seen when the store first knew of it.
old=$tmp/v7.db
sqlite3 "$old" <"$fixtures/store/v7-world.sql"
chmod 600 "$old"
check "the version-7 store has 16 discrepancies" test "$(sql "$old" "SELECT count(*) FROM discrepancies")" = 16
kasi --db "$old" init
expect_status 0 "it is migrated"
check "its 16 discrepancies are kept" test "$(sql "$old" "SELECT count(*) FROM discrepancies")" = 16
check "each is one open exception" test "$(sql "$old" "SELECT count(*) FROM exceptions WHERE cleared_at IS NULL")" = 16
check "reconcile's first seen when the period was reconciled, ingest's when the file came" \
	test "$(sql "$old" "SELECT count(*) FROM exceptions x JOIN periods p USING (period) WHERE (x.source = 'reconcile' AND x.first_seen = p.reconciled_at) OR (x.source = 'ingest' AND x.first_seen = (SELECT received_at FROM files WHERE name = x.file ORDER BY file_id DESC LIMIT 1))")" = 16
kasi --db "$old" report discrepancies --period 2026-10 --out "$tmp/old.csv"
expect_status 0 "its discrepancies report is written"
check "every row with its exception's id" test "$(awk -F, 'NR > 1 && $(NF-3) !~ /^[0-9]+$/' "$tmp/old.csv" | wc -l)" = 0
kasi --db "$old" reconcile --period 2026-10
check "a reconcile after the migration keeps the same ids" \
	test "$(sql "$old" "SELECT count(*) FROM exceptions")" = 16

# (regression: the money at stake had a fixed width of 12 and first seen
# none: a Collexia amount of 9999999999999.99, its ceiling, pushed the rest
# of its line out of line, and under --all a first seen longer than its
# header pushed the status out.) Each of them is as wide as its widest
# value too.
big=$tmp/big.db
world "$big"
printf '%s\n' 'remoteReferenceNo,contractReference,messageDate,status,statusDate,statusTime,transactionAmount,amountPaidOut,responseCode,responseDescription' \
	'BIG1,CX9999,20261015,3,20261015,141000,9999999999999.99,9999999999999.99,0,Transaction Successful' \
	'SMALL1,CX9998,20261015,3,20261015,141000,1.50,1.50,0,Transaction Successful' \
	>"$tmp/collexia_results_20261015.csv"
"$KASI" --db "$big" ingest "$tmp/collexia_results_20261015.csv" >/dev/null
"$KASI" --db "$big" schedule --period 2026-10 >/dev/null
KASI_NOW=$T0 "$KASI" --db "$big" reconcile --period 2026-10 >/dev/null
# aligned: every row's amount ends under the header's "at stake", its first
# seen starts under "first seen" and (--all) its status under "status".
aligned() {
	awk 'NR == 3 { stake = index($0, "at stake") + 7; seen = index($0, "first seen"); st = index($0, "status") }
	     NR > 3 && /^ +[0-9]+  / { n++
	         if (substr($0, stake, 1) !~ /[0-9]/ || substr($0, stake + 1, 1) != " " ||
	             substr($0, seen, 4) !~ /^[0-9][0-9][0-9][0-9]$/ || (st && substr($0, st - 2, 3) !~ /^  [a-z]$/)) bad++ }
	     END { exit bad || !stake || n < 2 }' <<<"$out"
}
KASI_NOW=$T0 kasi --db "$big" exceptions
check "regression: the list stays aligned with 9999999999999.99 at stake" aligned
KASI_NOW=$T0 kasi --db "$big" exceptions --all
check "regression: --all stays aligned, its status under its header, with a long first seen" aligned

# (regression: a $USER longer than the 255 bytes kept was cut between the
# two bytes of an é, and the resolver recorded was not UTF-8.) It is cut
# between characters: 200 é's keep 127 of them (254 bytes; 255 would split
# the 128th).
long=$(printf '%.0s\xc3\xa9' {1..200})
kept=$(printf '%.0s\xc3\xa9' {1..127})
bigx=$(sql "$big" "SELECT exception_id FROM exceptions WHERE subject = 'BIG1'")
USER=$long kasi --db "$big" exceptions resolve "$bigx" --note "checked"
expect_status 0 "a resolver with a very long name resolves"
check "regression: a very long \$USER is kept cut between its characters" \
	test "$(sql "$big" "SELECT resolved_by FROM exception_resolutions ORDER BY resolution_id DESC LIMIT 1")" = "$kept"
check "and what is said of it is UTF-8" iconv -f UTF-8 -t UTF-8 -o /dev/null <<<"$out"
USER=$long kasi --db "$big" exceptions reopen "$bigx" --note "not yet"
check "regression: the one who reopens too" \
	test "$(sql "$big" "SELECT resolved_by FROM exception_resolutions ORDER BY resolution_id DESC LIMIT 1")" = "$kept"

echo "1..$tap_n"
