# lib.sh — sourced by every end-to-end test (tests/e2e/tNNNN-*.sh).
#
# Each test drives the real binary ($KASI) and reports TAP lines. The
# helpers run kasi and capture its output and exit status:
#
#   kasi ARGS...        run it; stdout in $out, stderr in $err, exit in $status
#   expect_status N D   ok if the last run exited N
#   expect_out TEXT D   ok if stdout contains TEXT (a fixed string)
#   expect_err TEXT D   ok if stderr contains TEXT
#   check D CMD...      ok if CMD succeeds
#
# Every test gets a private $tmp, removed at exit.
set -u
: "${KASI:?KASI must name the kasi binary under test}"
: "${KASI_ROOT:?}"
fixtures=$KASI_ROOT/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tap_n=0

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); echo "not ok $tap_n - $*"; }
diag() { sed 's/^/# /'; }

kasi() {
	out=$("$KASI" "$@" 2>"$tmp/.stderr")
	status=$?
	err=$(cat "$tmp/.stderr")
}

expect_status() {
	if [ "$status" -eq "$1" ]; then
		ok "$2"
	else
		not_ok "$2 (exit $status, expected $1)"
		{ echo "stdout:"; printf '%s\n' "$out" | head -20; echo "stderr:"; printf '%s\n' "$err" | head -20; } | diag
	fi
}

expect_out() {
	if grep -qF -- "$1" <<<"$out"; then
		ok "$2"
	else
		not_ok "$2"
		{ echo "stdout lacks: $1"; printf '%s\n' "$out" | head -20; } | diag
	fi
}

expect_err() {
	if grep -qF -- "$1" <<<"$err"; then
		ok "$2"
	else
		not_ok "$2"
		{ echo "stderr lacks: $1"; printf '%s\n' "$err" | head -20; } | diag
	fi
}

check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
