#!/usr/bin/env bash
# kasi fetch and kasi run against a real OpenSSH server on 127.0.0.1:
# strict host keys (unknown, changed, other type: refused, with the key's
# fingerprint, nothing added), key authentication, hostile names, files
# changing while read, a server killed mid-transfer, after_pull.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sshd.sh"

if ! sshd_available; then
	# scripts/deps.sh installs openssh-server: its absence is a failure.
	not_ok "sshd is installed ($sshd_bin)"
	exit 0
fi
if ! sshd_start "$tmp/ssh"; then
	not_ok "sshd starts on 127.0.0.1"
	exit 0
fi
ok "sshd listening on 127.0.0.1:$sshd_port"
srv=$tmp/ssh/srv
db=$tmp/kasi.db
world "$db"
export KASI_NOW=2026-10-22T08:00:00+02:00

fingerprint=$(ssh-keygen -lf "$sshd_hostkey.pub" -E sha256 | cut -d' ' -f2)

# ---- a full pull, then a run -------------------------------------------------------------
cp "$fixtures"/world/easypay_recon_20261020.csv "$fixtures"/world/easypay_recon_20261021.csv "$srv/"
sshd_job ep
kasi --db "$db" fetch "$tmp/ssh/ep.job"
expect_status 0 "fetch over SFTP"
expect_out "2 fetched" "both files fetched"
check "the inbox holds the server's bytes" cmp "$srv/easypay_recon_20261020.csv" "$tmp/ssh/root-ep/inbox/easypay_recon_20261020.csv"
check "the root's folders are private" test "$(stat -c %a "$tmp/ssh/root-ep/inbox")" = 700
check "no temporary file is left" test -z "$(find "$tmp/ssh/root-ep" -name '.*.part*')"
kasi --db "$db" fetch "$tmp/ssh/ep.job"
expect_status 0 "a second pull"
expect_out "0 fetched, 2 fetched before" "a second pull fetches nothing new"
check "the store records name, size, mtime and SHA-256" test "$(sql "$db" "SELECT count(*) FROM fetched WHERE job = 'ep' AND length(sha256) = 64 AND size > 0")" = 2

kasi --db "$db" run "$tmp/ssh/ep.job" --date 2026-10-21
expect_status 65 "run: one file rejected is exit 65"
check "the valid file went to discrepancies/" test -f "$tmp/ssh/root-ep/discrepancies/easypay_recon_20261020.csv"
check "its discrepancy report beside it" test -s "$tmp/ssh/root-ep/discrepancies/easypay_recon_20261020.csv.discrepancies.csv"
check "the invalid file went to error/" test -f "$tmp/ssh/root-ep/error/easypay_recon_20261021.csv"
check "its validation report beside it" grep -q "luhn" "$tmp/ssh/root-ep/error/easypay_recon_20261021.csv.errors.txt"
check "the inbox is empty" test -z "$(ls "$tmp/ssh/root-ep/inbox")"

# ---- host keys ---------------------------------------------------------------------------
refused() { # DESC: the last fetch was refused as exit 69 with the fingerprint, nothing fetched
	expect_status 69 "$1: exit 69"
	expect_err "$fingerprint" "$1: the server key's fingerprint is printed"
	check "$1: nothing fetched" test -z "$(ls "$tmp/ssh/root-hk/inbox" 2>/dev/null)"
}
: >"$tmp/empty_known_hosts"
sshd_job hk
job_set hk known_hosts "$tmp/empty_known_hosts"
kasi --db "$db" fetch "$tmp/ssh/hk.job"
refused "an unknown host key"
expect_err "not known" "an unknown host key is said so"
check "nothing is added to known_hosts" test ! -s "$tmp/empty_known_hosts"

