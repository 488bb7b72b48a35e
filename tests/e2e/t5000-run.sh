#!/usr/bin/env bash
# kasi run with local jobs, one per channel, over the fixture world day by
# day: the files go where they belong, the reports are the hand-worked
# ones, MISSING_FILE is raised once per job and date after the deadline
# (never before), the lock refuses a second run, notify gets its four
# variables and nothing else, the logs hold nothing personal, and bad job
# files are configuration errors naming file, line and key.
. "$(dirname "$0")/lib.sh"

expected=$KASI_ROOT/tests/e2e/expected
db=$tmp/kasi.db
export KASI_DB=$db
world "$db"

# ---- job files ------------------------------------------------------------------------
job() { # NAME SCHEMA PATTERN [EXTRA LINE...]: jobs/NAME.job, a local job
	local name=$1 schema=$2 pattern=$3
	shift 3
	mkdir -p "$tmp/jobs" "$tmp/drop/$name"
	{
		echo "# $name: the fixture world's files, dropped day by day"
		echo "[job]"
		echo "name        = $name"
		echo "source      = local"
		echo "remote_dir  = ../drop/$name"
		echo "pattern     = $pattern"
		echo "schema      = $schema"
		echo "root        = ../roots/$name"
		echo "deadline    = 07:00"
		echo "after_pull  = keep"
		local line
		for line in "$@"; do echo "$line"; done
	} >"$tmp/jobs/$name.job"
}
cat >"$tmp/notify" <<-EOF
	#!/bin/sh
	env >"$tmp/notified.\$KASI_JOB"
	exit 3
EOF
chmod +x "$tmp/notify"
job easypay easypay_recon '^easypay_recon_[0-9]{8}\.csv(\.gz)?$' "notify = ../notify"
job softycomp softycomp_transactions '^softycomp_transactions_[0-9]{8}\.csv(\.gz)?$'
job collexia collexia_results '^collexia_results_[0-9]{8}\.csv(\.gz)?$'
job mobilemoney mobilemoney_transactions '^mobilemoney_transactions_[0-9]{8}\.csv(\.gz)?$'

# ---- bad job files: exit 78, file:line: key ------------------------------------------------
bad_job() { # DESC EXPECTED-TEXT: the job file in $tmp/bad.job is refused so
	kasi run "$tmp/bad.job" --date 2026-10-01
	expect_status 78 "$1: exit 78"
	expect_err "$2" "$1: says where and what"
}
sed '/^schema/d' "$tmp/jobs/softycomp.job" >"$tmp/bad.job"
bad_job "a missing key" "bad.job:2: schema: missing"
sed 's/^deadline .*/deadline = 7am/' "$tmp/jobs/softycomp.job" >"$tmp/bad.job"
bad_job "a bad deadline" "bad.job:9: deadline:"
{ cat "$tmp/jobs/softycomp.job"; echo "colour = blue"; } >"$tmp/bad.job"
bad_job "an unknown key" "bad.job:11: colour: unknown key"
{ cat "$tmp/jobs/softycomp.job"; echo "host = sftp.example"; } >"$tmp/bad.job"
bad_job "an sftp key in a local job" "bad.job:11: host: for sftp jobs only"
{ cat "$tmp/jobs/softycomp.job"; echo "name = again"; } >"$tmp/bad.job"
bad_job "a key given twice" "bad.job:11: name: given twice (first at line 3)"
sed 's/^pattern .*/pattern = ^easypay_(/' "$tmp/jobs/softycomp.job" >"$tmp/bad.job"
bad_job "a pattern that does not compile" "bad.job:6: pattern:"
sed 's/^schema .*/schema = nosuch/' "$tmp/jobs/softycomp.job" >"$tmp/bad.job"
bad_job "a schema that does not exist" "schema: no schema named 'nosuch'"
sed 's/^schema .*/schema = policies/' "$tmp/jobs/softycomp.job" >"$tmp/bad.job"
bad_job "a schema that is not a channel's" "policies is not a channel's schema"
kasi run "$tmp/nosuch.job"
expect_status 66 "no job file: exit 66"
kasi run "$tmp/jobs/easypay.job" --date 2026-02-30
expect_status 64 "an impossible --date: exit 64"
KASI_NOW=tomorrow kasi run "$tmp/jobs/easypay.job"
expect_status 78 "a KASI_NOW that is not ISO 8601: exit 78"

