#!/usr/bin/env bash
# kasi run against what a hostile tester tried: job files whose folders
# overlap, deadlines, hosts and users that only look right, a notify that
# is no program or leaves children behind, a replay of a date years back,
# a clock from year 1, a file size limit, a partner sending a file of the
# same name again, two jobs sharing a root, and an inbox holding links,
# pipes, folders and names that lie on a terminal. Each regression names
# what it pins.
. "$(dirname "$0")/lib.sh"

export KASI_DB=$tmp/kasi.db
world "$KASI_DB"
now=2026-10-21T06:00:00+02:00

job() { # FILE NAME [KEY=LINE...]: a local easypay job at FILE, its folders beside it
	local file=$1 name=$2
	shift 2
	mkdir -p "$(dirname "$file")" "$tmp/drop"
	{
		echo "[job]"
		echo "name        = $name"
		echo "source      = local"
		echo "remote_dir  = $tmp/drop"
		echo "pattern     = ^easypay_recon_[0-9]{8}\\.csv\$"
		echo "schema      = easypay_recon"
		echo "root        = $tmp/root"
		echo "deadline    = 07:00"
		echo "after_pull  = keep"
		local line
		for line in "$@"; do echo "$line"; done
	} >"$file"
}
# with KEY VALUE: the job file $tmp/j.job with that key's line replaced
with() {
	job "$tmp/j.job" easypay
	sed -i "s|^$1 .*|$1 = $2|" "$tmp/j.job"
}
refused() { # DESC EXPECTED-TEXT
	KASI_NOW=$now kasi run "$tmp/j.job"
	expect_status 78 "$1: exit 78"
	expect_err "$2" "$1: says file, line and key"
}

# ---- 1. folders that overlap -------------------------------------------------------------
mkdir -p "$tmp/root/inbox" "$tmp/elsewhere"
with remote_dir "$tmp/root"
refused "regression: remote_dir the root itself" "j.job:4: remote_dir: '$tmp/root' is the job's root"
with remote_dir "$tmp/root/inbox"
refused "regression: remote_dir the root's inbox (kasi fetched its own inbox)" "j.job:4: remote_dir: '$tmp/root/inbox' lies inside the job's root"
with remote_dir "$tmp/root/processed/"
refused "regression: remote_dir a root folder not made yet" "j.job:4: remote_dir: '$tmp/root/processed/' lies inside the job's root"
with remote_dir "$tmp"
refused "regression: remote_dir holding the root" "j.job:4: remote_dir: '$tmp' holds the job's root"
ln -s "$tmp/root/inbox" "$tmp/sneaky"
with remote_dir "$tmp/sneaky"
refused "regression: remote_dir a link to the inbox (resolved)" "j.job:4: remote_dir: '$tmp/sneaky' lies inside the job's root"
with remote_dir "$tmp/elsewhere/../root/error"
refused "regression: remote_dir reaching the root through .." "lies inside the job's root"
with after_pull "move:$tmp/root/processed"
refused "regression: after_pull move: into the root" "j.job:9: after_pull: move:'$tmp/root/processed' lies inside the job's root"
with after_pull "move:$tmp/drop/"
refused "regression: after_pull move: onto remote_dir itself" "j.job:9: after_pull: move:'$tmp/drop/' is remote_dir itself"
mkdir -p "$tmp/roots"
with root "$tmp/roots/a"
sed -i "s|^remote_dir .*|remote_dir = $tmp/roots/ab|" "$tmp/j.job"
mkdir -p "$tmp/roots/ab"
KASI_NOW=$now kasi run "$tmp/j.job" --date 2026-10-20
check "a drop beside the root whose name starts alike is no overlap (exit $status)" test "$status" -ne 78
with after_pull "move:$tmp/drop/done"
KASI_NOW=$now kasi run "$tmp/j.job" --date 2026-10-20
check "a move: folder inside the drop is fine (exit $status)" test "$status" -ne 78