# (regression: a known_hosts path that does not exist, most likely
# misspelt, was exit 69 "host key is not known", advising
# "ssh-keyscan ... >> PATH", which would make the misspelt file) It is a
# bad job file: exit 78 naming the file, the line and the key, before
# connecting.
job_set hk known_hosts "$tmp/not_made_yet"
kasi --db "$db" fetch "$tmp/ssh/hk.job"
expect_status 78 "regression: a known_hosts that does not exist: exit 78, not 69"
expect_err "$tmp/ssh/hk.job:$(grep -n '^known_hosts' "$tmp/ssh/hk.job" | cut -d: -f1): known_hosts: '$tmp/not_made_yet' does not exist" \
	"naming the job file, the line and the key"
check "no advice to append to it" bash -c '! grep -q ssh-keyscan <<<"$1"' _ "$err"
check "nothing makes the file" test ! -e "$tmp/not_made_yet"
kasi --db "$db" run "$tmp/ssh/hk.job" --date 2026-10-21
expect_status 78 "run: the same, exit 78"

ssh-keygen -q -t ed25519 -N '' -f "$tmp/other_ed25519"
echo "[127.0.0.1]:$sshd_port $(cut -d' ' -f1,2 "$tmp/other_ed25519.pub")" >"$tmp/changed_known_hosts"
cp "$tmp/changed_known_hosts" "$tmp/changed_known_hosts.before"
job_set hk known_hosts "$tmp/changed_known_hosts"
kasi --db "$db" fetch "$tmp/ssh/hk.job"
refused "a changed host key"
expect_err "CHANGED" "a changed host key is said so"
check "known_hosts is left as it was" cmp "$tmp/changed_known_hosts" "$tmp/changed_known_hosts.before"
expect_err "ssh-keygen -R '[127.0.0.1]:$sshd_port'" "a changed key: says to remove the old one first"

ssh-keygen -q -t ecdsa -N '' -f "$tmp/other_ecdsa"
echo "[127.0.0.1]:$sshd_port $(cut -d' ' -f1,2 "$tmp/other_ecdsa.pub")" >"$tmp/other_known_hosts"
job_set hk known_hosts "$tmp/other_known_hosts"
kasi --db "$db" fetch "$tmp/ssh/hk.job"
refused "a host key of another type"

# The user's own trust stores are never read: a HOME whose known_hosts
# trusts the server changes nothing.
mkdir -p "$tmp/home/.ssh"
cp "$sshd_known_hosts" "$tmp/home/.ssh/known_hosts"
printf 'Host *\n  StrictHostKeyChecking no\n  UserKnownHostsFile %s\n' "$sshd_known_hosts" >"$tmp/home/.ssh/config"
job_set hk known_hosts "$tmp/empty_known_hosts"
out=$(HOME=$tmp/home "$KASI" --db "$db" fetch "$tmp/ssh/hk.job" 2>&1)
status=$?
check "~/.ssh/known_hosts and ~/.ssh/config are not read (exit $status)" test "$status" -eq 69

# ---- the user's key -----------------------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -f "$tmp/stranger"
sshd_job wk
job_set wk identity "$tmp/stranger"
kasi --db "$db" fetch "$tmp/ssh/wk.job"
expect_status 69 "a key the server does not know: exit 69"
expect_err "refused the key" "the refused key is said so"
check "the key's contents are never logged" bash -c '! grep -qF "$(sed -n 2p "$1")" <<<"$2"' _ "$tmp/stranger" "$err"
cp "$sshd_userkey" "$tmp/loose_key"
chmod 644 "$tmp/loose_key"
job_set wk identity "$tmp/loose_key"
kasi --db "$db" fetch "$tmp/ssh/wk.job"
expect_status 78 "a private key others can read is refused (78)"
expect_err "a private key must be 0600" "and says how it must be kept"
job_set wk identity "$sshd_userkey.pub"
kasi --db "$db" fetch "$tmp/ssh/wk.job"
expect_status 78 "the public half named as identity: 78"
expect_err "is a public key: name the private key" "and says which file was meant"
# (regression: a key with a passphrase was exit 78 at connecting, naming
# neither the job file, its line nor the key)
ssh-keygen -q -t ed25519 -N 'secret' -f "$tmp/locked_key"
job_set wk identity "$tmp/locked_key"
kasi --db "$db" fetch "$tmp/ssh/wk.job"
expect_status 78 "regression: a private key with a passphrase: 78"
expect_err "$tmp/ssh/wk.job:$(grep -n '^identity' "$tmp/ssh/wk.job" | cut -d: -f1): identity: the private key '$tmp/locked_key' has a passphrase" \
	"naming the job file, the line and the key, and why"

