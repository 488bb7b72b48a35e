#!/usr/bin/env bash
# kasi fetch of a local job against what a hostile tester tried: a fetch
# while the job's lock is held, leftovers of killed downloads, names too
# long for the names kasi makes from them, a file kasi cannot read.
# (The same over SFTP, and what needs a server, is in t5001-sftp.sh.)
. "$(dirname "$0")/lib.sh"

db=$tmp/kasi.db
export KASI_DB=$db
world "$db"
export KASI_NOW=2026-10-22T06:00:00+02:00

job() { # NAME [PATTERN]: $tmp/NAME.job, a local job over $tmp/drop-NAME
	mkdir -p "$tmp/drop-$1"
	cat >"$tmp/$1.job" <<-EOF
		[job]
		name       = $1
		source     = local
		remote_dir = drop-$1
		pattern    = ${2:-^easypay_recon_[0-9]{8\}\\.csv\$}
		schema     = easypay_recon
		root       = root-$1
		deadline   = 07:00
		after_pull = keep
	EOF
}
fixture=$fixtures/world/easypay_recon_20261020.csv

# ---- the job's lock ----------------------------------------------------------------------------
# (regression: `kasi fetch` took no lock; two fetches at once wrote the
# same .NAME.part and a corrupt file was recorded as fetched)
job lk
cp "$fixture" "$tmp/drop-lk/"
mkdir -p "$tmp/root-lk"
exec 9>"$tmp/root-lk/.lock"
flock 9
echo 4242 >&9
kasi fetch "$tmp/lk.job"
expect_status 75 "regression: a fetch while the job's lock is held exits 75"
expect_err "holds its lock ($tmp/root-lk/.lock, pid 4242)" "naming the pid that holds it"
check "nothing is fetched" test -z "$(ls -A "$tmp/root-lk/inbox" 2>/dev/null)"
exec 9>&-
kasi fetch "$tmp/lk.job"
expect_status 0 "once the lock is let go, the fetch runs"
check "a fetch leaves no temporary file" test -z "$(find "$tmp/root-lk" -name '.*.part*')"

# ---- leftovers of a killed download -------------------------------------------------------------
# A download's temporary file is .NAME.part-PID (created O_EXCL: no two
# processes share one). One left by a kill, even of a file the server no
# longer has, is removed by the next run; nothing else is.
touch "$tmp/root-lk/inbox/.easypay_recon_20261104.csv.part-123" \
	"$tmp/root-lk/inbox/.easypay_recon_20261105.csv.part" \
	"$tmp/root-lk/inbox/.notes.part-final"
kasi -v run "$tmp/lk.job" --date 2026-10-20
check "regression: a stale .NAME.part-PID is removed by the next run" \
	test ! -e "$tmp/root-lk/inbox/.easypay_recon_20261104.csv.part-123"
check "and one from before downloads named their pid" test ! -e "$tmp/root-lk/inbox/.easypay_recon_20261105.csv.part"
check "a name that only looks like one is kept" test -e "$tmp/root-lk/inbox/.notes.part-final"
expect_err "removed $tmp/root-lk/inbox/.easypay_recon_20261104.csv.part-123, left by a run cut short" "and the run says so (-v)"

# ---- names too long ------------------------------------------------------------------------------
# (regression: a name of ~250 bytes made a temporary name past the file
# system's 255: exit 74 every night, for good)
job ln '^easypay.*\.csv$'
name() { printf 'easypay_%s.csv' "$(head -c $(($1 - 12)) </dev/zero | tr '\0' x)"; }
n200=$(name 200) n201=$(name 201) n250=$(name 250)
check "the names are 200, 201 and 250 bytes" test "${#n200} ${#n201} ${#n250}" = "200 201 250"
for n in "$n200" "$n201" "$n250"; do cp "$fixture" "$tmp/drop-ln/$n"; done
kasi fetch "$tmp/ln.job"
expect_status 1 "regression: names longer than 200 bytes are refused: exit 1, not 74"
expect_out "1 fetched, 0 fetched before, 2 refused" "the 200-byte name is fetched, the longer two refused"
expect_err "refused '$n250': a name longer than 200 bytes is never taken" "each refusal says why"
check "the 200-byte one is in the inbox" cmp "$fixture" "$tmp/root-ln/inbox/$n200"
check "no temporary file left" test -z "$(find "$tmp/root-ln" -name '.*.part*')"
n=$(grep -c "a name longer than 200 bytes" <<<"$err")
check "said once for each ($n)" test "$n" = 2

# ---- a file kasi cannot read ---------------------------------------------------------------------
# Its own failure: logged with its name, counted, the others fetched.
# (As root, kasi runs here without the capabilities that pass over file
# modes, so that mode 000 is unreadable to it.)
job ur
for d in 01 02 03; do cp "$fixture" "$tmp/drop-ur/easypay_recon_201911$d.csv"; done
chmod 000 "$tmp/drop-ur/easypay_recon_20191102.csv"
wrap=()
if [ "$(id -u)" = 0 ]; then wrap=(setpriv --bounding-set=-dac_override,-dac_read_search); fi
out=$("${wrap[@]}" "$KASI" fetch "$tmp/ur.job" 2>"$tmp/.stderr")
status=$?
err=$(cat "$tmp/.stderr")
expect_status 1 "one unreadable file of three: exit 1"
expect_out "2 fetched" "the other two are fetched"
expect_err "cannot read '$tmp/drop-ur/easypay_recon_20191102.csv': Permission denied; the next run tries it again" "the log names the file and why"
chmod 644 "$tmp/drop-ur/easypay_recon_20191102.csv"
kasi fetch "$tmp/ur.job"
expect_status 0 "once readable, the next fetch takes it"
expect_out "1 fetched, 2 fetched before" "and only it"