# ---- 6. job keys that only look right ------------------------------------------------------------
with deadline "07:5x"
refused "regression: deadline 07:5x was taken as 07:05" "j.job:8: deadline: a time of day as HH:MM (SAST), got '07:5x'"
with deadline "7:005"
refused "a deadline of the wrong shape" "deadline: a time of day as HH:MM"
with deadline "24:00"
refused "a deadline past 23:59" "deadline: a time of day as HH:MM"
mkdir -p "$tmp/keys"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/keys/id"
: >"$tmp/keys/known_hosts"
sftp_job() { # HOST USER: $tmp/j.job, an sftp job
	cat >"$tmp/j.job" <<-EOF
		[job]
		name        = easypay
		source      = sftp
		host        = $1
		port        = 1
		user        = $2
		identity    = keys/id
		known_hosts = keys/known_hosts
		remote_dir  = /outbound
		pattern     = ^easypay_recon_[0-9]{8}\.csv$
		schema      = easypay_recon
		root        = $tmp/root
		deadline    = 07:00
		after_pull  = keep
	EOF
}
sftp_job sftp.example:2222 kasi
refused "regression: a host with :PORT in it" "j.job:4: host: a host name or address alone"
sftp_job kasi@sftp.example kasi
refused "regression: a host with user@ in it" "j.job:4: host: a host name or address alone"
sftp_job -oProxyCommand=touch kasi
refused "regression: a host starting with '-'" "j.job:4: host: a host name or address alone"
sftp_job sftp.example -oProxyCommand=x
refused "regression: a user starting with '-'" "j.job:6: user: a user name, not starting with '-'"
sftp_job ::1 kasi
kasi fetch "$tmp/j.job"
expect_status 69 "an IPv6 address is a host (it gets as far as connecting)"
sftp_job 127.0.0.1 kasi
kasi fetch "$tmp/j.job"
expect_status 69 "an IPv4 address is a host"

# (regression: a schema no run can process, one that does not exist or a
# register's, was taken by kasi fetch, which pulled files no run could
# process; kasi run refused it without the line) Both refuse it with the
# line, before anything is fetched.
for bad in nosuch:"no schema named 'nosuch'" policies:"policies is not a channel's schema"; do
	job "$tmp/s.job" easypay
	sed -i -e "s|^schema .*|schema = ${bad%%:*}|" -e "s|^root .*|root = $tmp/sroot|" "$tmp/s.job"
	cp "$fixtures/world/easypay_recon_20261020.csv" "$tmp/drop/"
	for cmd in fetch run; do
		KASI_NOW=$now kasi "$cmd" "$tmp/s.job"
		expect_status 78 "regression: $cmd, schema = ${bad%%:*}: exit 78"
		expect_err "s.job:6: schema: ${bad#*:}" "$cmd, schema = ${bad%%:*}: says file, line and key"
		check "$cmd, schema = ${bad%%:*}: nothing fetched" test ! -e "$tmp/sroot/inbox/easypay_recon_20261020.csv"
	done
done

# (regression: a line that is no 'key = value' was 'j.job: line 10:
# expected key = value', unlike every other message's FILE:LINE)
job "$tmp/j.job" easypay "notify /bin/true"
refused "a line with no '='" "$tmp/j.job:10: expected key = value"

# A job file over 64 KiB: the message quoted itself through an
# overlapping snprintf (undefined; it came out "big.job: big.job:  is...").
{ echo "[job]"; for i in $(seq 1 3000); do echo "# padding line $i ........................"; done; } >"$tmp/big.job"
KASI_NOW=$now kasi run "$tmp/big.job"
expect_status 78 "a job file over 64 KiB: exit 78"
expect_err "error: '$tmp/big.job' is longer than 65536 bytes" "regression: its message is whole, not quoted over itself"
# The same pattern in the unpaid reason mapping's message.
cp -r "$KASI_SCHEMAS" "$tmp/schemas"
rm "$tmp/schemas/unpaid_reasons.csv"
job "$tmp/j.job" easypay
KASI_SCHEMAS=$tmp/schemas KASI_NOW=$now kasi run "$tmp/j.job" --date 2026-10-20
expect_status 78 "no unpaid reason mapping: exit 78"
expect_err "the unpaid reason mapping file is missing: cannot open '$tmp/schemas/unpaid_reasons.csv'" \
	"regression: its message quotes the cause whole"

