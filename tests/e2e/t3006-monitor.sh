#!/usr/bin/env bash
# Debit-order health: per debit channel and provider, the instructions that
# reached a final state, the unpaids and disputes among them, beside limits
# kept as data. The fixture world's October, worked out by hand from
# fixtures/world:
#
#   Softy Comp (debits flow), OLDMUTUAL's FUNERAL_01: collections 4846101
#     (POL-1001), 4846102 (POL-1002), 4846103 (POL-1009), 4846104
#     (POL-1011) = 4 instructions (the repeats of 4846101 and 4846103 in
#     the file of the 2nd count once); unpaids: 4846331 reverses 4846102
#     (PAAF Insufficient Funds), November's 4847001 reverses 4846104
#     (Account Closed) = 2; 4846332 names an original never stored (an
#     orphan, no instruction's). 2 of 4 = 50.00% > 10%: a breach.
#   Softy Comp, HOLLARD's LIFE_02: 4846501 (POL-1008) = 1, no unpaid.
#   Collexia (instructions flow), HOLLARD: RB39 (POL-1003) completed, then
#     failed with 30 "No authority to debit" (a dispute); RB40 (POL-1004)
#     failed, 02; RB41 (POL-1013) is tracking (TR75): not final. 2
#     instructions, 2 unpaids (100.00%), 1 dispute (50.00% > 0.50%).
#   Collexia, OLDMUTUAL: RB42 (POL-1010) completed: 1, none unpaid.
. "$(dirname "$0")/lib.sh"

db=$tmp/kasi.db
export KASI_DB=$db
world "$db"
world_ingest "$db"

kasi monitor --period 2026-10
expect_status 65 "a period never reconciled has no figures (exit 65)"
expect_err "period 2026-10 is not reconciled" "saying so"

"$KASI" schedule --period 2026-10 >/dev/null
"$KASI" reconcile --period 2026-10 >/dev/null
kasi monitor --period 2026-10
expect_status 1 "a ratio over its limit exits 1"
line() { grep -E "^  $1 +$2 " <<<"$out" | head -1 | tr -s ' '; }
check "softycomp OLDMUTUAL: 4 instructions, 2 unpaids 50.00%, no dispute, a breach" \
	test "$(line softycomp OLDMUTUAL)" = " softycomp OLDMUTUAL 4 2 50.00% 0 0.00% BREACH unpaids"
check "softycomp HOLLARD: 1, none unpaid" test "$(line softycomp HOLLARD)" = " softycomp HOLLARD 1 0 0.00% 0 0.00%"
check "collexia HOLLARD: 2 final (tracking is not), 2 unpaids, 1 dispute: both over" \
	test "$(line collexia HOLLARD)" = " collexia HOLLARD 2 2 100.00% 1 50.00% BREACH unpaids disputes"
check "collexia OLDMUTUAL: 1, none unpaid" test "$(line collexia OLDMUTUAL)" = " collexia OLDMUTUAL 1 0 0.00% 0 0.00%"
check "no channel of the payments flow is a debit channel" test -z "$(grep -E '^  (easypay|mobilemoney) ' <<<"$out")"
check "a RATIO_BREACH line per breach (3)" test "$(grep -c '^RATIO_BREACH ' <<<"$out")" = 3
expect_out "RATIO_BREACH collexia HOLLARD 2026-10 disputes 50.00% (1 of 2 instructions) over the limit 0.50%" "naming channel, provider, measure, ratio and limit"
expect_out "RATIO_BREACH softycomp OLDMUTUAL 2026-10 unpaids 50.00% (2 of 4 instructions) over the limit 10.00%" "for unpaids too"

kasi monitor --period 2026-10 --json
printf '%s\n' "$out" >"$tmp/m.json"
j() { sql "$tmp/q.db" "SELECT $1 FROM json_each(json_extract(CAST(readfile('$tmp/m.json') AS TEXT), '\$.lines')) $2"; }
check "--json is one JSON document" test "$(sql "$tmp/q.db" "SELECT json_valid(CAST(readfile('$tmp/m.json') AS TEXT))")" = 1
check "with the same figures" \
	test "$(j "json_extract(value, '\$.instructions') || ' ' || json_extract(value, '\$.unpaid_ratio') || ' ' || json_extract(value, '\$.disputes_breach')" "WHERE json_extract(value, '\$.channel') = 'collexia' AND json_extract(value, '\$.provider') = 'HOLLARD'")" = "2 100.00 1"

