#!/usr/bin/env bash
# kasi void: a partner's wrong file withdrawn, then its corrected file
# applied. Every figure is worked out by hand: provider PROVA charges
# 250 bps and no fixed fee (100.00 pays 2.50; 80.00 pays 2.00).
#
# The wrong Softy Comp file of 5 October collects 100.00 from TP-1 and
# 100.00 from TP-2; the bureau's corrected file collects 100.00 and 80.00
# under the same transaction ids. Between them, October is settled
# through 31 October: PROVA was paid 200.00 - 5.00 = 195.00.
#   void      -> the rows stop counting; October is out of date; settling
#                is refused until it is reconciled
#   reconcile -> TP-1 and TP-2 UNPAID; the two collections paid over are
#                movements to take back
#   settle    -> -200.00 reversed, fees -5.00: net -195.00, carried forward;
#                once: a later settlement takes back nothing more
#   corrected -> applied as new rows (no DUPLICATE_TRANSACTION); TP-1
#                PAID_FULL, TP-2 PAID_PARTIAL 80.00; settled: collected
#                180.00, fees 4.50, brought forward -195.00: net -19.50
. "$(dirname "$0")/lib.sh"

export KASI_NOW=2026-11-30T08:00:00+02:00
export USER=thandi
db=$tmp/void.db
export KASI_DB=$db
void_registers
"$KASI" init >/dev/null
"$KASI" load products "$tmp/products.csv" >/dev/null
"$KASI" load policies "$tmp/policies.csv" >/dev/null
"$KASI" schedule --period 2026-10 >/dev/null

mkdir -p "$tmp/wrong" "$tmp/right"
name=softycomp_transactions_20261005.csv
printf '%s\n' "$sh" \
	'4001,4,9,2001,2026-10-05T00:00:00,-100.00,X,1,2026-10-05T00:00:00,,' \
	'4002,4,9,2002,2026-10-05T00:00:00,-100.00,X,1,2026-10-05T00:00:00,,' >"$tmp/wrong/$name"
printf '%s\n' "$sh" \
	'4001,4,9,2001,2026-10-05T00:00:00,-100.00,X,1,2026-10-05T00:00:00,,' \
	'4002,4,9,2002,2026-10-05T00:00:00,-80.00,X,1,2026-10-05T00:00:00,,' >"$tmp/right/$name"

outcome() { sql "$db" "SELECT o.status || ' ' || o.collected FROM outcomes o JOIN policies p USING (policy_id) WHERE o.period = '2026-10' AND p.policy_number = '$1'"; }
batch() { sql "$db" "SELECT collected || ' ' || reversed || ' ' || fees || ' ' || brought_forward || ' ' || net FROM settlement_batches WHERE through = '$1'"; }
lines() { sql "$db" 'SELECT count(*) FROM settlement_lines'; }
counted() { sql "$db" "SELECT count(*) FROM facts WHERE duplicate_of IS NULL AND withdrawn IS NULL"; }

"$KASI" ingest "$tmp/wrong/$name" >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null
kasi settle --through 2026-10-31
check "the wrong file is paid over: 200.00 collected, 5.00 fees, net 195.00" \
	test "$(batch 2026-10-31)" = "20000 0 500 0 19500"

# ---- refusals: nothing changes --------------------------------------------
before=$(sql "$db" 'SELECT count(*) FROM voids')
kasi void "$tmp/wrong/$name"
expect_status 64 "void without --note is a usage error"
expect_err "needs --note TEXT" "and says a note is needed"
kasi void "$name" --note "$(printf 'two\nlines')"
expect_status 64 "a note with a newline is refused"
kasi void "$name" --note $'turned \u202e around'
expect_status 64 "a note with a direction override is refused"
kasi void softycomp_transactions_20991231.csv --note x
expect_status 66 "a name no applied file has: exit 66"
expect_err "no applied file of that name" "and says so"
kasi void policies.csv --note x
expect_status 65 "a register cannot be voided"
expect_err "load a corrected one" "and says how to correct it"
kasi void "$name" --note "   "
expect_status 64 "regression: a note of spaces only is refused (it recorded an empty reason)"
kasi void "$name" --file-id 1 --note x
expect_status 64 "a FILE and --file-id together are a usage error"
kasi void --file-id 0 --note x
expect_status 64 "--file-id 0 is a usage error"
check "no refusal recorded a void" test "$(sql "$db" 'SELECT count(*) FROM voids')" = "$before"

