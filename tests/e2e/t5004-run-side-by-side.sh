#!/usr/bin/env bash
# Jobs run side by side, as cron and the systemd timers start them, all at
# 02:00: each waits its turn for the store (regression: a job whose
# connection kept an old read snapshot failed at once with exit 75 when
# another had written since, instead of waiting), and the month comes out
# as the hand-worked one.
. "$(dirname "$0")/lib.sh"

expected=$KASI_ROOT/tests/e2e/expected
export KASI_DB=$tmp/kasi.db
world "$KASI_DB"
jobs="easypay softycomp collexia mobilemoney"
mkdir -p "$tmp/jobs"
for j in $jobs; do
	mkdir -p "$tmp/drop/$j"
	sed -e "s|^remote_dir .*|remote_dir = ../drop/$j|" -e "s|^root .*|root = ../roots/$j|" \
		"$KASI_ROOT/jobs/demo/$j.job" >"$tmp/jobs/$j.job"
done
locked=0 runs=0
for day in $(seq 1 31) 32 33 34; do
	d=$(date -u -d "2026-10-01 + $((day - 1)) days" +%F)
	next=$(date -u -d "$d + 1 day" +%F)
	for f in "$fixtures"/world/*_"${d//-/}".csv*; do
		[ -e "$f" ] || continue
		name=$(basename "$f")
		cp "$f" "$tmp/drop/${name%%_*}/"
	done
	for j in $jobs; do
		(
			KASI_NOW=${next}T06:00:00+02:00 "$KASI" run "$tmp/jobs/$j.job" --date "$d" >/dev/null 2>"$tmp/err.$j.$day"
			echo $? >"$tmp/status.$j.$day"
		) &
	done
	wait
	for j in $jobs; do
		runs=$((runs + 1))
		[ "$(cat "$tmp/status.$j.$day")" = 75 ] && locked=$((locked + 1))
	done
done
check "none of $runs runs side by side was refused as locked ($locked were)" test "$locked" = 0
[ "$locked" = 0 ] || cat "$tmp"/err.* | grep -m3 locked | diag
kasi reconcile --period 2026-10
kasi report outcomes --period 2026-10 --out "$tmp/outcomes.csv"
check "and October is the hand-worked month" cmp "$expected/world_outcomes_2026-10.csv" "$tmp/outcomes.csv"
check "no file was left in an inbox" test -z "$(find "$tmp/roots"/*/inbox -type f)"