# ---- the jobs the repository ships parse, whole -------------------------------------------------
# The examples name keys kasi cannot read here and servers that do not
# resolve: with keys beside them, each gets as far as connecting (69).
mkdir -p "$tmp/examples/keys"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/examples/keys/id_ed25519"
: >"$tmp/examples/keys/known_hosts"
for f in "$KASI_ROOT"/jobs/*.job; do
	sed -e '/^notify/d' -e "s|^root .*|root = $tmp/examples/root|" -e 's|^host .*|host = nosuch.invalid|' "$f" >"$tmp/examples/$(basename "$f")"
	kasi fetch "$tmp/examples/$(basename "$f")"
	expect_status 69 "jobs/$(basename "$f") is a whole job (it gets as far as connecting)"
done
for f in "$KASI_ROOT"/jobs/demo/*.job; do
	kasi --db "$tmp/demo-check.db" init
	cp "$f" "$tmp/examples/demo-$(basename "$f")"
	grep -q "^remote_dir *= ../../demo/drop/" "$f"
	check "jobs/demo/$(basename "$f") takes its files from demo/drop/" test $? = 0
done

# ---- the world, day by day ---------------------------------------------------------------------
# The file dated D is dropped on the morning after D; each job runs for D
# at 06:00 SAST on D+1, before D's 07:00 deadline.
drop_day() { # YYYYMMDD: the world's files of that date into their drops
	local f name
	for f in "$fixtures"/world/*_"$1".csv*; do
		[ -e "$f" ] || continue
		name=$(basename "$f")
		cp "$f" "$tmp/drop/${name%%_*}/"
	done
}
declare -A worst
for day in $(seq 1 31) 101 102 103; do
	if [ "$day" -gt 100 ]; then d=2026-11-0$((day - 100)); else d=$(printf '2026-10-%02d' "$day"); fi
	drop_day "${d//-/}"
	next=$(date -u -d "$d + 1 day" +%F)
	for j in easypay softycomp collexia mobilemoney; do
		KASI_NOW=${next}T06:00:00+02:00 kasi run "$tmp/jobs/$j.job" --date "$d"
		[ "$status" -gt "${worst[$j]:-0}" ] && worst[$j]=$status
		echo "$out" >>"$tmp/run-$j.out"
		echo "$err" >>"$tmp/run-$j.err"
	done
done
check "easypay's worst run was a rejected file (65; ${worst[easypay]})" test "${worst[easypay]}" = 65
check "softycomp's runs found discrepancies (1; ${worst[softycomp]})" test "${worst[softycomp]}" = 1

r=$tmp/roots
check "the rejected file is in error/" test -f "$r/easypay/error/easypay_recon_20261021.csv"
check "with its validation report" grep -q "luhn" "$r/easypay/error/easypay_recon_20261021.csv.errors.txt"
check "the duplicate .gz is in discrepancies/" test -f "$r/easypay/discrepancies/easypay_recon_20261005.csv.gz"
check "with DUPLICATE_FILE beside it" grep -q "^DUPLICATE_FILE," "$r/easypay/discrepancies/easypay_recon_20261005.csv.gz.discrepancies.csv"
check "a clean file is in processed/" test -f "$r/collexia/processed/collexia_results_20261017.csv"
check "a file with discrepancies is not" test -f "$r/softycomp/discrepancies/softycomp_transactions_20261001.csv"
check "every inbox is empty" test -z "$(find "$r"/*/inbox -type f)"
check "no report is readable by others" test -z "$(find "$r" -path '*/reports/*' -perm /077)"
check "each file's discrepancy report lists only its own rows" \
	bash -c '! cut -d, -f4 "$1" | tail -n +2 | grep -vqx easypay_recon_20261020.csv' _ "$r/easypay/discrepancies/easypay_recon_20261020.csv.discrepancies.csv"