# ---- hostile names --------------------------------------------------------------------------
mkdir -p "$tmp/hsrv"
cp "$fixtures"/world/easypay_recon_20261020.csv "$tmp/hsrv/easypay_ok.csv"
cp "$fixtures"/world/easypay_recon_20261020.csv "$tmp/hsrv/easypay..csv"
cp "$fixtures"/world/easypay_recon_20261020.csv "$tmp/hsrv/easypay_new"$'\n'"line.csv"
cp "$fixtures"/world/easypay_recon_20261020.csv "$tmp/hsrv/easypay_esc"$'\033'"[31m.csv"
mkdir "$tmp/hsrv/easypay_dir.csv"
echo "secret" >"$tmp/outside"
ln -s "$tmp/outside" "$tmp/hsrv/easypay_link.csv"
sshd_job hn
job_set hn pattern '^easypay.*$'
job_set hn remote_dir "$tmp/hsrv"
kasi --db "$db" fetch "$tmp/ssh/hn.job"
expect_status 1 "hostile names: exit 1 (refusals)"
expect_out "1 fetched" "only the plain name is fetched"
expect_out "4 refused" "the dotted, escape and link names and the directory are refused"
# The pattern's '.' does not take a newline: that name is not the job's.
check "the newline name, which the pattern does not take, is passed over, not refused" \
	bash -c '! grep -q "refused .easypay_new" <<<"$1"' _ "$err"
