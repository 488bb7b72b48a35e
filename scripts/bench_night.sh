#!/usr/bin/env bash
# make bench (part 3): the nightly job, beside its yardsticks, on the same
# data, in the same run.
#
#   1. transfer: 30 daily EasyPay files of 100,000 rows each (gen_easypay,
#      fixed seeds) on a real OpenSSH sshd on 127.0.0.1 (tests/e2e/sshd.sh:
#      generated keys, key authentication only); `kasi fetch` pulls them
#      into a fresh inbox (temporary name, size check, fsync, rename, the
#      store's record), and OpenSSH's own `sftp -b` pulls the same files
#      (`get` of each), each BENCH_RUNS times (default 3), alternating;
#      medians, MB/s, and kasi's time as a ratio of sftp's;
#   2. one night on a 1,000,000-policy store (the world of bench_world.sh,
#      October's files ingested and reconciled): a 100,000-row EasyPay
#      file of 29 October whose codes are the world's, on the sshd;
#      `kasi run` (fetch, validate, ingest, reconcile, reports, file away)
#      beside the same steps run by hand on a copy of the same store
#      (kasi fetch; kasi validate; kasi ingest; kasi reconcile; both
#      reports), each BENCH_RUNS times; medians.
# Figures only: nothing here passes or fails on speed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
KASI=${KASI:-$root/kasi}
BIN=${BENCH_BIN:-$root/build/bench}
N=${BENCH_POLICIES:-1000000}
RUNS=${BENCH_RUNS:-3}
FILES=${BENCH_SFTP_FILES:-30}
ROWS=${BENCH_SFTP_ROWS:-100000}
work=$root/build/bench-data/night
export LC_ALL=C
export KASI_SCHEMAS=${KASI_SCHEMAS:-$root/schemas}
export KASI_NOW=2026-10-30T02:00:00+02:00
mkdir -p "$work"

for tool in sftp /usr/sbin/sshd ssh-keygen; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing (run scripts/deps.sh)"; exit 1; }
done

# The sshd of the tests; its files under $tmp (removed at exit).
tmp=$work/run
rm -rf "$tmp"
mkdir -p "$tmp"
ok() { :; }
not_ok() { echo "bench: $*"; }
. "$root/tests/e2e/sshd.sh"
sshd_start "$tmp/ssh" || { echo "bench: sshd did not start"; exit 1; }

secs() { awk -v ns="$1" 'BEGIN { printf "%.3f", ns / 1e9 }'; }
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { # VAR CMD...: run CMD, add its wall seconds to VAR (a word a run)
	local var=$1 start end
	shift
	sync
	start=$(date +%s%N)
	"$@" >"$tmp/last.out" 2>&1 || { local s=$?; [ $s = 1 ] || { echo "bench: $* failed ($s)"; tail -5 "$tmp/last.out"; exit 1; }; }
	end=$(date +%s%N)
	printf -v "$var" '%s%s ' "${!var}" "$(secs $((end - start)))"
}

# ---- 1. transfer ------------------------------------------------------------------------
srv=$work/srv-$FILES-$ROWS
if [ "$(ls "$srv"/easypay_recon_*.csv 2>/dev/null | wc -l)" != "$FILES" ]; then
	rm -rf "$srv"
	mkdir -p "$srv"
	for ((d = 1; d <= FILES; d++)); do
		"$BIN/gen_easypay" --date "202609$(printf '%02d' "$d")" --rows "$ROWS" --seed "$d" \
			--out "$srv/easypay_recon_202609$(printf '%02d' "$d").csv"
	done