# October's outcomes, as reconciled after November's first Softy Comp file
# (its unpaid reverses an October debit): exactly the hand-worked ones.
if cmp -s "$expected/world_outcomes_2026-10.csv" "$r/softycomp/reports/outcomes_2026-10.csv"; then
	ok "the nightly runs give the hand-worked outcomes"
else
	not_ok "the nightly runs give the hand-worked outcomes"
	diff "$expected/world_outcomes_2026-10.csv" "$r/softycomp/reports/outcomes_2026-10.csv" | diag
fi
# All but the free-text detail, read with a real CSV parser, as t3000 does.
sqlite3 "$tmp/cmp.db" ".import --csv $r/softycomp/reports/discrepancies_2026-10.csv d" \
	".headers on" ".mode list" ".separator ," ".output $tmp/got.csv" \
	"SELECT code, severity, channel, file, row, reference, transaction_id, expected, actual FROM d WHERE code <> 'MISSING_FILE'"
tr -d '\r' <"$tmp/got.csv" >"$tmp/disc.csv"
if cmp -s "$expected/world_discrepancies_2026-10.csv" "$tmp/disc.csv"; then
	ok "and, MISSING_FILE aside, the hand-worked discrepancies"
else
	not_ok "and, MISSING_FILE aside, the hand-worked discrepancies"
	diff "$expected/world_discrepancies_2026-10.csv" "$tmp/disc.csv" | diag
fi

# ---- MISSING_FILE -----------------------------------------------------------------------------------
# EasyPay sent files dated 5, 20 and 21 October: every other day from the
# job's first run (1 October) to 2 November is missing; 3 November's
# deadline (4 November 07:00) had not passed at the last run.
n=$(sql "$db" "SELECT count(*) FROM discrepancies WHERE code = 'MISSING_FILE' AND channel = 'easypay'")
check "MISSING_FILE for each EasyPay day without a file ($n, want 30)" test "$n" = 30
n=$(sql "$db" "SELECT count(*) FROM discrepancies WHERE code = 'MISSING_FILE' AND channel = 'easypay' AND expected = 'a file dated 2026-11-02'")
check "the day before a run is missing once its deadline passed ($n)" test "$n" = 1
n=$(sql "$db" "SELECT count(*) FROM discrepancies WHERE code = 'MISSING_FILE' AND expected LIKE '%2026-11-03'")
check "never before the deadline ($n)" test "$n" = 0
n=$(sql "$db" "SELECT count(DISTINCT period) FROM discrepancies WHERE code = 'MISSING_FILE' AND channel = 'easypay'")
check "each in the period of its date ($n periods)" test "$n" = 2
KASI_NOW=2026-11-05T09:00:00+02:00 kasi run "$tmp/jobs/easypay.job" --date 2026-11-03
expect_status 1 "a run after 3 November's deadline exits 1"
expect_out "MISSING_FILE: no file dated 2026-11-03 by 2026-11-04 07:00 SAST" "and says which file is missing"
cp "$tmp/notified.easypay" "$tmp/notified.first"
KASI_NOW=2026-11-05T09:30:00+02:00 kasi run "$tmp/jobs/easypay.job" --date 2026-11-03
expect_status 0 "regression: the next run, with nothing new, exits 0 (not 1 for good)"
expect_out "31 dates missing (0 raised now); exit 0" "and its summary counts the dates still missing"
n=$(sql "$db" "SELECT count(*) FROM discrepancies WHERE code = 'MISSING_FILE' AND expected = 'a file dated 2026-11-03'")
check "raised once per job and date, however many runs ($n)" test "$n" = 1
check "the discrepancies report of November holds it" grep -q "^MISSING_FILE,error,easypay,.*2026-11-03" "$r/easypay/reports/discrepancies_2026-11.csv"