# ---- 3. notify -----------------------------------------------------------------------------------
job "$tmp/j.job" easypay "notify = nosuch"
refused "a notify that does not exist" "j.job:10: notify: '$tmp/nosuch' is not a program kasi may run"
mkdir -p "$tmp/notify.d"
job "$tmp/j.job" easypay "notify = notify.d"
refused "regression: a notify that is a directory (root may 'execute' one)" "j.job:10: notify: '$tmp/notify.d' is not a program kasi may run: not a regular file"
printf '#!/bin/sh\nexit 0\n' >"$tmp/plain"
chmod 644 "$tmp/plain"
job "$tmp/j.job" easypay "notify = plain"
refused "a notify that is not executable" "j.job:10: notify: '$tmp/plain' is not a program kasi may run"

# A notify whose child outlives it, and which itself outlasts its time:
# the whole group goes (regression: only notify itself was killed, its
# child lingered holding kasi's output).
cat >"$tmp/slow" <<-EOF
	#!/bin/sh
	ls -l /proc/\$\$/fd/ >"$tmp/notify.fds"
	sleep 300 &
	echo \$! >"$tmp/slow.child"
	wait
EOF
chmod +x "$tmp/slow"
job "$tmp/j.job" easypay "notify = slow"
rm -f "$tmp/slow.child"
start=$(date +%s)
(exec 7>"$tmp/held"; KASI_NOTIFY_TIMEOUT=1 KASI_NOW=$now "$KASI" run "$tmp/j.job" --date 2026-10-20 >"$tmp/slow.out" 2>"$tmp/slow.err")
took=$(($(date +%s) - start))
check "a notify past its time is killed after KASI_NOTIFY_TIMEOUT (took ${took}s)" test "$took" -lt 30
check "and says so" grep -q "notify $tmp/slow did not finish in 1 s: killed, with what it started" "$tmp/slow.err"
child=$(cat "$tmp/slow.child" 2>/dev/null)
sleep 0.2
alive() { [ -n "$1" ] && ps -o stat= -p "$1" | grep -qv '^Z'; } # (a zombie is dead)
check "regression: the child notify started is killed with it" bash -c "[ -n '$child' ] && ! { $(declare -f alive); alive '$child'; }"
alive "$child" && kill "$child"
# Beside 0-2, the shell holds its own (the script it reads, a copy of its
# input): none of kasi's, not even the one kasi was handed as fd 7.
check "regression: notify inherits no descriptor of kasi's, not even one kasi was given" \
	bash -c '! grep -qE "^l.* 7 -> |$1|kasi\.db" "$2"' _ "$tmp/held" "$tmp/notify.fds"
job "$tmp/j.job" easypay
KASI_NOTIFY_TIMEOUT=0 KASI_NOW=$now kasi run "$tmp/j.job" --date 2026-10-20
expect_status 78 "a KASI_NOTIFY_TIMEOUT that is not 1 to 3600 seconds: exit 78"
expect_err "KASI_NOTIFY_TIMEOUT must be whole seconds from 1 to 3600, got '0'" "saying what it wants"

# ---- 7. two jobs sharing a root -----------------------------------------------------------------
job "$tmp/j.job" easypay
job "$tmp/other.job" easypay_late
KASI_NOW=$now kasi run "$tmp/j.job" --date 2026-10-20
check "the lock names the job that holds it and its pid" grep -qE '^[0-9]+ easypay$' "$tmp/root/.lock"
exec 9<>"$tmp/root/.lock"
flock 9
printf '4242 easypay\n' >"$tmp/root/.lock"
KASI_NOW=$now kasi run "$tmp/other.job" --date 2026-10-20
expect_status 75 "a job sharing a locked root exits 75"
expect_err "a run of job easypay holds the lock of the root it shares with job easypay_late" \
	"regression: naming the job that holds it, not itself"