# The trend: November reconciled (its file holds only an unpaid of an
# October debit); October's figures sit in the trend, November has none.
"$KASI" schedule --period 2026-11 >/dev/null
"$KASI" reconcile --period 2026-11 >/dev/null
kasi monitor --period 2026-11
expect_status 0 "a period with no breach exits 0"
check "October's ratios are in November's trend" \
	grep -qE '^  collexia +HOLLARD +- +- +- +- +100\.00%/50\.00% +-$' <<<"$out"

# The limits and the disputes are data.
schemas=$tmp/schemas
cp -r "$KASI_ROOT/schemas" "$schemas"
printf 'measure,limit_bps,description\nunpaids,5000,\ndisputes,6000,\n' >"$schemas/debit_limits.csv"
kasi --schemas "$schemas" monitor --period 2026-10
check "at the limit is no breach (50.00% of 50%): only collexia HOLLARD's unpaids" \
	test "$(grep '^RATIO_BREACH' <<<"$out")" = "RATIO_BREACH collexia HOLLARD 2026-10 unpaids 100.00% (2 of 2 instructions) over the limit 50.00%"
sed -i 's/^collexia,30,NO_AUTHORITY,yes,/collexia,30,NO_AUTHORITY,,/' "$schemas/unpaid_reasons.csv"
kasi --schemas "$schemas" monitor --period 2026-10
check "a reason not marked a dispute is no dispute" test "$(line collexia HOLLARD)" = " collexia HOLLARD 2 2 100.00% 0 0.00% BREACH unpaids"
sed -i 's/integer min=0 max=10000/integer/' "$schemas/debit_limits.schema"
printf 'measure,limit_bps,description\nunpaids,9223372036854775807,\ndisputes,50,\n' >"$schemas/debit_limits.csv"
kasi --schemas "$schemas" monitor --period 2026-10
expect_status 78 "regression: a limit past 10000 basis points is refused, whatever the schema lets through"
rm "$schemas/debit_limits.csv"
kasi --schemas "$schemas" monitor --period 2026-10
expect_status 78 "without its limits monitor cannot judge (exit 78)"
expect_err "the debit-order limits file is missing: cannot open '$schemas/debit_limits.csv'" \
	"regression: saying so in a sentence (it said 'the debit-order limits is missing')"

# Out of date, and mistakes.
cat >"$tmp/easypay_recon_20261027.csv" <<'EOF'
transaction_id,easypay_code,transaction_type,merchant_id,terminal_id,cashier_id,transaction_timestamp,gross_amount,settlement_status,merchant_name,receipt_number
EP_TXN_20261027_001,91234567890608,topup,EP_MERCHANT_13579,EP_TERMINAL_007,CASHIER_311,2026-10-27T13:00:00+02:00,30.00,settled,Boxer - Umlazi,RCP-002401
EOF
"$KASI" ingest "$tmp/easypay_recon_20261027.csv" >/dev/null
kasi monitor --period 2026-10
expect_status 65 "facts applied since the reconcile: refused (exit 65)"
expect_err "facts changed since the last reconcile of 2026-10" "saying so"
kasi monitor
expect_status 64 "--period is required"
kasi monitor --period 2026-13
expect_status 64 "a bad period is a usage error"

# A store reconciled before kasi kept debit results must be reconciled again.
old=$tmp/v7.db
sqlite3 "$old" <"$fixtures/store/v7-world.sql"
chmod 600 "$old"
"$KASI" --db "$old" init >/dev/null
kasi --db "$old" monitor --period 2026-10
expect_status 65 "a period reconciled before debit results were kept is refused"
expect_err "reconciled by a kasi that kept no debit results" "saying why"
"$KASI" --db "$old" reconcile --period 2026-10 >/dev/null
kasi --db "$old" monitor --period 2026-10
expect_status 1 "reconciled again, it has its figures"
check "the same as a new store's, before November's unpaid (1 of 4)" \
	test "$(line softycomp OLDMUTUAL)" = " softycomp OLDMUTUAL 4 1 25.00% 0 0.00% BREACH unpaids"

echo "1..$tap_n"