# ---- notify ---------------------------------------------------------------------------------------
check "notify ran for the job with notify set" test -s "$tmp/notified.easypay"
check "and for no other job" test ! -e "$tmp/notified.softycomp"
check "KASI_JOB" grep -qx "KASI_JOB=easypay" "$tmp/notified.easypay"
check "KASI_EXIT, the run's exit code" grep -qx "KASI_EXIT=1" "$tmp/notified.first"
check "KASI_SUMMARY, one line" grep -q "^KASI_SUMMARY=easypay 2026-11-03: .*(1 raised now); exit 1$" "$tmp/notified.first"
check "KASI_REPORTS, the report paths" grep -q "^KASI_REPORTS=.*reports/discrepancies_2026-11.csv" "$tmp/notified.easypay"
SECRET_TOKEN=hunter2 KASI_NOW=2026-11-05T10:00:00+02:00 kasi run "$tmp/jobs/easypay.job" --date 2026-11-03
check "notify's environment carries nothing else of kasi's" bash -c '! grep -qE "SECRET_TOKEN|KASI_DB|KASI_NOW|HOME=" "$1"' _ "$tmp/notified.easypay"
expect_err "notify $tmp/jobs/../notify failed (exit 3)" "a failing notify is logged"
expect_status 0 "and does not change the run's exit"

# A missing file that comes late: its MISSING_FILE is no longer a problem
# to work (cleared on the worklist, the discrepancy kept as history).
cp "$fixtures/world/easypay_recon_20261020.csv" "$tmp/drop/easypay/easypay_recon_20261103.csv"
sed -i 's/2026-10-20T/2026-11-03T/; s/EP_TXN_20261020_/EP_TXN_20261103_/' "$tmp/drop/easypay/easypay_recon_20261103.csv"
KASI_NOW=2026-11-05T10:10:00+02:00 kasi run "$tmp/jobs/easypay.job" --date 2026-11-03
expect_out "30 dates missing (0 raised now)" "the late file of 3 November is no longer missing"
check "regression: its MISSING_FILE exception is cleared by the run after it came" \
	test "$(sql "$db" "SELECT cleared_at FROM exceptions WHERE code = 'MISSING_FILE' AND subject = 'a file dated 2026-11-03'")" = 2026-11-05T10:10:00+02:00
check "and the other days' stay open" \
	test "$(sql "$db" "SELECT count(*) FROM exceptions WHERE code = 'MISSING_FILE' AND channel = 'easypay' AND cleared_at IS NULL")" = 30

# ---- the lock ---------------------------------------------------------------------------------------------
exec 9>"$r/easypay/.lock"
flock 9
echo 4242 >&9
kasi run "$tmp/jobs/easypay.job" --date 2026-11-03
expect_status 75 "a second run of a job exits 75"
expect_err "pid 4242" "naming the pid that holds the lock"
exec 9>&-
kasi run "$tmp/jobs/softycomp.job" --date 2026-11-03
check "another job is not held back (exit $status)" test "$status" -ne 75

# ---- logs: stamped, with a run id, nothing personal ---------------------------------------------------------
check "every line is stamped in SAST with a run id" \
	bash -c '! grep -v "^$" "$1" | grep -vqE "^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\+02:00 kasi\[run [0-9a-f]{8}\]: "' _ "$tmp/run-easypay.out"
