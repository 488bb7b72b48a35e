#!/usr/bin/env bash
# After a void, the rows of later files that repeated the voided rows are
# decided again, in the order they came, as ingest would have decided
# them had the voided file never come. Each sequence below is compared
# with a store the voided file never came to: the same rows count, no key
# is held by two rows that count, and the outcomes are the same.
#
# Regressions (a hostile round found each; the void chose one repeat per
# withdrawn row and pointed the others at it):
#   two keys    a repeat by its own id that holds a correlation id a
#               counted row holds was made to count beside it (paid twice);
#   taken later a repeat whose correlation id another row took while it
#               was a repeat was made to count beside it (paid twice);
#   blocked     when the first repeat could not take the place (its own
#               id counts elsewhere), no later repeat did (a payment lost);
#   two repeats two repeats of one withdrawn row that share no key: one
#               was made a repeat of the other (a payment lost).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/four_policies.sh"

mm() { # REF CORRELATION DATE POLICY: a completed 100.00 wallet payment
	echo "$1,$2,${3}T10:00:00+02:00,100.00,ZAR,merchantpay,completed,27821234567,$4,,"
}
counted() {
	sql "$1" "SELECT group_concat(transaction_id || '@' || substr(f.name, 26, 8), ' ') FROM (
	  SELECT x.transaction_id, l.name FROM facts x JOIN files l USING (file_id)
	   WHERE x.channel = 'mobilemoney' AND x.duplicate_of IS NULL AND x.withdrawn IS NULL
	   ORDER BY x.fact_id) f"
}
shared() { # keys (own or further) that two counted rows hold
	sql "$1" "WITH k AS (SELECT fact_id, '' AS key, fact_key AS value FROM facts
	                      WHERE channel = 'mobilemoney' AND duplicate_of IS NULL AND withdrawn IS NULL
	                     UNION ALL SELECT fact_id, key, value FROM fact_keys)
	          SELECT count(*) FROM (SELECT 1 FROM k GROUP BY key, value HAVING count(*) > 1)"
}
# scenario NAME "DAY:ROW[;ROW]"...: the first day's file is voided.
scenario() {
	local name=$1 a=$tmp/$1-a.db b=$tmp/$1-b.db in=$tmp/$1 day first="" f
	shift
	four_policies "$a" && four_policies "$b"
	for spec in "$@"; do
		day=${spec%%:*}
		IFS=';' read -ra rows <<<"${spec#*:}"
		day_file "$in" "mobilemoney_transactions_202610$day.csv" "$mobile_header" "${rows[@]}"
		"$KASI" --db "$a" ingest "$in/mobilemoney_transactions_202610$day.csv" >/dev/null
		if [ -z "$first" ]; then first=$day; continue; fi
		"$KASI" --db "$b" ingest "$in/mobilemoney_transactions_202610$day.csv" >/dev/null
	done
	"$KASI" --db "$a" void "mobilemoney_transactions_202610$first.csv" --note "$name" >"$a.void"
	check "$name: the rows that count are those of the store the file never came to ($(counted "$b"))" \
		test "$(counted "$a")" = "$(counted "$b")"
	check "$name: no key is held by two rows that count" test "$(shared "$a")" = 0
	for db in "$a" "$b"; do
		"$KASI" --db "$db" reconcile --period 2026-10 >/dev/null
		"$KASI" --db "$db" report outcomes --period 2026-10 --out "$db.csv" >/dev/null
	done
	check "$name: the same outcomes" cmp -s "$a.csv" "$b.csv"
	check "$name: the same discrepancies (the rows each repeat names)" \
		test "$(findings "$a")" = "$(findings "$b")"
}
findings() { # every discrepancy by its file's name, row, words and values
	sql "$1" "SELECT d.code || ' ' || ifnull(l.name, '') || ' ' || ifnull(d.row, '') || ' ' ||
	            ifnull(d.transaction_id, '') || ' ' || d.detail || ' [' || ifnull(d.expected, '') ||
	            '] [' || ifnull(d.actual, '') || ']'
	            FROM discrepancies d LEFT JOIN files l USING (file_id) ORDER BY 1"
}
U=44444444-4444-4444-8444-444444444444 W=55555555-5555-4555-8555-555555555555
Y=66666666-6666-4666-8666-666666666666 X=33333333-3333-4333-8333-333333333333

scenario "regression: two keys" "05:$(mm MA $U 2026-10-05 TP-1)" \
	"06:$(mm MC $W 2026-10-06 TP-1)" "07:$(mm MA $W 2026-10-07 TP-1)"