fi
bytes=$(cat "$srv"/*.csv | wc -c)
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
sshd_job xfer
job_set xfer remote_dir "$srv"
job_set xfer root "$tmp/xfer-root"
{
	echo "lcd $tmp/sftp-inbox"
	for f in "$srv"/*.csv; do echo "get $f"; done
} >"$tmp/batch"
sftp_get() {
	sftp -q -b "$tmp/batch" -i "$sshd_userkey" -P "$sshd_port" \
		-o UserKnownHostsFile="$sshd_known_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=yes -o BatchMode=yes -F /dev/null "$sshd_user@127.0.0.1"
}
T_kasi='' T_sftp=''
for ((r = 1; r <= RUNS; r++)); do
	rm -rf "$tmp/xfer-root" "$tmp/xfer.db" "$tmp/sftp-inbox"
	mkdir -p "$tmp/sftp-inbox"
	"$KASI" --db "$tmp/xfer.db" init >/dev/null
	timed T_kasi "$KASI" --db "$tmp/xfer.db" fetch "$tmp/ssh/xfer.job"
	[ "$(ls "$tmp/xfer-root/inbox" | wc -l)" = "$FILES" ] || { echo "bench: kasi fetched $(ls "$tmp/xfer-root/inbox" | wc -l) of $FILES files"; exit 1; }
	timed T_sftp sftp_get
	[ "$(ls "$tmp/sftp-inbox" | wc -l)" = "$FILES" ] || { echo "bench: sftp fetched $(ls "$tmp/sftp-inbox" | wc -l) of $FILES files"; exit 1; }
done
cmp -s "$srv/easypay_recon_20260901.csv" "$tmp/xfer-root/inbox/easypay_recon_20260901.csv" ||
	{ echo "bench: kasi's copy differs from the server's"; exit 1; }
k=$(median "$T_kasi") s=$(median "$T_sftp")
rm -rf "$tmp/xfer-root" "$tmp/sftp-inbox"

echo
echo "== the nightly job: transfer of $FILES EasyPay files ($((FILES * ROWS)) rows, $mb MB) from sshd on 127.0.0.1, median of $RUNS"
printf '%-34s %9s %9s\n' "" seconds MB/s
printf '%-34s %9s %9s\n' "kasi fetch" "$k" "$(awk -v b="$bytes" -v t="$k" 'BEGIN { printf "%.0f", b / 1e6 / t }')"
printf '%-34s %9s %9s\n' "sftp -b (OpenSSH), same files" "$s" "$(awk -v b="$bytes" -v t="$s" 'BEGIN { printf "%.0f", b / 1e6 / t }')"
echo "kasi fetch takes $(awk -v a="$k" -v b="$s" 'BEGIN { printf "%.2f", a / b }')x sftp's time (target: at most 1.5x)"

# ---- 2. one night on a 1M-policy store ------------------------------------------------------
world=$root/build/bench-data/world/data-$N
world_seed=7 # the world bench_world.sh measures
night_seed=29
if [ ! -s "$world/policies.csv" ]; then
	mkdir -p "$world"
	"$BIN/gen_world" --policies "$N" --seed "$world_seed" --out "$world" >/dev/null
fi
base=$work/base-$N.db
if [ ! -s "$base" ] || [ "$base" -ot "$KASI" ]; then
	echo "(building the $N-policy store the night starts from: once)"
	rm -f "$base"
	KASI_DB=$base "$KASI" init >/dev/null
	KASI_DB=$base "$KASI" load products "$world/products.csv" >/dev/null
	KASI_DB=$base "$KASI" load policies "$world/policies.csv" >/dev/null
	KASI_DB=$base "$KASI" load ledger "$world/ledger.csv" >/dev/null
	KASI_DB=$base "$KASI" schedule --period 2026-10 >/dev/null
	files=$(for f in "$world"/{softycomp,collexia,easypay}_*.csv; do
		echo "$(basename "$f" | grep -oE '[0-9]{8}') $f"; done | sort -s -k1,1 | awk '{print $2}')
	KASI_DB=$base "$KASI" ingest $files >/dev/null || [ $? = 1 ]
	KASI_DB=$base "$KASI" reconcile --period 2026-10 >/dev/null || [ $? = 1 ]
fi
night=$tmp/night-srv
mkdir -p "$night"
awk -F, 'NR > 1 && $8 != "" { print $8 }' "$world/policies.csv" >"$tmp/codes"
"$BIN/gen_easypay" --date 20261029 --rows "$ROWS" --seed "$night_seed" --codes "$tmp/codes" \
	--out "$night/easypay_recon_20261029.csv"
sshd_job night
job_set night remote_dir "$night"
job_set night root "$tmp/night-root"
sshd_job hand
job_set hand remote_dir "$night"
job_set hand root "$tmp/hand-root"

T_run='' T_fetch='' T_validate='' T_ingest='' T_reconcile='' T_outcomes='' T_disc=''
by_hand() {
	local db=$tmp/hand.db f=$tmp/hand-root/inbox/easypay_recon_20261029.csv
	timed T_fetch "$KASI" --db "$db" fetch "$tmp/ssh/hand.job"
	timed T_validate "$KASI" --db "$db" validate "$f"
	timed T_ingest "$KASI" --db "$db" ingest "$f"
	timed T_reconcile "$KASI" --db "$db" reconcile --period 2026-10
	timed T_outcomes "$KASI" --db "$db" report outcomes --period 2026-10 --out "$tmp/outcomes.csv"
	timed T_disc "$KASI" --db "$db" report discrepancies --period 2026-10 --out "$tmp/discrepancies.csv"
}
for ((r = 1; r <= RUNS; r++)); do
	rm -rf "$tmp/night-root" "$tmp/run.db"*
	cp "$base" "$tmp/run.db"
	timed T_run "$KASI" --db "$tmp/run.db" run "$tmp/ssh/night.job" --date 2026-10-29
	rm -rf "$tmp/hand-root" "$tmp/hand.db"*
	cp "$base" "$tmp/hand.db"
	by_hand
done
cmp -s "$tmp/outcomes.csv" "$tmp/night-root/reports/outcomes_2026-10.csv" ||
	{ echo "bench: kasi run's outcomes differ from the steps' by hand"; exit 1; }
sum=$(awk -v a="$(median "$T_fetch")" -v b="$(median "$T_validate")" -v c="$(median "$T_ingest")" \
	-v d="$(median "$T_reconcile")" -v e="$(median "$T_outcomes")" -v f="$(median "$T_disc")" \
	'BEGIN { printf "%.3f", a + b + c + d + e + f }')
echo
echo "== one night on a $N-policy store: a $ROWS-row EasyPay file over SFTP, median of $RUNS"
printf '%-44s %9s\n' "" seconds
printf '%-44s %9s\n' "by hand: kasi fetch" "$(median "$T_fetch")"
printf '%-44s %9s\n' "         kasi validate" "$(median "$T_validate")"
printf '%-44s %9s\n' "         kasi ingest" "$(median "$T_ingest")"
printf '%-44s %9s\n' "         kasi reconcile --period 2026-10" "$(median "$T_reconcile")"
printf '%-44s %9s\n' "         kasi report outcomes" "$(median "$T_outcomes")"
printf '%-44s %9s\n' "         kasi report discrepancies" "$(median "$T_disc")"
printf '%-44s %9s\n' "         the sum" "$sum"
printf '%-44s %9s\n' "kasi run (all of it, files filed away)" "$(median "$T_run")"
echo "kasi run takes $(awk -v a="$(median "$T_run")" -v b="$sum" 'BEGIN { printf "%.2f", a / b }')x the sum of the steps by hand (it validates while it ingests)"