# ---- the void --------------------------------------------------------------
kasi void "$tmp/wrong/$name" --note "bureau resent it, ticket 8001015009087"
expect_status 0 "void of the wrong file (given by its path) exits 0"
expect_out "voided $name (file " "it names the file voided"
expect_out "by thandi: 2 rows withdrawn (2 collections, 0 reversals counted)" "who voided it, and what it withdrew"
expect_out "paid over already: 2 collections, 200.00: taken back by the next settlement" "it says the money paid over is taken back"
expect_out "out of date now: 2026-10" "it names the period put out of date"
check "the note is kept with its long digit run masked" \
	test "$(sql "$db" 'SELECT voided_by || ": " || note FROM voids')" = "thandi: bureau resent it, ticket *********9087"
check "the file and its rows are kept" test "$(sql "$db" "SELECT count(*) FROM facts")" = 2
check "none of its rows counts" test "$(counted)" = 0
kasi status
expect_out "OUT OF DATE: 1 file applied or voided since" "status says October is out of date"
expect_out "voided files (kept, not counted):" "status lists the voided files"
expect_out "$name  2 rows, voided 2026-11-30T08:00:00+02:00 by thandi: bureau resent it, ticket *********9087" "with who, when and why"
kasi status --json
check "status --json lists the void" test "$(jq -r '.voids[0] | "\(.file) \(.rows) \(.by)"' <<<"$out")" = "$name 2 thandi"
check "and October as out of date" test "$(jq -r '.periods[0].out_of_date' <<<"$out")" = true
kasi void "$name" --note again
expect_status 65 "voiding it again exits 65"
expect_err "was voided already, at 2026-11-30T08:00:00+02:00 by thandi" "and says when and by whom"
kasi settle --through 2026-11-01
expect_status 65 "settling before October is reconciled again is refused"
check "and settles nothing" test "$(lines)" = 2

kasi reconcile --period 2026-10
expect_out "2 collections of voided files paid over already: taken back by the next settlement" "reconcile says what the next settlement takes back"
check "TP-1 is UNPAID once its collection is withdrawn" test "$(outcome TP-1)" = "UNPAID 0"
check "TP-2 is UNPAID" test "$(outcome TP-2)" = "UNPAID 0"
kasi explain TP-2 --period 2026-10
expect_out "withdrawn (rows of voided files, not counted):" "explain shows the withdrawn row"
expect_out "2026-10-05 collected 100.00 4002, $name row 3: voided 2026-11-30T08:00:00+02:00 by thandi" "with its file, row, and void"

kasi settle --through 2026-11-01
expect_status 0 "the next settlement exits 0"
check "it takes back 200.00 with the 5.00 of fees: net -195.00" \
	test "$(batch 2026-11-01)" = "0 20000 -500 0 -19500"
kasi explain TP-2 --period 2026-10
expect_out "collection       100.00  2026-10-05  4002  batch 1 through 2026-10-31, to PROVA: fee 2.50, net 97.50 (a row of a voided file)" \
	"regression: explain shows the line that paid the voided row over (it showed only the take-back)"
expect_out "reversal        -100.00  2026-10-05  4002  batch 2 through 2026-11-01, to PROVA: fee -2.50, net -97.50 (a row of a voided file)" "and the line that took it back"
check "as one reversal line per collection, minus the fee each was charged" \
	test "$(sql "$db" "SELECT group_concat(amount || '/' || fee, ' ') FROM (SELECT amount, fee FROM settlement_lines WHERE kind = 'reversal' ORDER BY fact_id)")" = "-10000/-250 -10000/-250"
kasi reconcile --period 2026-10 --json
check "regression: once taken back, reconcile counts nothing more to take back (it counted every collection ever paid over)" \
	test "$(jq -r '"\(.voided_to_take_back) \(.voided_to_give_back)"' <<<"$out")" = "0 0"
kasi settle --through 2026-11-02
check "a later settlement takes nothing back again" test "$(lines)" = 4
check "no batch through 2 November" test -z "$(batch 2026-11-02)"

# ---- the corrected file ------------------------------------------------------
kasi ingest "$tmp/right/$name"
expect_status 0 "the corrected file with the same transaction ids applies"
expect_out "2 rows, 2 counted" "both its rows count"
check "no DUPLICATE_TRANSACTION of the voided rows" \
	test "$(sql "$db" "SELECT count(*) FROM discrepancies WHERE code LIKE '%DUPLICATE%'")" = 0