check "regression: the conflicting repeat the void raised again says what differs, as ingest does (it was empty)" \
	test "$(sql "$tmp/regression: two keys-a.db" "SELECT expected || ' / ' || actual FROM discrepancies
		WHERE code = 'CONFLICTING_DUPLICATE' AND transaction_id = 'MA'")" = \
	"transaction MC, date 2026-10-06 / transaction MA, date 2026-10-07"
scenario "regression: taken later" "05:$(mm MA $U 2026-10-05 TP-1)" \
	"06:$(mm MA $X 2026-10-06 TP-1)" "07:$(mm MB $X 2026-10-07 TP-1)"
scenario "regression: blocked" "05:$(mm MA $U 2026-10-05 TP-1)" \
	"06:$(mm MB $U 2026-10-06 TP-1)" "07:$(mm MB $W 2026-10-07 TP-1)" \
	"08:$(mm MA $Y 2026-10-08 TP-1)"
scenario "regression: two repeats" "05:$(mm MA $U 2026-10-05 TP-1)" \
	"06:$(mm MB $U 2026-10-06 TP-1);$(mm MA $W 2026-10-06 TP-2)"
scenario "regression: a repeat by a correlation id whose own id the row made to count holds" \
	"05:$(mm MV $U 2026-10-05 TP-1)" "06:$(mm MR $U 2026-10-06 TP-1)" \
	"07:$(mm MP $W 2026-10-07 TP-1)" "08:$(mm MR $W 2026-10-08 TP-1)"
scenario "a repeat by its own id and by a correlation id, one row" \
	"05:$(mm MA $U 2026-10-05 TP-1)" "06:$(mm MA $U 2026-10-06 TP-1)"
check "the void says a row that counted is a repeat now (taken later)" \
	grep -q "1 row of later files that counted is now a repeat of a row that came before it" \
	"$tmp/regression: taken later-a.db.void"
check "and that a repeat counts in the voided row's place" \
	grep -q "1 row of later files that repeated its rows counts in their place" \
	"$tmp/regression: taken later-a.db.void"
# The same with --json, on a fresh pair of stores.
j=$tmp/json.db
four_policies "$j"
for d in 05 06 07; do "$KASI" --db "$j" ingest "$tmp/regression: taken later/mobilemoney_transactions_202610$d.csv" >/dev/null; done
"$KASI" --db "$j" void mobilemoney_transactions_20261005.csv --note json --json >"$tmp/v.json"
check "--json: repeats_counted 1, counted_now_repeats 1" \
	test "$(jq -r '"\(.repeats_counted) \(.counted_now_repeats)"' "$tmp/v.json")" = "1 1"

# Money: a row that counted was paid over, and a void makes it a repeat
# (taken later): what it was paid is taken back, once; the row that
# counts in its place is paid. PROVA is owed one 100.00 (97.50 after its
# 2.50% fee) over both settlements.
#   first settlement: MA of the 5th and MB of the 7th paid, 195.00 net
#   void of the 5th: MA of the 6th counts, MB of the 7th is its repeat
#   next settlement: both taken back (-97.50 each), MA of the 6th paid
#   (+97.50): -97.50; over both, 97.50
export KASI_NOW=2026-11-30T08:00:00+02:00
m=$tmp/money.db
four_policies "$m"
for d in 05 06 07; do "$KASI" --db "$m" ingest "$tmp/regression: taken later/mobilemoney_transactions_202610$d.csv" >/dev/null; done
"$KASI" --db "$m" reconcile --period 2026-10 >/dev/null
"$KASI" --db "$m" settle --through 2026-10-31 >/dev/null
check "the first settlement paid two rows over: 195.00" \
	test "$(sql "$m" "SELECT sum(net) FROM settlement_batches")" = 19500
"$KASI" --db "$m" void mobilemoney_transactions_20261005.csv --note money >/dev/null
"$KASI" --db "$m" reconcile --period 2026-10 >/dev/null
"$KASI" --db "$m" settle --through 2026-11-01 >/dev/null
check "regression: the row made a repeat is taken back; over both settlements PROVA is paid one 97.50" \
	test "$(sql "$m" "SELECT sum(net) FROM settlement_batches")" = 9750
"$KASI" --db "$m" reconcile --period 2026-10 >/dev/null
"$KASI" --db "$m" settle --through 2026-11-02 >/dev/null
check "and once: a third settlement pays nothing more" \
	test "$(sql "$m" "SELECT sum(net) FROM settlement_batches")" = 9750
KASI_DB=$m kasi explain TP-1 --period 2026-10
check "regression: explain shows every settled line of TP-1's money (5), the row made a repeat marked" \
	test "$(grep -c 'batch [0-9]* through' <<<"$out") $(grep -c '(a row a void made a repeat)' <<<"$out")" = "5 2"
echo "1..$tap_n"
