#!/usr/bin/env bash
# The finance summary: one self-contained HTML page, mode 0600, whose
# every figure is the CSV reports' and the other commands' for the same
# store; rendered by headless Chromium at 1280 and 390 px with no console
# error, no request leaving the file and no horizontal scroll on a phone.
# Screenshots go to build/test-output/ (test output, never committed).
. "$(dirname "$0")/lib.sh"

db=$tmp/kasi.db
export KASI_DB=$db KASI_NOW=2026-11-08T01:00:00+02:00
world "$db"
world_ingest "$db"
"$KASI" schedule --period 2026-10 >/dev/null

page=$tmp/summary.html
kasi report summary --period 2026-10 --out "$page"
expect_status 65 "a period not reconciled has no summary (exit 65)"
check "and nothing is written" test ! -e "$page"

"$KASI" reconcile --period 2026-10 >/dev/null
"$KASI" settle --through 2026-10-31 >/dev/null
kasi report summary --period 2026-10 --out "$page"
expect_status 0 "the summary is written"
expect_out "summary 2026-10 written to $page" "saying where"
check "mode 0600" test "$(stat -c %a "$page")" = 600
check "under 1 MB" test "$(stat -c %s "$page")" -lt 1000000
check "no script, no stylesheet link, no external resource" \
	test -z "$(grep -oiE '<script|<link|<iframe|<img|<object|<embed|@import|url\(|src=|href=|https?:' "$page")"
check "charts are inline SVG" grep -q '<svg class="chart"' "$page"

# Every figure, against the reports and commands of the same store.
id() { sed -n "s/.*id=\"$1\">\([^<]*\)<.*/\1/p" "$page" | head -1; }
"$KASI" report outcomes --period 2026-10 --out "$tmp/o.csv" >/dev/null
sqlite3 "$tmp/cmp.db" ".import --csv $tmp/o.csv o"
q() { sqlite3 -batch -noheader "$tmp/cmp.db" "$1"; }
cents() { q "SELECT printf('%.2f', sum(CAST(replace($1, '.', '') AS INTEGER)) / 100.0) FROM o"; }
check "policies: the outcomes report's rows" test "$(id policies)" = "$(q 'SELECT count(*) FROM o')"
for col in expected collected shortfall pending; do
	check "$col: the outcomes report's total ($(cents $col))" test "$(id $col)" = "$(cents $col)"
done
for s in PAID_FULL PAID_PARTIAL UNPAID CANCELLED; do
	check "$s: as many as the report has" test "$(id status-$s)" = "$(q "SELECT count(*) FROM o WHERE status = '$s'")"
done
to_cents() { tr -d . <<<"$1" | sed 's/^0*\([0-9]\)/\1/'; }
check "collected through the month, less what was taken back after it, is the month's collected" \
	test $(($(to_cents "$(id month-end)") - $(to_cents "$(id reversed-after)"))) = "$(to_cents "$(id collected)")"
"$KASI" exceptions --period 2026-10 --json >"$tmp/x.json"
check "open exceptions and money at stake: kasi exceptions'" \
	test "$(id open) $(id open-at-stake)" = "$(jq -r '"\(.open) \(.at_stake)"' "$tmp/x.json")"
payouts_conf "$tmp/payouts.conf"
(cd "$tmp" && "$KASI" report settlement --through 2026-10-31 --out "$tmp/st.csv" >/dev/null)
check "the settlement report has the month's two batches" test "$(grep -c '2026-10-31' "$tmp/st.csv")" = 2
while IFS=, read -r provider batch through _ _ _ _ _ _ net; do
	[ "$provider" = provider_code ] && continue
	check "batch $batch ($provider): net $net, as the settlement report" test "$(id "batch-$batch-net")" = "$net"
done <"$tmp/st.csv"
"$KASI" monitor --period 2026-10 --json >"$tmp/m.json"
check "debit-order breaches: kasi monitor's" test "$(id breaches)" = "$(jq -r .breaches "$tmp/m.json")"
"$KASI" report discrepancies --period 2026-10 --out "$tmp/d.csv" >/dev/null
check "references as the discrepancies report holds them (masked there when personal)" \
	test -z "$(grep -oE '<td class="t">[^<]*</td><td class="t opt">EP_TXN_20261020_006' "$page" | grep -v '91234567890707')"
check "an ID number of the register appears nowhere" test -z "$(grep -oE '8001015009087|9102235743080' "$page")"

kasi report summary --period 2026-10 --gzip
expect_status 64 "--gzip is refused for a page"
kasi report summary --period 2026-13
expect_status 64 "a bad period is a usage error"

# Rendering: headless Chromium, as the finance manager's browser.
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
	echo "# chromium is missing (scripts/deps.sh installs it): rendering not checked" >&2
	ok "# SKIP rendering: no chromium"
	echo "1..$tap_n"
	exit 0
fi
shots=$KASI_ROOT/build/test-output
mkdir -p "$shots"
cr() {
	timeout 120 "$browser" --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
		--no-first-run --disable-extensions --disable-background-networking \
		--host-resolver-rules='MAP * ~NOTFOUND' --enable-logging=stderr --v=0 "$@"
}
for w in 1280 390; do
	rm -f "$shots/summary-$w.png"
	cr --window-size=$w,2400 --screenshot="$shots/summary-$w.png" "file://$page" 2>"$tmp/cr-$w.log" >/dev/null
	check "a screenshot at $w px ($shots/summary-$w.png)" test -s "$shots/summary-$w.png"
	check "no console error at $w px" test -z "$(grep -E 'CONSOLE|Uncaught' "$tmp/cr-$w.log")"
done
# A probe page frames the summary 390 px wide and reports what it
# measures: no horizontal scroll, and no resource fetched by the page.
cat >"$tmp/probe.html" <<'EOF'
<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="summary.html" style="width:390px;height:900px;border:0"></iframe>
<pre id="out">not measured</pre>
<script>
document.getElementById('f').addEventListener('load', function () {
  var w = this.contentWindow, d = this.contentDocument;
  document.getElementById('out').textContent = 'scroll=' + d.documentElement.scrollWidth +
    ' client=' + d.documentElement.clientWidth +
    ' resources=' + w.performance.getEntriesByType('resource').length;
});
</script></body></html>
EOF
m=$(cr --allow-file-access-from-files --virtual-time-budget=5000 --dump-dom "file://$tmp/probe.html" 2>/dev/null |
	grep -oE 'scroll=[0-9]+ client=[0-9]+ resources=[0-9]+')
scroll=$(sed -n 's/scroll=\([0-9]*\).*/\1/p' <<<"$m")
client=$(sed -n 's/.*client=\([0-9]*\).*/\1/p' <<<"$m")
check "measured in Chromium ($m)" test -n "$m"
check "no horizontal scroll at 390 px" test "${scroll:-1}" -le "${client:-0}"
check "no request leaves the file" test "$(sed -n 's/.*resources=\([0-9]*\)/\1/p' <<<"$m")" = 0

echo "1..$tap_n"