"$KASI" reconcile --period 2026-10 >/dev/null
check "TP-1 is PAID_FULL by the corrected file" test "$(outcome TP-1)" = "PAID_FULL 10000"
check "TP-2 is PAID_PARTIAL 80.00" test "$(outcome TP-2)" = "PAID_PARTIAL 8000"
kasi settle --through 2026-11-03
check "settled: 180.00 collected, 4.50 fees, -195.00 brought forward: net -19.50" \
	test "$(batch 2026-11-03)" = "18000 0 450 -19500 -1950"

# ---- the same name twice; the same bytes again ------------------------------
kasi void "$name" --note "which one?"
expect_status 65 "a name that a voided and an applied file share is not guessed"
expect_err "is applied under it since: to void that one, say so with --file-id" "it asks for the file's id"
kasi ingest "$tmp/wrong/$name"
expect_status 1 "the voided bytes may be applied again: their rows are repeats of the corrected file's"
check "and count for nothing" test "$(counted)" = 2
"$KASI" reconcile --period 2026-10 >/dev/null
check "TP-2 stays PAID_PARTIAL 80.00" test "$(outcome TP-2)" = "PAID_PARTIAL 8000"
kasi void "$name" --note "which one?"
expect_status 65 "with two applied files of the name beside the voided one, still not guessed"
expect_err "2 applied files have that name (ids " "regression: it names the files' ids readably (it said 'file 4, 5 is applied', '--file-id 4, 5')" 
expect_err "rows): say which with --file-id" "each with when it was applied and its rows"
kasi status
expect_out "files: 5 applied (1 voided), 0 rejected" "status counts the voided file apart"
check "and its file groups leave it out (2 Softy Comp files, 4 rows, of that day)" \
	test "$(grep -cE '^  softycomp softycomp_transactions 2026-10-05 +2 files +4 rows' <<<"$out")" = 1
right=$(sql "$db" "SELECT file_id FROM files WHERE name = '$name' AND voided IS NULL AND file_id = (SELECT min(file_id) FROM files WHERE name = '$name' AND voided IS NULL)")
kasi void --file-id "$right" --note "wrong again" --json
expect_status 0 "void --file-id of the corrected file exits 0"
check "void --json names the file, the money paid over and the period" \
	test "$(jq -r '"\(.file_id) \(.paid_over.collections) \(.paid_over.amount) \(.out_of_date | join(","))"' <<<"$out")" = "$right 2 180.00 2026-10"

# A file that was never applied (rejected; skipped as a duplicate) cannot be
# voided, by name or by id.
bad=$tmp/softycomp_transactions_20261006.csv
printf '%s\n' "$sh" '4003,4,9,2001,2026-10-06,-1.00,X,1,2026-10-06T00:00:00,,' >"$bad"
"$KASI" ingest "$bad" >/dev/null 2>&1
rejected=$(sql "$db" "SELECT file_id FROM files WHERE outcome = 'rejected'")
kasi void --file-id "$rejected" --note x
expect_status 66 "regression: --file-id of a rejected file is refused (it was voided, exit 0)"
"$KASI" ingest "$tmp/wrong/$name" >/dev/null 2>&1
skipped=$(sql "$db" "SELECT file_id FROM files WHERE outcome = 'duplicate'")
kasi void --file-id "$skipped" --note x
expect_status 66 "regression: --file-id of a file skipped as a duplicate is refused"
check "neither was voided" test "$(sql "$db" "SELECT count(*) FROM files WHERE voided IS NOT NULL AND outcome <> 'applied'")" = 0

# ---- a reversal clawed back, then voided: given back once -------------------
# A fresh store: the Softy Comp file of 1 October collects 100.00 from TP-1;
# the file of 10 October brings an unpaid of it (the bureau's mistake).
# Settled through 31 October: +100.00 and -100.00, fees 2.50 and -2.50,
# net 0.00. Voiding the file of 10 October gives the 100.00 back with its
# fee: net 97.50. The corrected file of 10 October still holds the unpaid
# (same transaction id): it claws the collection back again, once: -97.50.
# Voiding the file of 1 October then takes nothing more: its collection is
# clawed back already. Over everything PROVA is paid 0.00, as TP-1 paid
# nothing that stands.
db=$tmp/giveback.db
export KASI_DB=$db
"$KASI" init >/dev/null
"$KASI" load products "$tmp/products.csv" >/dev/null
"$KASI" load policies "$tmp/policies.csv" >/dev/null
"$KASI" schedule --period 2026-10 >/dev/null
printf '%s\n' "$sh" '5001,4,9,2001,2026-10-01T00:00:00,-100.00,X,1,2026-10-01T00:00:00,,' \
	>"$tmp/softycomp_transactions_20261001.csv"