expect_err "pid 4242" "and its pid"
KASI_NOW=$now kasi run "$tmp/j.job" --date 2026-10-20
expect_err "another run of job easypay holds its lock" "the same job: as before"
exec 9>&-

# ---- 4. a file size limit ------------------------------------------------------------------------
# (regression: SIGXFSZ killed kasi mid-write, exit 153)
awk 'BEGIN { print "transaction_id,easypay_code,transaction_type,merchant_id,terminal_id,cashier_id,transaction_timestamp,gross_amount,settlement_status,merchant_name,receipt_number"
	for (i = 1; i <= 20000; i++)
		printf "EP_BIG_%08d,91234567890103,topup,M,T,C,2026-10-19T10:15:00+02:00,10.00,settled,Shop,R%d\n", i, i }' \
	>"$tmp/drop/easypay_recon_20261019.csv"
files=$(sql "$KASI_DB" "SELECT count(*) FROM files")
limited() { # a run with files limited to 256 KiB: $tmp/fsz.status, .err
	(ulimit -f 256; KASI_NOW=$now "$KASI" run "$tmp/j.job" --date 2026-10-20 >"$tmp/fsz.out" 2>"$tmp/fsz.err"; echo $? >"$tmp/fsz.status")
}
limited
check "regression: a fetch past the file size limit exits 74, not killed ($(cat "$tmp/fsz.status"))" test "$(cat "$tmp/fsz.status")" = 74
check "saying the copy could not be written" grep -q "cannot write the copy of easypay_recon_20261019.csv: File too large" "$tmp/fsz.err"
mv "$tmp/drop/easypay_recon_20261019.csv" "$tmp/root/inbox/"
limited
check "regression: an ingest past the file size limit exits 74, not killed ($(cat "$tmp/fsz.status"))" test "$(cat "$tmp/fsz.status")" = 74
check "saying the write failed" grep -q "a write failed: is the disk full, or a file size limit set?" "$tmp/fsz.err"
check "the store untouched" test "$(sql "$KASI_DB" "SELECT count(*) FROM files")" = "$files"
check "the store whole" test "$(sql "$KASI_DB" "PRAGMA integrity_check")" = ok
check "the file still in the inbox" test -f "$tmp/root/inbox/easypay_recon_20261019.csv"
KASI_NOW=$now kasi run "$tmp/j.job" --date 2026-10-20
check "and taken by the next run without the limit" test -f "$tmp/root/processed/easypay_recon_20261019.csv" -o -f "$tmp/root/discrepancies/easypay_recon_20261019.csv"
rm -f "$tmp/drop"/*

# ---- 5. a file of the same name sent again ----------------------------------------------------------
r=$tmp/root
cp "$fixtures/world/easypay_recon_20261020.csv" "$tmp/drop/"
KASI_NOW=$now kasi run "$tmp/j.job" --date 2026-10-20
check "the first easypay_recon_20261020.csv has discrepancies" test -f "$r/discrepancies/easypay_recon_20261020.csv.discrepancies.csv"
cp "$r/discrepancies/easypay_recon_20261020.csv.discrepancies.csv" "$tmp/first.csv"
# The partner sends the day again, other transactions under the same name.
sed -e 's/EP_TXN_20261020_0/EP_TXN_20261020_9/' -e 's/RCP-0022/RCP-0099/' \
	"$fixtures/world/easypay_recon_20261020.csv" >"$tmp/drop/easypay_recon_20261020.csv"
touch -d '2026-10-21 05:00' "$tmp/drop/easypay_recon_20261020.csv"
KASI_NOW=$now kasi run "$tmp/j.job" --date 2026-10-20
check "the second is filed as easypay_recon_20261020.csv.1" test -f "$r/discrepancies/easypay_recon_20261020.csv.1"
expect_out "moved to discrepancies/ as easypay_recon_20261020.csv.1" "and the run says so"
check "regression: its report is named after it (NAME.1.discrepancies.csv)" test -f "$r/discrepancies/easypay_recon_20261020.csv.1.discrepancies.csv"
check "regression: the first one's report is left as it was" cmp "$tmp/first.csv" "$r/discrepancies/easypay_recon_20261020.csv.discrepancies.csv"
second=$(sql "$KASI_DB" "SELECT max(file_id) FROM files WHERE name = 'easypay_recon_20261020.csv'")
want=$(sql "$KASI_DB" "SELECT count(*) FROM discrepancies WHERE file_id = $second")
got=$(($(wc -l <"$r/discrepancies/easypay_recon_20261020.csv.1.discrepancies.csv") - 1))
check "regression: the second's report holds its own discrepancies, by the file and not its name ($got, want $want)" test "$got" = "$want" -a "$want" -gt 0
check "and none of the first's transactions" bash -c '! grep -q EP_TXN_20261020_0 "$1"' _ "$r/discrepancies/easypay_recon_20261020.csv.1.discrepancies.csv"
# The same for a file rejected twice under one name.
cp "$fixtures/world/easypay_recon_20261021.csv" "$tmp/drop/"
KASI_NOW=$now kasi run "$tmp/j.job" --date 2026-10-20
sed 's/RCP-0023/RCP-0098/' "$fixtures/world/easypay_recon_20261021.csv" >"$tmp/drop/easypay_recon_20261021.csv"
touch -d '2026-10-21 05:00' "$tmp/drop/easypay_recon_20261021.csv"
KASI_NOW=$now kasi run "$tmp/j.job" --date 2026-10-20
expect_out "moved to error/" "a second invalid file of the same name is rejected"
check "regression: its validation report is named after it (NAME.1.errors.txt)" test -f "$r/error/easypay_recon_20261021.csv.1.errors.txt" -a -f "$r/error/easypay_recon_20261021.csv.1"
rm -f "$tmp/drop"/*

# ---- 8. what else an inbox can hold ------------------------------------------------------------------
echo "secret" >"$tmp/outside.csv"
ln -s "$tmp/outside.csv" "$r/inbox/easypay_recon_20261022.csv"
mkdir "$r/inbox/easypay_recon_20261023.csv"
mkfifo "$r/inbox/easypay_recon_20261024.csv"
KASI_NOW=$now timeout 60 "$KASI" run "$tmp/j.job" --date 2026-10-20 >"$tmp/in.out" 2>"$tmp/in.err"
status=$?
check "regression: a pipe in the inbox does not hang the run (exit $status)" test "$status" != 124
check "regression: nor is it skipped silently: the run exits 1" test "$status" = 1
check "regression: a link in the inbox is not followed: said, left in place" \
	grep -q "inbox/easypay_recon_20261022.csv is a symbolic link, not a regular file: left in place" "$tmp/in.err"
check "the link is still there" test -L "$r/inbox/easypay_recon_20261022.csv"
check "and what it points at was not read into the store" test "$(sql "$KASI_DB" "SELECT count(*) FROM files WHERE name = 'easypay_recon_20261022.csv'")" = 0
check "regression: a folder in the inbox is said" grep -q "inbox/easypay_recon_20261023.csv is a directory" "$tmp/in.err"
check "regression: a pipe in the inbox is said" grep -q "inbox/easypay_recon_20261024.csv is a named pipe" "$tmp/in.err"
rm -rf "$r/inbox"/*
# Names that would lie on a terminal: rendered, never written as they are.
job "$tmp/j.job" easypay
sed -i 's|^pattern .*|pattern = ^easypay_recon_.*\\.csv$|' "$tmp/j.job"
rlo=$(printf '\342\200\256')
: >"$r/inbox/easypay_recon_${rlo}vsc.20261025.csv"
: >"$r/inbox/easypay_recon_$(printf 'a\033[2Jb').csv"
KASI_NOW=$now kasi run "$tmp/j.job" --date 2026-10-20
expect_status 1 "regression: names no partner sends, in the inbox: the run exits 1"
expect_err 'inbox/easypay_recon_\u202Evsc.20261025.csv: a name no partner' "regression: U+202E is shown as \\u202E, not turning the line around"
expect_err 'inbox/easypay_recon_a\x1B[2Jb.csv: a name no partner' "an escape sequence is shown escaped"
check "nothing raw reaches the log" bash -c '! grep -q "$1" <<<"$2" && ! grep -q "$(printf "\033")" <<<"$2"' _ "$rlo" "$err"
check "both left in place" test "$(ls "$r/inbox" | wc -l)" = 2
rm -rf "$r/inbox"/*

# ---- 2. replays of old dates, and clocks that cannot be -----------------------------------------------
fresh() { # a store and job of their own: the job has never run
	rm -rf "$tmp/root2" "$tmp/fresh.db"
	world "$tmp/fresh.db"
	job "$tmp/f.job" fresh
	sed -i "s|^root .*|root = $tmp/root2|" "$tmp/f.job"
}
missing() { sql "$tmp/fresh.db" "SELECT count(*) FROM discrepancies WHERE code = 'MISSING_FILE'"; }
fresh
KASI_DB=$tmp/fresh.db KASI_NOW=2026-10-21T08:00:00+02:00 kasi run "$tmp/f.job"
check "the job's first run, for 20 October: that day missing, no other ($(missing))" test "$(missing)" = 1
KASI_DB=$tmp/fresh.db KASI_NOW=2026-10-21T08:30:00+02:00 kasi run "$tmp/f.job" --date 2020-01-01
expect_status 0 "a replay of 2020-01-01, long before the job's first day: nothing missing"
KASI_DB=$tmp/fresh.db KASI_NOW=2026-10-22T08:00:00+02:00 kasi run "$tmp/f.job"
check "regression: the next night raises 21 October alone, not 92 days from 2020 ($(missing) in all)" test "$(missing)" = 2
fresh
KASI_DB=$tmp/fresh.db KASI_NOW=2026-10-21T08:00:00+02:00 kasi run "$tmp/f.job" --date 2020-01-01
expect_status 0 "a job's first run replaying 2020-01-01: nothing missing"
KASI_DB=$tmp/fresh.db KASI_NOW=2026-10-22T08:00:00+02:00 kasi run "$tmp/f.job"
check "regression: a first run that replays an old date does not make it the job's first day ($(missing))" test "$(missing)" = 2

for bad in 0001-01-01T00:00:00Z 1969-12-31T23:00:00Z 3000-01-01T00:00:00+02:00; do
	KASI_NOW=$bad kasi run "$tmp/j.job"
	expect_status 78 "regression: KASI_NOW=$bad is refused: exit 78"
	expect_err "KASI_NOW is '$bad', outside the years 2000 to 2999 kasi runs in" "saying why"
done
KASI_NOW=-2026-10-21T06:00:00Z kasi run "$tmp/j.job"
expect_status 78 "a negative year: exit 78"
KASI_NOW=10000-01-01T00:00:00Z kasi run "$tmp/j.job"
expect_status 78 "a year past 9999: exit 78"
KASI_NOW=0001-01-01T00:00:00Z kasi settle --through 2026-10-20
expect_status 78 "regression: kasi settle refuses it too"
KASI_NOW=$now kasi run "$tmp/j.job" --date 1999-12-31
expect_status 64 "regression: a --date before 2000 is a usage error"
expect_err "--date wants a date in the years 2000 to 2999, got '1999-12-31'" "saying so"
KASI_NOW=$now kasi run "$tmp/j.job" --date 9999-12-31
expect_status 64 "regression: --date 9999-12-31 is a usage error (its deadline's day was printed cut)"