check "the plain file is in the inbox" test -f "$tmp/ssh/root-hn/inbox/easypay_ok.csv"
check "only it is in the inbox" test "$(ls -A "$tmp/ssh/root-hn/inbox" | wc -l)" = 1
check "nothing written outside the root" test -z "$(find "$tmp" -newer "$tmp/outside" -type f -name 'easypay*' ! -path "$tmp/ssh/root-hn/*" ! -path "$tmp/hsrv/*")"
check "the log shows no raw control character" bash -c '! grep -q $'"'"'\033'"'"' <<<"$1"' _ "$err"
expect_err "not a regular file" "the link and the directory are said so"

# ---- a file changing while it is read --------------------------------------------------------
# A watcher changes the server's file as soon as the download has begun
# (its temporary file appears). The copy is then not taken: no file of
# that name in the inbox, none half-written, and the next run fetches it.
big() { # FILE ROWS: an EasyPay file of ROWS rows
	awk -v n="$2" 'BEGIN {
		print "transaction_id,easypay_code,amount,transaction_date,transaction_time,store_id,status,transaction_type"
		for (i = 1; i <= n; i++)
			printf "EP_BIG_%08d,91234567890500,10.00,2026-10-19,101500,S1,settled,topup\n", i }' >"$1"
}
watch_then() { # GLOB ACTION: run ACTION once a file GLOB names exists (give up after 20 s)
	local i
	for i in $(seq 400); do
		if compgen -G "$1" >/dev/null; then eval "$2"; return; fi
		sleep 0.05
	done
}
sshd_job ch
mkdir -p "$tmp/csrv"
job_set ch remote_dir "$tmp/csrv"
for change in truncate grow; do
	name=easypay_recon_201910$([ $change = truncate ] && echo 01 || echo 02).csv
	big "$tmp/csrv/$name" 600000
	size=$(stat -c %s "$tmp/csrv/$name")
	if [ $change = truncate ]; then act="truncate -s 1000 '$tmp/csrv/$name'"; else act="big '$tmp/grown' 20000; tail -n +2 '$tmp/grown' >>'$tmp/csrv/$name'"; fi
	watch_then "$tmp/ssh/root-ch/inbox/.$name.part-*" "$act" &
	watcher=$!
	kasi --db "$db" fetch "$tmp/ssh/ch.job"
	wait "$watcher"
	if [ -e "$tmp/ssh/root-ch/inbox/$name" ]; then
		# The copy outran the watcher: then it must be the whole file as listed.
		check "$change: a file fetched whole (it changed after the read)" test "$(stat -c %s "$tmp/ssh/root-ch/inbox/$name")" = "$size"
	else
		expect_err "changed while it was fetched" "$change mid-transfer: not taken"
		expect_status 1 "$change mid-transfer: exit 1"
	fi
	check "$change: no temporary file left" test -z "$(find "$tmp/ssh/root-ch" -name '.*.part*')"
	kasi --db "$db" fetch "$tmp/ssh/ch.job"
	check "$change: the next run fetches the file as it now is" cmp "$tmp/csrv/$name" "$tmp/ssh/root-ch/inbox/$name"
done

# ---- the server killed mid-transfer ------------------------------------------------------------
sshd_job kl
mkdir -p "$tmp/ksrv"
job_set kl remote_dir "$tmp/ksrv"
big "$tmp/ksrv/easypay_recon_20191003.csv" 600000
watch_then "$tmp/ssh/root-kl/inbox/.easypay_recon_20191003.csv.part-*" sshd_kill &
watcher=$!
kasi --db "$db" fetch "$tmp/ssh/kl.job"
wait "$watcher"
if [ -e "$tmp/ssh/root-kl/inbox/easypay_recon_20191003.csv" ]; then
	check "the copy finished before the kill: it is whole" cmp "$tmp/ksrv/easypay_recon_20191003.csv" "$tmp/ssh/root-kl/inbox/easypay_recon_20191003.csv"
else
	expect_status 69 "sshd killed mid-transfer: exit 69"
	check "no partial file in the inbox" test -z "$(ls -A "$tmp/ssh/root-kl/inbox")"
	check "nothing recorded as fetched" test "$(sql "$db" "SELECT count(*) FROM fetched WHERE job = 'kl'")" = 0
fi
sshd_start "$tmp/ssh" || not_ok "sshd restarts"
kasi --db "$db" fetch "$tmp/ssh/kl.job"
expect_status 0 "after the server is back, the rerun completes"
check "the rerun's copy is whole" cmp "$tmp/ksrv/easypay_recon_20191003.csv" "$tmp/ssh/root-kl/inbox/easypay_recon_20191003.csv"

# ---- after_pull -------------------------------------------------------------------------------------
mkdir -p "$tmp/dsrv" "$tmp/msrv/done"
cp "$fixtures"/world/easypay_recon_20261020.csv "$tmp/dsrv/"
cp "$fixtures"/world/easypay_recon_20261020.csv "$tmp/msrv/"
sshd_job dl "after_pull = delete"
job_set dl remote_dir "$tmp/dsrv"
kasi --db "$db" fetch "$tmp/ssh/dl.job"
expect_status 0 "after_pull = delete: fetched"
check "delete: the server's file is gone" test ! -e "$tmp/dsrv/easypay_recon_20261020.csv"
check "delete: the inbox has it" test -f "$tmp/ssh/root-dl/inbox/easypay_recon_20261020.csv"
sshd_job mv "after_pull = move:$tmp/msrv/done"
job_set mv remote_dir "$tmp/msrv"
kasi --db "$db" fetch "$tmp/ssh/mv.job"
expect_status 0 "after_pull = move: fetched"
check "move: the server's file moved to done/" test -f "$tmp/msrv/done/easypay_recon_20261020.csv" -a ! -e "$tmp/msrv/easypay_recon_20261020.csv"

# ---- a server that stops answering ------------------------------------------------------------
# The job's timeout bounds connecting and every read: a listener that
# never speaks SSH, and a session frozen mid-transfer, both end in exit 69
# after about that long, with nothing half-fetched kept.
sshd_job fz
job_set fz timeout 2
mkdir -p "$tmp/fsrv"
job_set fz remote_dir "$tmp/fsrv"
kill -STOP "$(cat "$tmp/ssh/sshd.pid")"
start=$(date +%s)
kasi --db "$db" fetch "$tmp/ssh/fz.job"
took=$(($(date +%s) - start))
kill -CONT "$(cat "$tmp/ssh/sshd.pid")"
expect_status 69 "a server that accepts but never answers: exit 69"
check "after the job's timeout, not forever (${took} s)" test "$took" -le 10
big "$tmp/fsrv/easypay_recon_20191004.csv" 600000
watch_then "$tmp/ssh/root-fz/inbox/.easypay_recon_20191004.csv.part-*" "pkill -STOP -P $(cat "$tmp/ssh/sshd.pid")" &
watcher=$!
start=$(date +%s)
kasi --db "$db" fetch "$tmp/ssh/fz.job"
took=$(($(date +%s) - start))
wait "$watcher"
pkill -CONT -P "$(cat "$tmp/ssh/sshd.pid")"
if [ -e "$tmp/ssh/root-fz/inbox/easypay_recon_20191004.csv" ]; then
	check "the copy finished before the freeze: it is whole" cmp "$tmp/fsrv/easypay_recon_20191004.csv" "$tmp/ssh/root-fz/inbox/easypay_recon_20191004.csv"
else
	expect_status 69 "a session frozen mid-transfer: exit 69"
	expect_err "no answer for 2 s (the job's timeout)" "the timeout is named"
	check "after the job's timeout, not forever (${took} s)" test "$took" -le 15
	check "no partial file in the inbox" test -z "$(ls -A "$tmp/ssh/root-fz/inbox")"
fi

# after_pull into a directory the server does not have: the file is
# fetched, the move fails (exit 1), and once the directory exists the next
# run moves it (it is not fetched again).
mkdir -p "$tmp/asrv"
cp "$fixtures"/world/easypay_recon_20261020.csv "$tmp/asrv/"
sshd_job am "after_pull = move:$tmp/asrv/later"
job_set am remote_dir "$tmp/asrv"
kasi --db "$db" fetch "$tmp/ssh/am.job"
expect_status 1 "after_pull into a missing directory: exit 1"
check "the file is fetched all the same" test -f "$tmp/ssh/root-am/inbox/easypay_recon_20261020.csv"
mkdir "$tmp/asrv/later"
kasi --db "$db" fetch "$tmp/ssh/am.job"
expect_status 0 "regression: the next run does the move (it was never tried again)"
expect_out "0 fetched, 1 fetched before" "without fetching the file again"
check "the file is moved on the server" test -f "$tmp/asrv/later/easypay_recon_20261020.csv"

# ---- holding a pull still between its files --------------------------------------------------
# A fetch records each file in the store as soon as it is in the inbox.
# With the store's write lock held by the test, a fetch stops there, after
# its first file, with the rest of the listing read but not yet opened:
# what the test then does to the server's other files happens, every
# time, between their listing and their transfer.
hold_store() { # DB: take the store's write lock, held until release_store
	rm -f "$tmp/hold.in"
	mkfifo "$tmp/hold.in"
	sqlite3 "$1" <"$tmp/hold.in" >/dev/null 2>&1 &
	hold_pid=$!
	exec 7>"$tmp/hold.in"
	echo "BEGIN IMMEDIATE;" >&7
	local i
	for i in $(seq 200); do
		sqlite3 -cmd ".timeout 0" "$1" "BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>&1 || return 0
		sleep 0.05
	done
	return 1
}
release_store() {
	echo "COMMIT;" >&7
	exec 7>&-
	wait "$hold_pid"
}
first_in() { # INBOX: wait (10 s at most) for a file in INBOX; its name on stdout
	local i f
	for i in $(seq 200); do
		for f in "$1"/*; do [ -f "$f" ] && { basename "$f"; return 0; }; done
		sleep 0.05
	done
	return 1
}
# held_fetch JOB ACTION: fetch JOB in the background ($held_pid), held
# after its first file ($first: that file's name); run ACTION; let it go
# on; $out $err $status as kasi sets them.
held_fetch() {
	hold_store "$db" || not_ok "the store's lock is taken"
	"$KASI" --db "$db" fetch "$tmp/ssh/$1.job" >"$tmp/held.out" 2>"$tmp/held.err" &
	held_pid=$!
	first=$(first_in "$tmp/ssh/root-$1/inbox") || not_ok "$1: a first file is fetched"
	eval "$2"
	release_store
	wait "$held_pid"
	status=$?
	out=$(cat "$tmp/held.out")
	err=$(cat "$tmp/held.err")
}
three() { # DIR: three EasyPay files in DIR, modified in the past
	mkdir -p "$1"
	local d
	for d in 01 02 03; do
		sed "s/EP_/EP${d}_/" "$fixtures"/world/easypay_recon_20261020.csv >"$1/easypay_recon_201911$d.csv"
	done
	touch -d '2019-11-04 08:00:00Z' "$1"/*
}
others() { # DIR: the files of DIR other than $first
	local f
	for f in "$1"/*; do [ "$(basename "$f")" != "$first" ] && echo "$f"; done
}

# ---- two fetches of a job at once ----------------------------------------------------------------
# (regression: `kasi fetch` took no lock: two at once wrote the same
# .NAME.part, and a corrupt file was recorded as fetched)
three "$tmp/lsrv"
sshd_job lk
job_set lk remote_dir "$tmp/lsrv"
held_fetch lk 'kasi --db "$db" fetch "$tmp/ssh/lk.job"; second=$status; second_err=$err; second_out=$out'
check "regression: a second fetch of the job while one is pulling exits 75 (exit $second)" test "$second" = 75
check "for the job's lock, naming the first one's pid" grep -q "another run of job lk holds its lock (.*pid $held_pid)" <<<"$second_err"
check "the second fetches nothing" bash -c '! grep -q "fetched easypay" <<<"$1"' _ "$second_out"
expect_status 0 "the first one finishes its pull"
expect_out "3 fetched" "all three files"
for f in "$tmp"/lsrv/*; do
	check "$(basename "$f") is whole in the inbox" cmp "$f" "$tmp/ssh/root-lk/inbox/$(basename "$f")"
done

# ---- a file that cannot be read is that file's failure -----------------------------------------
# (regression: one unreadable or vanished file on the server stopped the
# whole pull with exit 69)
three "$tmp/psrv"
chmod 000 "$tmp/psrv/easypay_recon_20191102.csv"
sshd_job pm
job_set pm remote_dir "$tmp/psrv"
kasi --db "$db" fetch "$tmp/ssh/pm.job"
expect_status 1 "regression: one unreadable file of three: exit 1, not 69"
expect_out "2 fetched" "the other two are fetched"
expect_out "1 not taken this time" "and it is counted"
expect_err "easypay_recon_20191102.csv: SFTP server: Permission denied" "the log names the file and why"
check "the unreadable one is not in the inbox" test ! -e "$tmp/ssh/root-pm/inbox/easypay_recon_20191102.csv"
chmod 644 "$tmp/psrv/easypay_recon_20191102.csv"
kasi --db "$db" fetch "$tmp/ssh/pm.job"
expect_status 0 "once readable, the next fetch takes it"
expect_out "1 fetched, 2 fetched before" "and only it"

three "$tmp/vsrv"
sshd_job vn
job_set vn remote_dir "$tmp/vsrv"
held_fetch vn 'gone=$(others "$tmp/vsrv" | head -1); rm "$gone"'
expect_status 1 "regression: a file gone between the listing and its transfer: exit 1, not 69"
expect_out "2 fetched" "the other two are fetched"
expect_err "$(basename "$gone"): SFTP server: No such file" "the log names the file that went"

# ---- a file rewritten at the same size ----------------------------------------------------------
# (regression: a file rewritten in place at its listed size was taken,
# its new bytes recorded under the old listing)
three "$tmp/rsrv"
sshd_job rw
job_set rw remote_dir "$tmp/rsrv"
held_fetch rw 'changed=$(others "$tmp/rsrv" | head -1); size=$(stat -c %s "$changed"); sed "s/EP/XP/" "$changed" >"$tmp/rw.new"; cat "$tmp/rw.new" >"$changed"'
check "the rewrite kept the size" test "$(stat -c %s "$changed")" = "$size"
expect_status 1 "regression: a file rewritten at the same size after its listing is not taken: exit 1"
expect_err "$(basename "$changed") changed while it was fetched (listed: $size bytes, modified 2019-11-04T08:00:00Z; once read: $size bytes, modified" "said so, with what changed"
check "it is not in the inbox" test ! -e "$tmp/ssh/root-rw/inbox/$(basename "$changed")"
check "no temporary file left" test -z "$(find "$tmp/ssh/root-rw" -name '.*.part*')"
kasi --db "$db" fetch "$tmp/ssh/rw.job"
expect_status 0 "the next fetch takes it"
check "as it now is" cmp "$changed" "$tmp/ssh/root-rw/inbox/$(basename "$changed")"

# ---- the key and known_hosts: regular files only --------------------------------------------------
# (regression: a known_hosts that was a FIFO held the fetch for good; a
# directory was taken for a missing file)
sshd_job tf
mkfifo "$tmp/kh.fifo"
job_set tf known_hosts "$tmp/kh.fifo"
out=$(timeout 30 "$KASI" --db "$db" fetch "$tmp/ssh/tf.job" 2>"$tmp/.stderr")
status=$?
err=$(cat "$tmp/.stderr")
expect_status 78 "regression: a known_hosts that is a FIFO: exit 78 at once, not a wait"
expect_err "known_hosts: '$tmp/kh.fifo' is a named pipe" "naming the file and what it is"
mkdir "$tmp/kh.dir"
job_set tf known_hosts "$tmp/kh.dir"
kasi --db "$db" fetch "$tmp/ssh/tf.job"
expect_status 78 "regression: a known_hosts that is a directory: exit 78, not 69"
expect_err "$tmp/ssh/tf.job:$(grep -n '^known_hosts' "$tmp/ssh/tf.job" | cut -d: -f1): known_hosts: '$tmp/kh.dir' is a directory" "naming it, with the job file and the line"
job_set tf known_hosts "$sshd_known_hosts"
mkfifo "$tmp/id.fifo"
job_set tf identity "$tmp/id.fifo"
out=$(timeout 30 "$KASI" --db "$db" fetch "$tmp/ssh/tf.job" 2>"$tmp/.stderr")
status=$?
err=$(cat "$tmp/.stderr")
expect_status 78 "an identity that is a FIFO: exit 78, not a wait"
expect_err "$tmp/id.fifo" "naming it"

# ---- @revoked and @cert-authority ----------------------------------------------------------------
# (regression: libssh reads no markers: a key marked @revoked and listed
# plainly elsewhere was trusted)
hostkey=$(cut -d' ' -f1,2 "$sshd_hostkey.pub")
sshd_job rv
{ echo "# the old key, revoked"; echo "@revoked [127.0.0.1]:$sshd_port $hostkey"; cat "$sshd_known_hosts"; } >"$tmp/revoked_known_hosts"
job_set rv known_hosts "$tmp/revoked_known_hosts"
mkdir -p "$tmp/rvsrv"
cp "$fixtures"/world/easypay_recon_20261020.csv "$tmp/rvsrv/"
job_set rv remote_dir "$tmp/rvsrv"
kasi --db "$db" fetch "$tmp/ssh/rv.job"
expect_status 69 "regression: a host key marked @revoked is refused, though also listed plainly: exit 69"
expect_err "its host key $fingerprint is marked @revoked in $tmp/revoked_known_hosts (line 2)" "said so, with the fingerprint and the line"
check "nothing fetched" test -z "$(ls -A "$tmp/ssh/root-rv/inbox" 2>/dev/null)"
{ echo "@revoked * $hostkey"; cat "$sshd_known_hosts"; } >"$tmp/revoked_known_hosts"
kasi --db "$db" fetch "$tmp/ssh/rv.job"
expect_status 69 "a key revoked under any host name is refused"
{ echo "@revoked [127.0.0.1]:$sshd_port $(cut -d' ' -f1,2 "$tmp/other_ed25519.pub")"; cat "$sshd_known_hosts"; } >"$tmp/revoked_known_hosts"
kasi --db "$db" fetch "$tmp/ssh/rv.job"
expect_status 0 "another key revoked: the server's own is trusted"
echo "@cert-authority * $hostkey" >"$tmp/ca_known_hosts"
job_set rv known_hosts "$tmp/ca_known_hosts"
kasi --db "$db" fetch "$tmp/ssh/rv.job"
expect_status 69 "an @cert-authority line trusts nothing (kasi takes no host certificates)"
expect_err "its host key is not known" "the key is unknown"

# ---- names from the server, shown safely -----------------------------------------------------------
# (regression: a name the pattern does not take, holding a control
# character, was refused and counted every night; names were printed raw)
mkdir -p "$tmp/nsrv"
cp "$fixtures"/world/easypay_recon_20261020.csv "$tmp/nsrv/"
for n in "notes"$'\033'"[2J.txt" "report"$'\n'".csv" "junk"$'\xff'".txt" "x"$'\xe2\x80\xae'"txt.csv"; do
	echo x >"$tmp/nsrv/$n"
done
sshd_job nm
job_set nm remote_dir "$tmp/nsrv"
kasi --db "$db" fetch "$tmp/ssh/nm.job"
expect_status 0 "regression: odd names the pattern does not take are not the job's: exit 0"
expect_out "1 fetched, 0 fetched before, 0 refused" "nothing refused"
check "nothing said of them" test -z "$err"
kasi --db "$db" -v fetch "$tmp/ssh/nm.job"
expect_err "passed over 'notes\\x1B[2J.txt': the job's pattern does not take it" "at -v, each is passed over, shown escaped"
expect_err "passed over 'junk\\xFF.txt'" "bytes that are not UTF-8 as \\xNN"
check "no raw escape or direction override in the log" \
	bash -c '! grep -qP "\xe2\x80\xae|\x1b" <<<"$1"' _ "$err"

mkdir -p "$tmp/bsrv"
for n in "easypay_"$'\xe2\x80\xae'"vsc.exe" "easypay_"$'\xc2\x9b'"31m.csv" "easypay_"$'\xff'".csv"; do
	cp "$fixtures"/world/easypay_recon_20261020.csv "$tmp/bsrv/$n"
done
sshd_job bd
job_set bd pattern '^easypay.*$'
job_set bd remote_dir "$tmp/bsrv"
kasi --db "$db" -v fetch "$tmp/ssh/bd.job"
expect_status 1 "names the pattern takes, each unsafe, are refused (exit 1)"
expect_out "0 fetched, 0 fetched before, 3 refused" "none is fetched: a direction override or a C1 control is no partner's name either"
expect_err "refused 'easypay_\\u202Evsc.exe': the name holds a control character, or one that changes how the text around it reads" "regression: a direction override in a name is shown as \\u202E, and said why"
expect_err "refused 'easypay_\\u009B31m.csv': the name holds a control character" "a C1 control as \\u009B"
expect_err "refused 'easypay_\\xFF.csv': the name is not valid UTF-8" "the refusal says the name is not UTF-8, its byte shown"
check "no raw override, C1 control or escape in the output or the log" \
	bash -c '! grep -qP "\xe2\x80\xae|\xc2\x9b|\x1b" <<<"$1$2"' _ "$out" "$err"

# ---- an unreachable server ------------------------------------------------------------------------------
sshd_stop
sshd_job ur
kasi --db "$db" fetch "$tmp/ssh/ur.job"
expect_status 69 "a server that is down: exit 69"