unpaid='5002,7,9,2001,2026-10-10T00:00:00,-100.00,X,1,2026-10-01T00:00:00,5001,Account Closed'
printf '%s\n' "$sh" "$unpaid" >"$tmp/wrong/softycomp_transactions_20261010.csv"
printf '%s\n' "$sh" "$unpaid" '5003,4,9,2002,2026-10-10T00:00:00,-100.00,X,1,2026-10-10T00:00:00,,' \
	>"$tmp/right/softycomp_transactions_20261010.csv"
"$KASI" ingest "$tmp/softycomp_transactions_20261001.csv" "$tmp/wrong/softycomp_transactions_20261010.csv" >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null
"$KASI" settle --through 2026-10-31 >/dev/null
check "paid over and clawed back through 31 October: net 0.00" test "$(batch 2026-10-31)" = "10000 10000 0 0 0"
kasi void softycomp_transactions_20261010.csv --note "the unpaid was the bureau's mistake"
expect_status 0 "void of the file with the settled unpaid exits 0"
expect_out "clawed back already: 1 reversal, 100.00: given back by the next settlement" "it says the reversal is given back"
kasi reconcile --period 2026-10
expect_out "1 reversal of voided files clawed back already: given back by the next settlement" "reconcile says what the next settlement gives back"
check "TP-1 is PAID_FULL again" test "$(outcome TP-1)" = "PAID_FULL 10000"
kasi settle --through 2026-11-01
expect_status 0 "the next settlement exits 0"
check "it gives back 100.00 with its 2.50 fee: net 97.50" test "$(batch 2026-11-01)" = "10000 0 250 0 9750"
"$KASI" reconcile --period 2026-10 >/dev/null
kasi settle --through 2026-11-02
check "and gives back nothing more" test -z "$(batch 2026-11-02)"
kasi ingest "$tmp/right/softycomp_transactions_20261010.csv"
expect_status 0 "the corrected file with the same unpaid applies"
"$KASI" reconcile --period 2026-10 >/dev/null
check "TP-1 is UNPAID by the corrected unpaid" test "$(outcome TP-1)" = "UNPAID 0"
kasi settle --through 2026-11-03
expect_status 0 "the corrected unpaid is settled (not refused as a second claw back)"
check "it claws back 100.00 again, once; TP-2's 100.00 paid: net 0.00" test "$(batch 2026-11-03)" = "10000 10000 0 0 0"
kasi void softycomp_transactions_20261001.csv --note "no debit at all"
expect_status 0 "voiding the collection's own file exits 0"
expect_out "0 reversals counted)" "it withdraws the collection"
kasi reconcile --period 2026-10 --json
check "regression: a voided collection clawed back already is not counted as to take back" \
	test "$(jq -r '"\(.voided_to_take_back) \(.voided_to_give_back)"' <<<"$out")" = "0 0"
kasi settle --through 2026-11-04
check "its collection is clawed back already: nothing more is taken" test -z "$(batch 2026-11-04)"
check "over everything, PROVA is paid what stands: TP-2's 100.00 less 2.50" \
	test "$(sql "$db" 'SELECT sum(net) FROM settlement_batches')" = 9750

# ---- an empty day's file, voided --------------------------------------------
# A header-only EasyPay file says EasyPay had nothing on 20 October: our
# ledger's four records of that day are MISSING_FROM_FILE. Sent by
# mistake and voided, the day has no file again: they are not.
db=$tmp/empty.db
export KASI_DB=$db
world "$db"
"$KASI" schedule --period 2026-10 >/dev/null
head -1 "$fixtures/world/easypay_recon_20261020.csv" >"$tmp/easypay_recon_20261020.csv"
"$KASI" ingest "$tmp/easypay_recon_20261020.csv" >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null
missing() { sql "$db" "SELECT count(*) FROM discrepancies WHERE code = 'MISSING_FROM_FILE'"; }
check "the empty file makes the day's ledger records missing from it" test "$(missing)" = 4
kasi void easypay_recon_20261020.csv --note "sent empty by mistake"
expect_status 0 "a header-only file can be voided"
expect_out "out of date now: 2026-10" "and its day's period is out of date"
"$KASI" reconcile --period 2026-10 >/dev/null
check "once voided, no record is missing from a file that day" test "$(missing)" = 0
echo "1..$tap_n"