KASI_NOW=2026-11-05T10:00:00+02:00 kasi -v run "$tmp/jobs/easypay.job" --date 2026-11-03
expect_err "info: easypay: run for 2026-11-03 started" "-v logs each step"
all=$(cat "$tmp"/run-*.out "$tmp"/run-*.err; echo "$out"; echo "$err")
leaks=0
for v in $(tail -n +2 "$fixtures/world/policies.csv" | cut -d, -f5,8 | tr , '\n' | grep -E '^[0-9]{6,}$'; \
	tail -n +2 "$fixtures/world/products.csv" | awk -F, '{print $NF}' | grep -E '^[0-9]{6,}$'); do
	grep -qF -- "$v" <<<"$all" && { leaks=$((leaks + 1)); echo "leaked: ${v:0:3}..." | diag; }
done
check "no ID, account or EasyPay number in the output or logs ($leaks leaked)" test "$leaks" = 0

# ---- a progress line for long files, on a terminal only ------------------------------------------------
awk 'BEGIN { print "transaction_id,easypay_code,transaction_type,merchant_id,terminal_id,cashier_id,transaction_timestamp,gross_amount,settlement_status,merchant_name,receipt_number"
	for (i = 1; i <= 70000; i++)
		printf "EP_LONG_%08d,91234567890103,topup,M,T,C,2026-10-19T10:15:00+02:00,10.00,settled,Shop,R%d\n", i, i }' \
	>"$tmp/easypay_recon_20261019.csv"
if command -v script >/dev/null; then
	tty_out=$(script -qec "'$KASI' validate '$tmp/easypay_recon_20261019.csv'" /dev/null 2>&1)
	check "on a terminal, a long file shows how far it got" grep -q "65536 rows read" <<<"$tty_out"
else
	not_ok "script(1) is installed (util-linux)"
fi
kasi validate "$tmp/easypay_recon_20261019.csv"
check "not on a pipe (cron): no progress line" bash -c '! grep -q "rows read" <<<"$1"' _ "$err"

# ---- what a run cut short leaves is cleared by the next ---------------------------------------------------
# (regression: a report's temporary file, left by a run killed while it
# wrote, stayed in discrepancies/ for good)
touch "$r/easypay/discrepancies/easypay_recon_20261020.csv.discrepancies.csv.tmp-99999" \
	"$r/easypay/reports/outcomes_2026-11.csv.tmp-12" "$r/easypay/inbox/.easypay_recon_20261104.csv.part"
touch "$r/easypay/processed/keep.tmp-notanumber"
KASI_NOW=2026-11-05T11:00:00+02:00 kasi run "$tmp/jobs/easypay.job" --date 2026-11-03
check "the next run removes them" test -z "$(find "$r/easypay" -name '*.tmp-[0-9]*' -o -name '.*.part')"
check "and nothing else" test -e "$r/easypay/processed/keep.tmp-notanumber"

# ---- repeated options ------------------------------------------------------------------------------------
kasi run "$tmp/jobs/easypay.job" --date 2026-11-01 --date 2026-11-02
expect_status 64 "regression: --date given twice is a usage error, not the last one silently"
expect_err "--date is given twice ('2026-11-01', then '2026-11-02')" "naming both"

# Regression: 5 October's file sent again under 4 November's name is a
# duplicate (its content was applied), and 4 November's file has still
# not come: the duplicate said only that it was skipped, and counted as
# the day's file, so no MISSING_FILE was raised for the day.
cp "$fixtures/world/easypay_recon_20261005.csv" "$tmp/drop/easypay/easypay_recon_20261104.csv"
KASI_NOW=2026-11-06T09:00:00+02:00 kasi run "$tmp/jobs/easypay.job" --date 2026-11-04
expect_status 1 "yesterday's content under a later day's name: exit 1"
check "regression: the duplicate names the day of the file it repeats, and says the day's own has not come" \
	test "$(sql "$db" "SELECT count(*) FROM discrepancies WHERE code = 'DUPLICATE_FILE' AND detail LIKE '%(the file of 2026-10-05)%the file of 2026-11-04 has not come'")" = 1
expect_out "MISSING_FILE: no file dated 2026-11-04 by 2026-11-05 07:00 SAST" "regression: and the day's file is missing"
